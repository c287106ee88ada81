import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/index.js';
import { distUrl, runScript } from '../helpers/runScript.js';

describe('EventBus bounds (issue 11, defects 1 and 2)', () => {
  it('an async subscriber that publishes what it subscribes to neither starves the event loop nor loops forever', async () => {
    // In a child process: on a starved loop not even the test runner's own timers would fire.
    const r = await runScript(`
      import { createMonitoring } from ${JSON.stringify(distUrl())};
      const monitoring = createMonitoring({ serviceName: 'loop', mode: 'event_driven', otlpEndpoint: 'http://127.0.0.1:9' });
      const coordinator = monitoring.coordinator;
      let ticks = 0;
      const tick = setInterval(() => ticks++, 1);
      monitoring.events.subscribe('performance.*', async () => coordinator.recordMetric('seen', 1));
      coordinator.recordMetric('seen', 1);
      setTimeout(() => {
        clearInterval(tick);
        console.log(JSON.stringify({ ticks, stats: monitoring.events.stats() }));
        process.exit(0);
      }, 300);
    `, 20_000);
    expect(r.killed, r.stderr).toBe(false);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ticks: number; stats: { published: number; delivered: number; dropped: number } };
    expect(out.ticks).toBeGreaterThan(0);
    // The chain stops at the bus's depth bound (8): a handful of deliveries, the rest counted as dropped.
    expect(out.stats.delivered).toBeLessThanOrEqual(8);
    expect(out.stats.dropped).toBeGreaterThan(0);
  });

  it('an async subscriber drains at most batchSize events per event-loop turn', async () => {
    const bus = new EventBus({ batchSize: 10 });
    let handled = 0;
    bus.subscribe('performance.metric.recorded', async () => {
      handled++;
    });
    for (let i = 0; i < 100; i++) bus.publish('performance.metric.recorded', { name: 'm', value: i });
    const seenPerTurn: number[] = [];
    await new Promise<void>((resolve) => {
      const step = (): void => {
        seenPerTurn.push(handled);
        if (handled === 100 || seenPerTurn.length > 1000) resolve();
        else setImmediate(step);
      };
      setImmediate(step);
    });
    expect(handled).toBe(100);
    // Several turns were needed, none handling more than one batch.
    const steps = seenPerTurn.map((n, i) => n - (seenPerTurn[i - 1] ?? 0));
    expect(Math.max(...steps)).toBeLessThanOrEqual(10);
    expect(seenPerTurn.filter((n) => n < 100).length).toBeGreaterThanOrEqual(9);
  });

  it('a plain function returning a promise is queued like an async one: bounded concurrency and memory, drops counted', async () => {
    const bus = new EventBus({ queueSize: 100 });
    let inFlight = 0;
    let maxInFlight = 0;
    let done = 0;
    const handler = (): Promise<void> => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        inFlight--;
        done++;
      });
    };
    bus.subscribe('performance.metric.recorded', handler);
    for (let i = 0; i < 10_000; i++) bus.publish('performance.metric.recorded', { name: 'm', value: i });
    expect(await bus.flush(10_000)).toBe(true);
    // The first call ran inline (that is how the bus learnt it returns a promise); then one at a time.
    expect(maxInFlight).toBeLessThanOrEqual(2);
    expect(bus.stats().dropped).toBe(10_000 - 1 - 100);
    expect(done).toBe(101);
    expect(bus.stats().delivered).toBe(101);
  });

  it('a sync subscriber that publishes to itself is cut at maxDepth, not by a stack overflow', () => {
    const bus = new EventBus({ maxDepth: 4 });
    let calls = 0;
    bus.subscribe('performance.metric.recorded', (e) => {
      calls++;
      bus.publish('performance.metric.recorded', { name: 'm', value: e.value + 1 });
    });
    bus.publish('performance.metric.recorded', { name: 'm', value: 0 });
    expect(calls).toBe(4);
    expect(bus.stats()).toMatchObject({ dropped: 1, errors: 0 });
  });
});
