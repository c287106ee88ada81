import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events/EventBus.js';
import type { MonitoringEvent } from '../../src/events/types.js';
import { HealthCheckManager } from '../../src/health/HealthCheckManager.js';
import { CacheHealthChecker } from '../../src/health/checkers/CacheHealthChecker.js';
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

  it('grades the hit ratio from Redis INFO over the window since the previous run', async () => {
    const m = new HealthCheckManager({ background: false });
    m.registerCheck('cache', new CacheHealthChecker(client, { hitRatio: { degraded: 0.5, unhealthy: 0.1 }, key: 'probe:ratio' }));
    await m.checkComponent('cache'); // opens the window
    await client.set('present', '1');
    for (let i = 0; i < 40; i++) await client.get('present');
    for (let i = 0; i < 160; i++) await client.get(`absent:${i}`);
    const low = await m.checkComponent('cache');
    expect(low?.status).toBe('degraded');
    expect(low?.details['misses']).toBe(160);
    expect(low?.details['hits']).toBe(41); // 40 + the probe's own read
    expect(low?.reason).toMatch(/^hit ratio 0\.2\d* <= 0\.5$/);
    for (let i = 0; i < 200; i++) await client.get('present');
    const good = await m.checkComponent('cache');
    expect(good?.status).toBe('healthy');
    expect(good?.observedUnit).toBe('ms');
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
