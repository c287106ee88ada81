import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlerting } from '../../src/alerting/createAlerting.js';
import type { Alerting } from '../../src/alerting/Alerting.js';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { createDashboard, type Dashboard } from '../../src/dashboard/createDashboard.js';
import { createHealthCheckManager } from '../../src/health/createHealthCheckManager.js';
import type { HealthCheckManager } from '../../src/health/HealthCheckManager.js';
import { createMonitoring, type Monitoring } from '../../src/monitoring/createMonitoring.js';
import { ensureBuilt } from '../helpers/build.js';
import { waitFor } from '../helpers/wait.js';
import { HOSTILE, launchChromium, screenshot, watchPage } from './browser.js';

// The Alerts page on the real alerting engine: a health rule fires, the page silences it.
describe('dashboard Alerts page in Chromium', () => {
  let monitoring: Monitoring;
  let health: HealthCheckManager;
  let alerting: Alerting;
  let dashboard: Dashboard;
  let browser: Browser;
  let page: Page;
  let url: string;
  let seen: { violations: string[]; errors: string[] };

  beforeAll(async () => {
    ensureBuilt();
    monitoring = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'shop' }, { registerGlobal: false });
    health = createHealthCheckManager(monitoring);
    health.registerCheck('database', () => ({ status: 'unhealthy', reason: 'connection refused' }));
    alerting = createAlerting(monitoring, {
      evaluationInterval: '1s',
      rules: [
        {
          kind: 'health',
          name: 'DatabaseDown',
          check: 'database',
          status: 'unhealthy',
          severity: 'page',
          labels: { team: HOSTILE },
          annotations: { summary: `database is down ${HOSTILE}`, description: 'line one\nline "two"' },
        },
      ],
    });
    dashboard = createDashboard(monitoring, { port: 0, alerting, refreshMs: 300 });
    await health.refresh();
    await waitFor(() => alerting.alerts().some((a) => a.state === 'firing'), 'DatabaseDown to fire');
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

  it('shows the firing alert on the Overview and the Alerts page', async () => {
    await page.goto(url);
    await page.getByTestId('overview-alerts').getByText('DatabaseDown').waitFor();
    await page.goto(`${url}#/alerts`);
    const row = page.getByTestId('alerts-table').locator('tr[data-alert="DatabaseDown"]');
    await row.waitFor();
    expect(await row.locator('.badge').first().textContent()).toBe('firing');
    expect(await row.getByText(`database is down ${HOSTILE}`).count()).toBe(1);
    await screenshot(page, 'alerts-firing');
  });

  it('creates a silence from the page, and the alert shows silenced', async () => {
    await page.goto(`${url}#/alerts`);
    const row = page.getByTestId('alerts-table').locator('tr[data-alert="DatabaseDown"]');
    await row.getByTestId('silence-this').click();
    expect(await page.getByTestId('silence-matchers').inputValue()).toBe('alertname=DatabaseDown');
    await page.getByTestId('silence-comment').fill('maintenance window');
    await page.getByTestId('silence-create').click();
    await page.getByTestId('alert-message').getByText('silence created').waitFor();
    await row.getByTestId('silenced').waitFor();
    const silences = alerting.silences();
    expect(silences).toHaveLength(1);
    expect(silences[0]).toMatchObject({ comment: 'maintenance window', state: 'active' });
    expect(alerting.alerts()[0]!.silencedBy).toEqual([silences[0]!.id]);
    await screenshot(page, 'alerts-silenced');

    await page.getByTestId('silences-table').getByTestId('silence-expire').click();
    await waitFor(() => alerting.silences()[0]?.state === 'expired', 'the silence to expire');
    await waitFor(async () => (await row.getByTestId('silenced').count()) === 0, 'the silenced mark to go');
  });

  it('acknowledges the alert from the page', async () => {
    await page.goto(`${url}#/alerts`);
    const row = page.getByTestId('alerts-table').locator('tr[data-alert="DatabaseDown"]');
    await row.getByTestId('acknowledge').click();
    await row.getByTestId('acknowledged').waitFor();
    expect(alerting.alerts()[0]!.acknowledgement).toMatchObject({ by: 'dashboard', comment: 'acknowledged from the dashboard' });
  });

  it('renders hostile labels and annotations as text, and nothing runs', async () => {
    await page.goto(`${url}#/alerts`);
    await page.getByTestId('alerts-table').getByText(`team=${HOSTILE}`).waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('img, script:not([src])').count()).toBe(0);
    expect(seen.violations).toEqual([]);
    expect(seen.errors).toEqual([]);
  });
});
