import { afterEach, describe, expect, it, vi } from 'vitest';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { createHealthCheckManager } from '../../src/health/createHealthCheckManager.js';
import { createMonitoring } from '../../src/monitoring/createMonitoring.js';

// monitoring.shutdown(timeoutMs) runs its steps under one deadline. DIRECT mode: no OTLP export to
// whatever listens on localhost:4318. Faked clock: the verdict is about the instant shutdown
// settles at, not about how fast the machine is.

afterEach(() => {
  vi.useRealTimers();
});

describe('monitoring.shutdown(timeoutMs) under one deadline (issue 11)', () => {
  it('settles at its deadline when a health check and an event subscriber never finish', async () => {
    vi.useFakeTimers();
    const m = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'deadline' }, { registerGlobal: false });
    // A check that never answers, with a 60 s check timeout, is in flight: the health manager's
    // own shutdown would wait 5 s for it.
    const health = createHealthCheckManager(m);
    health.registerCheck('stuck', () => new Promise<never>(() => {}), { timeoutMs: 60_000 });
    void health.checkComponent('stuck');
    // An async subscriber that never finishes its event: draining the bus would wait too.
    let handed = 0;
    m.events.subscribe(
      'performance.*',
      () => {
        handed++;
        return new Promise<never>(() => {});
      },
      { async: true },
    );
    m.events.publish('performance.metric.recorded', { name: 'm', value: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(handed).toBe(1);

    let settled = false;
    void m.shutdown(1000).then(() => (settled = true));
    // It waits for the hanging steps while budget is left...
    await vi.advanceTimersByTimeAsync(990);
    expect(settled).toBe(false);
    // ...and no longer: 5 s (health) + 1 s (event bus) one after another, before this change.
    await vi.advanceTimersByTimeAsync(20);
    expect(settled).toBe(true);
  });

  it('with nothing hanging, the steps run to their end and a second call gets the same answer', async () => {
    const m = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'deadline' }, { registerGlobal: false });
    const health = createHealthCheckManager(m);
    health.registerCheck('fine', () => ({ status: 'healthy' }));
    const seen: string[] = [];
    m.events.subscribe('performance.*', async (e) => void seen.push(e.type), { async: true });
    m.events.publish('performance.metric.recorded', { name: 'm', value: 1 });
    const first = m.shutdown(60_000);
    expect(m.shutdown(1)).toBe(first);
    await first;
    // The bus was drained before it was closed.
    expect(seen).toEqual(['performance.metric.recorded']);
  });
});
