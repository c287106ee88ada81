import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { PHASE_DURATION_METRIC } from '../../src/coordinators/DirectPerformanceCoordinator.js';
import { createDashboard, type Dashboard } from '../../src/dashboard/createDashboard.js';
import { createHealthCheckManager } from '../../src/health/createHealthCheckManager.js';
import type { HealthCheckManager } from '../../src/health/HealthCheckManager.js';
import { createMonitoring, type Monitoring } from '../../src/monitoring/createMonitoring.js';
import { ensureBuilt } from '../helpers/build.js';
import { waitFor } from '../helpers/wait.js';
import { HOSTILE, launchChromium, screenshot, watchPage } from './browser.js';

describe('embedded dashboard in Chromium', () => {
  let monitoring: Monitoring;
  let health: HealthCheckManager;
  let dashboard: Dashboard;
  let browser: Browser;
  let url: string;
  let page: Page;
  let seen: { violations: string[]; errors: string[] };

  beforeAll(async () => {
    ensureBuilt(); // the UI bundle lives in dist/dashboard/ui
    monitoring = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'shop' }, { registerGlobal: false });
    dashboard = createDashboard(monitoring, { port: 0, sampleIntervalMs: 60_000, refreshMs: 500 });
    health = createHealthCheckManager(monitoring);
    health.registerCheck('database', () => ({ status: 'unhealthy', reason: HOSTILE }), { critical: false });
    health.registerCheck('cache', () => 'healthy');
    await health.refresh();
    const { coordinator, collector } = monitoring;
    for (let i = 0; i < 4; i++) {
      await coordinator.measure('checkout', async () => {
        await coordinator.measure('validate', () => new Promise((r) => setTimeout(r, 2)));
        await coordinator.measure('charge', () => new Promise((r) => setTimeout(r, 6)));
      });
    }
    coordinator.measure(HOSTILE, () => undefined);
    for (let i = 0; i < 3; i++) collector.incrementCounter('orders_total', { region: 'eu' });
    for (let i = 0; i < 5; i++) collector.incrementCounter('orders_total', { region: 'us' });
    collector.incrementCounter('hostile_total', { note: HOSTILE });
    await dashboard.sample();
    url = (await dashboard.listen()).url;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    seen = await watchPage(page);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.shutdown();
    await monitoring?.shutdown(2000);
  });

  it('Overview shows health, RED per route and the event rate', async () => {
    await page.goto(url);
    const red = page.getByTestId('overview-red');
    await red.getByRole('link', { name: 'checkout' }).waitFor();
    expect(await red.locator('tbody tr').filter({ hasText: 'checkout' }).locator('td').nth(1).textContent()).toBe('shop');
    const healthCard = page.getByTestId('overview-health');
    await healthCard.getByText('database').waitFor();
    // A failing non-critical check degrades the whole.
    expect(await healthCard.locator('h2 .badge').textContent()).toBe('degraded');
    await page.getByTestId('overview-events').locator('canvas').first().waitFor();
    await screenshot(page, 'overview');
  });

  it('a Metrics query draws a chart with the right values', async () => {
    await page.goto(`${url}#/metrics?metric=orders_total&agg=sum&by=region&range=900`);
    const table = page.getByTestId('series-table');
    await table.getByText('region=us').waitFor();
    const rows = await table.locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(2);
    expect(await table.locator('tbody tr', { hasText: 'region=eu' }).getByTestId('series-last').textContent()).toBe('3');
    expect(await table.locator('tbody tr', { hasText: 'region=us' }).getByTestId('series-last').textContent()).toBe('5');
    expect(await page.getByTestId('expr').textContent()).toBe('sum by (region) (orders_total{})');
    // uPlot drew: a canvas of the chart's width, and its legend names both series.
    const canvas = page.getByTestId('metric-chart').locator('canvas');
    expect((await canvas.boundingBox())!.width).toBeGreaterThan(300);
    // Hovering the latest step shows each series' value in the chart's legend.
    const over = await page.getByTestId('metric-chart').locator('.u-over').boundingBox();
    await page.mouse.move(over!.x + over!.width - 1, over!.y + over!.height / 2);
    const legend = page.getByTestId('metric-chart').locator('.u-legend .u-series');
    await waitFor(async () => (await legend.allTextContents()).some((t) => t.includes('region=us') && t.endsWith('5')), 'the legend to show the hovered values');
    expect((await legend.allTextContents()).slice(1)).toEqual(['region=eu3', 'region=us5']);
    await screenshot(page, 'metrics');
  });

  it('a trace opens with its waterfall, critical path and flame graph', async () => {
    await page.goto(`${url}#/traces?name=checkout`);
    await page.getByTestId('trace-total').getByText('4 traces').waitFor();
    await page.getByTestId('aggregate-flame').getByText(/charge/).first().waitFor();
    await screenshot(page, 'traces');
    await page.getByTestId('trace-list').getByRole('link', { name: 'checkout' }).first().click();
    const waterfall = page.getByTestId('waterfall');
    await waterfall.locator('.wf-row').first().waitFor();
    expect(await waterfall.locator('.wf-row .wf-name').allTextContents()).toEqual(['shop checkout', 'shop validate', 'shop charge']);
    // charge ends last, so the path is checkout → charge → validate (what ran before charge)
    expect(await waterfall.locator('.wf-row[data-critical="true"]').count()).toBe(3);
    await waterfall.locator('.wf-row', { hasText: 'charge' }).click();
    await page.getByTestId('span-details').getByText('critical path').waitFor();
    await screenshot(page, 'trace-waterfall');
    await page.getByTestId('tab-flame').click();
    const flame = page.getByTestId('trace-flame');
    await flame.locator('.flame-node').first().waitFor();
    expect(await flame.locator('.flame-node').count()).toBe(3);
    expect(await flame.locator('.flame-node').first().getAttribute('title')).toMatch(/^checkout — /);
    await screenshot(page, 'trace-flame');
  });

  it('histogram exemplars are listed under the chart and open their trace', async () => {
    await page.goto(`${url}#/metrics?metric=${PHASE_DURATION_METRIC}&agg=quantile&q=0.5&filter=phase%3Dcharge`);
    const link = page.getByTestId('exemplars').locator('a').first();
    await link.waitFor();
    const traceId = (await link.getAttribute('href'))!.split('/').pop()!;
    // The exemplar is a real charge phase of this process.
    expect(monitoring.spanStore.spans().some((s) => s.spanContext().traceId === traceId && s.name === 'charge')).toBe(true);
    await screenshot(page, 'metrics-exemplars');
    await link.click();
    await page.getByTestId('waterfall').locator('.wf-row', { hasText: 'charge' }).waitFor();
    expect(page.url()).toContain(`#/traces/${traceId}`);
  });

  it('Health shows each check with its reason and history', async () => {
    await health.refresh();
    await page.goto(`${url}#/health`);
    const row = page.getByTestId('health-table').locator('tbody tr', { hasText: 'database' });
    await row.waitFor();
    expect(await row.locator('.badge').textContent()).toBe('unhealthy');
    expect(await row.locator('.reason').textContent()).toBe(HOSTILE);
    expect(await row.locator('.strip .cell').count()).toBeGreaterThanOrEqual(2);
    await screenshot(page, 'health');
  });

  it('Events is a live feed', async () => {
    await page.goto(`${url}#/events`);
    await page.getByTestId('sse-state').getByText('live').waitFor();
    // What the event-driven coordinator publishes for a custom metric record.
    monitoring.events.publish('performance.metric.recorded', { name: 'after-page-load', value: 1 });
    await page.getByTestId('event-table').getByText('"name":"after-page-load"').first().waitFor();
    await screenshot(page, 'events');
  });

  it('Alerts says when alerting is off', async () => {
    await page.goto(`${url}#/alerts`);
    await page.getByText('Alerting is not enabled').waitFor();
  });

  it('renders hostile names, labels and reasons as text, and nothing runs', async () => {
    await page.goto(`${url}#/traces`);
    await page.getByTestId('trace-list').getByText(HOSTILE.slice(0, 20)).first().waitFor();
    await page.getByTestId('trace-list').getByText(HOSTILE.slice(0, 20)).first().click();
    await page.getByTestId('waterfall').locator('.wf-row').first().click();
    await page.getByTestId('span-details').waitFor();
    await page.goto(`${url}#/metrics?metric=hostile_total&agg=sum&by=note`);
    await page.getByTestId('series-table').getByText('note=<img src=x').waitFor();
    await page.goto(`${url}#/events`);
    await page.getByTestId('event-table').locator('tbody tr').first().waitFor();
    await page.goto(`${url}#/health`);
    await page.getByTestId('health-table').getByText('window.__xss=2').waitFor();
    await screenshot(page, 'xss-health');
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('img, script:not([src])').count()).toBe(0);
    expect(seen.violations).toEqual([]);
    expect(seen.errors).toEqual([]);
  });
});
