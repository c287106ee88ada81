import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCollector } from '../../src/collectors/MemoryCollector.js';
import { EventBus } from '../../src/events/EventBus.js';
import type { MonitoringEvent } from '../../src/events/types.js';
import { createHealthHandler } from '../../src/health/createHealthHandler.js';
import { HEALTH_METRICS, HealthCheckManager } from '../../src/health/HealthCheckManager.js';
import { distUrl, runScript } from '../helpers/runScript.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

describe('HealthCheckManager under faults (issue 11, defects 7 and 8)', () => {
  it('a script awaiting checkHealth() on a hanging check gets its answer instead of exiting with code 13', async () => {
    const r = await runScript(`
      import { HealthCheckManager } from ${JSON.stringify(distUrl())};
      const health = new HealthCheckManager({ background: false });
      health.registerCheck('hangs', () => new Promise(() => {}), { timeoutMs: 200 });
      const report = await health.checkHealth();
      console.log(JSON.stringify({ status: report.status, reason: report.checks.hangs.reason }));
    `);
    expect(r.killed).toBe(false);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ status: 'unhealthy', reason: 'timed out after 200 ms' });
  });

  it('a background run of a hanging check does not keep an exiting process alive', async () => {
    const r = await runScript(`
      import { HealthCheckManager } from ${JSON.stringify(distUrl())};
      const health = new HealthCheckManager({ intervalSeconds: 3600 });
      health.registerCheck('hangs', () => new Promise(() => {}), { timeoutMs: 600_000 });
      console.log('registered');
    `, 20_000);
    expect(r.killed).toBe(false);
    expect(r.stdout.trim()).toBe('registered');
  });

  it('with a critical check that always fails, /health and health_status never read healthy, from the first request on', async () => {
    const bus = new EventBus();
    const seen: MonitoringEvent[] = [];
    bus.subscribe('health.status.changed', (e) => {
      seen.push(e);
    });
    const collector = new MemoryCollector();
    const health = new HealthCheckManager({ events: bus, collector, intervalSeconds: 30 });
    closers.push(() => health.shutdown(100));
    // The demo's order: a fast healthy check first, then a critical one that fails after a moment.
    health.registerCheck('memory', () => ({ status: 'healthy' }));
    health.registerCheck('database', async () => {
      await new Promise((r) => setTimeout(r, 50));
      throw new Error('ECONNREFUSED');
    });
    const server: Server = createServer(createHealthHandler(health));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => server.close(r)));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
    const answers: number[] = [];
    const gauges: (number | undefined)[] = [];
    for (let i = 0; i < 20; i++) {
      answers.push((await fetch(url)).status);
      const g = (await collector.readMetric(HEALTH_METRICS.status))?.series[0]?.value;
      gauges.push(g);
    }
    expect(answers).toEqual(new Array(20).fill(503));
    expect(gauges.filter((g) => g !== undefined && g > 0)).toEqual([]);
    expect(health.status).toBe('unhealthy');
    // No false transition through healthy on the way.
    const system = seen.filter((e) => e.type === 'health.status.changed' && e.check === 'system').map((e) => e.type === 'health.status.changed' && `${e.previous}->${e.current}`);
    expect(system).toEqual(['unknown->unhealthy']);
  });

  it('the status does not flap when a non-critical degraded check is registered before a healthy one', async () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.subscribe('health.status.changed', (e) => {
      if (e.check === 'system') seen.push(`${e.previous}->${e.current}`);
    });
    const health = new HealthCheckManager({ events: bus, intervalSeconds: 30 });
    closers.push(() => health.shutdown(100));
    health.registerCheck('disk', async () => {
      await new Promise((r) => setTimeout(r, 30));
      return { status: 'degraded', reason: 'disk 91% full' };
    }, { critical: false });
    health.registerCheck('memory', () => ({ status: 'healthy' }));
    const report = await health.checkHealth();
    expect(report.status).toBe('degraded');
    await health.refresh();
    expect(seen).toEqual(['unknown->degraded']);
  });
});
