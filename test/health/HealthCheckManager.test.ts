import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryCollector } from '../../src/collectors/MemoryCollector.js';
import { ConfigurationError, TimeoutError } from '../../src/errors/MonitoringError.js';
import { EventBus } from '../../src/events/EventBus.js';
import type { MonitoringEvent } from '../../src/events/types.js';
import { HEALTH_METRICS, HealthCheckManager } from '../../src/health/HealthCheckManager.js';
import { IHealthCheck } from '../../src/health/IHealthCheck.js';
import { ServiceRegistry } from '../../src/registry/ServiceRegistry.js';

const managers: HealthCheckManager[] = [];
function manager(options: ConstructorParameters<typeof HealthCheckManager>[0] = {}): HealthCheckManager {
  const m = new HealthCheckManager({ background: false, ...options });
  managers.push(m);
  return m;
}

afterEach(async () => {
  vi.useRealTimers();
  for (const m of managers.splice(0)) await m.shutdown(100);
});

type HealthEvent = Extract<MonitoringEvent, { type: `health.${string}` }>;

function recordEvents(bus: EventBus): HealthEvent[] {
  const seen: HealthEvent[] = [];
  bus.subscribe('health.*', (e) => {
    seen.push(e);
  });
  return seen;
}

describe('HealthCheckManager', () => {
  it('is what the seed registers as IHealthCheck, built with no arguments', async () => {
    const registry = new ServiceRegistry();
    registry.register(IHealthCheck, HealthCheckManager);
    const health = registry.resolve(IHealthCheck);
    expect(health).toBeInstanceOf(HealthCheckManager);
    managers.push(health as HealthCheckManager);
    (health as HealthCheckManager).registerCheck('ok', () => true);
    const report = await health.checkHealth();
    expect(report.status).toBe('healthy');
    expect(report.checks['ok']?.status).toBe('healthy');
  });

  it('reports a hanging and a throwing check at the deadline, next to healthy ones', async () => {
    vi.useFakeTimers();
    const m = manager();
    m.registerCheck('hangs', () => new Promise<boolean>(() => {}), { timeoutMs: 2000 });
    m.registerCheck('throws', async () => {
      throw new Error('connection refused by 10.0.0.7:5432');
    });
    m.registerCheck('throws-sync', () => {
      throw new TypeError('boom');
    });
    m.registerCheck('fine', async () => ({ status: 'healthy', observedValue: 3, observedUnit: 'ms' }));
    m.registerCheck('slow-but-fine', () => new Promise<boolean>((resolve) => setTimeout(resolve, 500, true)));

    let report: Awaited<ReturnType<HealthCheckManager['checkHealth']>> | undefined;
    void m.checkHealth().then((r) => (report = r));
    await vi.advanceTimersByTimeAsync(1999);
    expect(report).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(report).toBeDefined();
    const checks = report!.checks;
    expect(checks['hangs']).toMatchObject({ status: 'unhealthy', reason: 'timed out after 2000 ms', timedOut: true, consecutiveFailures: 1 });
    expect(checks['throws']).toMatchObject({ status: 'unhealthy', reason: 'connection refused by 10.0.0.7:5432', timedOut: false });
    expect(checks['throws-sync']).toMatchObject({ status: 'unhealthy', reason: 'boom', details: { error: 'TypeError' } });
    expect(checks['fine']).toMatchObject({ status: 'healthy', observedValue: 3, observedUnit: 'ms', consecutiveFailures: 0 });
    expect(checks['slow-but-fine']?.status).toBe('healthy');
    expect(checks['slow-but-fine']?.durationMs).toBeGreaterThanOrEqual(500);
    expect(report!.status).toBe('unhealthy');
  });

  it('aborts the signal of a run that timed out', async () => {
    vi.useFakeTimers();
    const m = manager();
    let aborted: unknown;
    m.registerCheck('hangs', (signal) => new Promise<boolean>(() => signal.addEventListener('abort', () => (aborted = signal.reason))), { timeoutMs: 100 });
    const run = m.checkComponent('hangs');
    await vi.advanceTimersByTimeAsync(100);
    expect((await run)?.status).toBe('unhealthy');
    expect(aborted).toBeInstanceOf(TimeoutError);
    expect((aborted as TimeoutError).message).toBe('health check "hangs" did not finish within 100 ms');
  });

  it('does not call a checker again while its timed-out run is still pending', async () => {
    vi.useFakeTimers();
    const m = manager();
    let calls = 0;
    let release: (v: boolean) => void = () => {};
    m.registerCheck('stuck', () => {
      calls++;
      return calls === 1 ? new Promise<boolean>((resolve) => (release = resolve)) : true;
    }, { timeoutMs: 50 });
    const first = m.checkHealth({ fresh: true });
    await vi.advanceTimersByTimeAsync(50);
    expect((await first).checks['stuck']?.reason).toBe('timed out after 50 ms');
    const second = await m.checkHealth({ fresh: true });
    expect(calls).toBe(1);
    expect(second.checks['stuck']).toMatchObject({ status: 'unhealthy', consecutiveFailures: 2 });
    expect(second.checks['stuck']?.reason).toMatch(/^timed out after 50 ms \(previous run still pending after \d+ ms\)$/);
    release(true);
    await vi.advanceTimersByTimeAsync(0);
    const third = await m.checkHealth({ fresh: true });
    expect(calls).toBe(2);
    expect(third.checks['stuck']?.status).toBe('healthy');
  });

  it('shares one run between concurrent callers', async () => {
    vi.useFakeTimers();
    const m = manager();
    let calls = 0;
    m.registerCheck('db', () => {
      calls++;
      return new Promise<boolean>((resolve) => setTimeout(resolve, 10, true));
    });
    const runs = [m.checkComponent('db'), m.checkHealth(), m.checkHealth({ fresh: true }), m.refresh()];
    await vi.advanceTimersByTimeAsync(10);
    const results = await Promise.all(runs);
    expect(calls).toBe(1);
    expect((results[0] as { status: string }).status).toBe('healthy');
  });

  it('serves cached results while fresh and re-runs them after the TTL', async () => {
    vi.useFakeTimers();
    const m = manager();
    let calls = 0;
    m.registerCheck('cache', () => ++calls > 0, { cacheTtlMs: 1000 });
    const a = await m.checkHealth();
    const b = await m.checkHealth();
    expect(calls).toBe(1);
    expect(b).toBe(a);
    await vi.advanceTimersByTimeAsync(999);
    await m.checkHealth();
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    const c = await m.checkHealth();
    expect(calls).toBe(2);
    expect(c).not.toBe(a);
    await m.checkHealth({ fresh: true });
    expect(calls).toBe(3);
  });

  it('aggregates: worst critical status wins, non-critical failures only degrade', async () => {
    const m = manager();
    let db: 'healthy' | 'degraded' | 'unhealthy' = 'healthy';
    let disk: 'healthy' | 'degraded' | 'unhealthy' = 'healthy';
    m.registerCheck('db', () => db);
    m.registerCheck('disk', () => disk, { critical: false, category: 'system' });
    expect((await m.checkHealth({ fresh: true })).status).toBe('healthy');
    disk = 'unhealthy';
    expect((await m.checkHealth({ fresh: true })).status).toBe('degraded');
    db = 'degraded';
    expect((await m.checkHealth({ fresh: true })).status).toBe('degraded');
    db = 'unhealthy';
    const report = await m.checkHealth({ fresh: true });
    expect(report.status).toBe('unhealthy');
    expect(report.checks['disk']).toMatchObject({ category: 'system', critical: false, status: 'unhealthy' });
  });

  it('aggregates groups over their own members', async () => {
    const m = manager();
    m.registerCheck('process', () => true, { tags: ['liveness'] });
    m.registerCheck('db', () => false, { tags: ['readiness'] });
    m.registerCheck('cache', () => 'degraded', { tags: ['readiness', 'cache'] });
    const live = await m.checkHealth({ group: 'liveness' });
    expect(live.status).toBe('healthy');
    expect(Object.keys(live.checks)).toEqual(['process']);
    const ready = await m.checkHealth({ group: 'readiness' });
    expect(ready.status).toBe('unhealthy');
    expect(Object.keys(ready.checks).sort()).toEqual(['cache', 'db']);
    expect((await m.checkHealth({ group: 'cache' })).status).toBe('degraded');
    expect(m.hasGroup('readiness')).toBe(true);
    expect(m.hasGroup('nope')).toBe(false);
  });

  it('tracks last success and consecutive failures', async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    const m = manager();
    let up = true;
    m.registerCheck('dep', () => up);
    const first = await m.checkComponent('dep');
    expect(first).toMatchObject({ lastSuccess: 1_700_000_000_000, consecutiveFailures: 0 });
    up = false;
    await vi.advanceTimersByTimeAsync(1000);
    await m.checkComponent('dep');
    await vi.advanceTimersByTimeAsync(1000);
    const third = await m.checkComponent('dep');
    expect(third).toMatchObject({ status: 'unhealthy', reason: 'check returned false', consecutiveFailures: 2, lastSuccess: 1_700_000_000_000 });
    up = true;
    const fourth = await m.checkComponent('dep');
    expect(fourth).toMatchObject({ consecutiveFailures: 0, lastSuccess: 1_700_000_002_000 });
  });

  it('publishes completed, changed (check and system) and degraded events', async () => {
    const events = new EventBus();
    const seen = recordEvents(events);
    const m = manager({ events });
    let state: 'healthy' | 'degraded' | 'unhealthy' = 'healthy';
    m.registerCheck('redis', () => (state === 'healthy' ? state : { status: state, reason: `redis is ${state}` }));
    await m.checkHealth({ fresh: true });
    state = 'degraded';
    await m.checkHealth({ fresh: true });
    await m.checkHealth({ fresh: true });
    state = 'unhealthy';
    await m.checkHealth({ fresh: true });
    const summary = seen.map((e) =>
      e.type === 'health.status.changed' ? `${e.type} ${e.check} ${e.previous}->${e.current}` : e.type === 'health.component.degraded' ? `${e.type} ${e.check} ${e.status} ${e.reason}` : `${e.type} ${e.check} ${e.status}`,
    );
    expect(summary).toEqual([
      'health.check.completed redis healthy',
      'health.status.changed redis unknown->healthy',
      'health.status.changed system unknown->healthy',
      'health.check.completed redis degraded',
      'health.status.changed redis healthy->degraded',
      'health.component.degraded redis degraded redis is degraded',
      'health.status.changed system healthy->degraded',
      'health.check.completed redis degraded',
      'health.check.completed redis unhealthy',
      'health.status.changed redis degraded->unhealthy',
      'health.component.degraded redis unhealthy redis is unhealthy',
      'health.status.changed system degraded->unhealthy',
    ]);
    const completed = seen.find((e) => e.type === 'health.check.completed');
    expect(completed).toMatchObject({ category: 'component', critical: true });
    expect(typeof completed?.timestamp).toBe('number');
  });

  it('runs checks in the background every healthCheckInterval seconds', async () => {
    vi.useFakeTimers();
    const m = new HealthCheckManager({ settings: { healthCheckInterval: 30 } });
    managers.push(m);
    let calls = 0;
    m.registerCheck('bg', () => ++calls > 0);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    // The background run keeps the cache fresh: a read in between does not run the check.
    await m.checkHealth();
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toBe(4);
    m.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toBe(4);
  });

  it('exposes status and duration as observable gauges read through MemoryCollector', async () => {
    const collector = new MemoryCollector();
    const m = manager({ collector });
    m.registerCheck('db', () => ({ status: 'healthy' }));
    m.registerCheck('disk', () => 'degraded', { category: 'system', critical: false });
    m.registerCheck('queue', () => false, { category: 'business' });
    await m.checkHealth();
    const status = await collector.readMetric(HEALTH_METRICS.checkStatus);
    const values = Object.fromEntries(status!.series.map((s) => [s.labels['check'], s.value]));
    expect(values).toEqual({ db: 1, disk: 0.5, queue: 0 });
    expect(status!.series.find((s) => s.labels['check'] === 'disk')?.labels).toEqual({ check: 'disk', category: 'system', critical: 'false' });
    const duration = await collector.readMetric(HEALTH_METRICS.checkDuration);
    expect(duration?.unit).toBe('s');
    expect(duration?.series.every((p) => (p.value ?? -1) >= 0 && (p.value ?? 1) < 1)).toBe(true);
    expect(duration?.series).toHaveLength(3);
    const overall = await collector.readMetric(HEALTH_METRICS.status);
    expect(overall?.series[0]?.value).toBe(0);
    m.unregisterCheck('queue');
    expect((await collector.readMetric(HEALTH_METRICS.status))?.series[0]?.value).toBe(0.5);
    await collector.shutdown();
  });

  it('unregisters checks and reports unknown components as undefined', async () => {
    const m = manager();
    m.registerCheck('a', () => true);
    expect(m.unregisterCheck('a')).toBe(true);
    expect(m.unregisterCheck('a')).toBe(false);
    expect(await m.checkComponent('a')).toBeUndefined();
    expect((await m.checkHealth()).checks).toEqual({});
  });

  it('treats a result it cannot read as unhealthy', async () => {
    const m = manager();
    m.registerCheck('weird', (() => 42) as never);
    expect(await m.checkComponent('weird')).toMatchObject({ status: 'unhealthy', reason: 'check returned an invalid result: 42' });
  });

  it('rejects bad configuration at setup, naming the option and value', () => {
    const m = manager({ maxChecks: 1 });
    expect(() => new HealthCheckManager({ intervalSeconds: 0 })).toThrow(/Invalid intervalSeconds: 0/);
    expect(() => new HealthCheckManager({ settings: { healthCheckInterval: -5 } })).toThrow(/Invalid healthCheckInterval: -5/);
    expect(() => m.registerCheck('', () => true)).toThrow(ConfigurationError);
    expect(() => m.registerCheck('x', {} as never)).toThrow(/Invalid checker of "x"/);
    expect(() => m.registerCheck('x', () => true, { timeoutMs: -1 })).toThrow(/Invalid timeoutMs of "x": -1/);
    expect(() => m.registerCheck('x', () => true, { category: 'infra' as never })).toThrow(/Invalid category of "x": "infra"/);
    expect(() => m.registerCheck('x', () => true, { tags: ['has space'] })).toThrow(/Invalid tags of "x"/);
    m.registerCheck('x', () => true);
    expect(() => m.registerCheck('x', () => true)).toThrow(/Invalid name: "x"/);
    expect(() => m.registerCheck('y', () => true)).toThrow(/Invalid maxChecks: 1/);
  });

  it('shuts down idempotently, closing checkers and stopping the timer', async () => {
    vi.useFakeTimers();
    const m = new HealthCheckManager({ intervalSeconds: 1 });
    let closed = 0;
    let calls = 0;
    m.registerCheck('c', { check: () => ({ status: ++calls > 0 ? 'healthy' : 'unhealthy' }), close: () => void closed++ });
    await vi.advanceTimersByTimeAsync(0);
    const a = m.shutdown();
    const b = m.shutdown();
    expect(a).toBe(b);
    await a;
    expect(closed).toBe(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toBe(1);
    expect(() => m.registerCheck('late', () => true)).toThrow(ConfigurationError);
  });
});

describe('HealthCheckManager.start', () => {
  it('runs every registered check once when started, then every interval', async () => {
    vi.useFakeTimers();
    const m = new HealthCheckManager({ background: false, intervalSeconds: 10 });
    managers.push(m);
    const calls = { a: 0, b: 0 };
    m.registerCheck('a', () => ++calls.a > 0);
    m.registerCheck('b', () => ++calls.b > 0);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(calls).toEqual({ a: 0, b: 0 });
    m.start();
    m.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toEqual({ a: 1, b: 1 });
    expect(m.status).toBe('healthy');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toEqual({ a: 2, b: 2 });
  });
});
