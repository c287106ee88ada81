import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events/EventBus.js';
import type { MonitoringEvent } from '../../src/events/types.js';
import { HealthCheckManager } from '../../src/health/HealthCheckManager.js';
import { CacheHealthChecker } from '../../src/health/checkers/CacheHealthChecker.js';
import { MemoryCollector } from '../../src/collectors/MemoryCollector.js';
import { ServiceMetrics } from '../../src/metrics/ServiceMetrics.js';
import { RedisServer } from '../helpers/redisServer.js';
import { waitFor } from '../helpers/wait.js';

describe('CacheHealthChecker against a real redis-server', () => {
  let server: RedisServer;
  let client: Redis;

  beforeAll(async () => {
    server = await RedisServer.start();
    // The client's defaults, except a short reconnect backoff so the test does not wait seconds.
    client = new Redis({ port: server.port, host: '127.0.0.1', retryStrategy: (n) => Math.min(n * 50, 200) });
    client.on('error', () => {});
  });

  afterAll(async () => {
    client?.disconnect();
    await server?.kill();
  });

  it("grades this app's own hit ratio: another app's misses on the same Redis do not degrade it", async () => {
    const collector = new MemoryCollector();
    const metrics = new ServiceMetrics(collector);
    const other = new Redis({ port: server.port, host: '127.0.0.1' });
    const m = new HealthCheckManager({ background: false });
    m.registerCheck('cache', new CacheHealthChecker(client, { recorded: { collector, cache: 'users' }, hitRatio: { degraded: 0.5 }, minSamples: 20, key: 'probe:own' }));
    m.registerCheck('cache-default', new CacheHealthChecker(client, { key: 'probe:default' }));
    m.registerCheck('cache-server-wide', new CacheHealthChecker(client, { serverStats: true, hitRatio: { degraded: 0.5 }, key: 'probe:server' }));
    for (const name of ['cache', 'cache-default', 'cache-server-wide']) await m.checkComponent(name); // opens the windows
    // This app: 40 hits and 10 misses on its cache, recorded as it goes.
    await client.set('user:1', 'ada');
    for (let i = 0; i < 50; i++) {
      const v = await client.get(i < 40 ? 'user:1' : `user:none:${i}`);
      if (v === null) metrics.recordCacheMiss('users');
      else metrics.recordCacheHit('users');
    }
    // Another app on the same Redis: 300 misses.
    for (let i = 0; i < 300; i++) await other.get(`elsewhere:${i}`);
    await other.quit();

    const report = { checks: Object.fromEntries(await Promise.all(['cache', 'cache-default', 'cache-server-wide'].map(async (n) => [n, await m.checkComponent(n)]))) };
    expect(report.checks['cache']).toMatchObject({ status: 'healthy', details: { hits: 40, misses: 10, hitRatio: 0.8, errors: 0 } });
    // Without a source of its own lookups the ratio is not graded (nor guessed from INFO).
    expect(report.checks['cache-default']?.status).toBe('healthy');
    expect(report.checks['cache-default']?.details).not.toHaveProperty('hitRatio');
    // Opting in to the server-wide INFO counters grades everyone's lookups: the 300 misses count.
    expect(report.checks['cache-server-wide']?.status).toBe('degraded');
    expect(report.checks['cache-server-wide']?.reason).toMatch(/^hit ratio 0\.\d+ <= 0\.5$/);

    for (let i = 0; i < 30; i++) metrics.recordCacheMiss('users');
    const low = await m.checkComponent('cache');
    expect(low).toMatchObject({ status: 'degraded', reason: 'hit ratio 0 <= 0.5', details: { hits: 0, misses: 30 } });
    await m.shutdown();
  });

  it('turns unhealthy within one interval of Redis dying and healthy after it restarts, with events', async () => {
    const events = new EventBus();
    const seen: MonitoringEvent[] = [];
    events.subscribe('health.*', (e) => {
      seen.push(e);
    });
    const intervalMs = 1000;
    const timeoutMs = 400;
    const m = new HealthCheckManager({ events, intervalSeconds: intervalMs / 1000 });
    m.registerCheck('cache', new CacheHealthChecker(client, { key: 'probe:fault' }), { timeoutMs, tags: ['readiness'] });
    const changes = (check: string) =>
      seen.filter((e): e is Extract<MonitoringEvent, { type: 'health.status.changed' }> => e.type === 'health.status.changed' && e.check === check).map((e) => `${e.previous}->${e.current}`);

    await waitFor(() => (m.status === 'healthy' ? true : undefined), 'cache healthy', 5000);
    const before = seen.length;
    await server.kill();

    await waitFor(() => (changes('cache').includes('healthy->unhealthy') ? true : undefined), 'cache unhealthy', intervalMs + timeoutMs + 1500);
    const afterKill = seen.slice(before).filter((e) => e.type === 'health.check.completed' && e.check === 'cache');
    // At most the run already in flight when Redis died can still pass; the next one fails.
    expect(afterKill.filter((e) => e.type === 'health.check.completed' && e.status === 'healthy').length).toBeLessThanOrEqual(1);
    const failed = afterKill.find((e) => e.type === 'health.check.completed' && e.status === 'unhealthy');
    expect(failed?.type === 'health.check.completed' && failed.reason).toMatch(/timed out after 400 ms|ECONNREFUSED|Connection is closed/);
    expect(seen.some((e) => e.type === 'health.component.degraded' && e.check === 'cache' && e.status === 'unhealthy')).toBe(true);
    expect(changes('system')).toContain('healthy->unhealthy');
    const report = await m.checkHealth({ group: 'readiness' });
    expect(report.status).toBe('unhealthy');
    expect(report.checks['cache']?.consecutiveFailures).toBeGreaterThanOrEqual(1);

    await server.restart();
    await waitFor(() => (changes('cache').includes('unhealthy->healthy') ? true : undefined), 'cache healthy again', 10_000);
    expect(changes('cache')).toEqual(['unknown->healthy', 'healthy->unhealthy', 'unhealthy->healthy']);
    expect(changes('system')).toEqual(['unknown->healthy', 'healthy->unhealthy', 'unhealthy->healthy']);
    const healed = await m.checkHealth();
    expect(healed.status).toBe('healthy');
    expect(healed.checks['cache']?.consecutiveFailures).toBe(0);
    await m.shutdown();
  });
});
