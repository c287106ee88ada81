import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { ConfigurationError } from '../../src/errors/MonitoringError.js';
import { createMonitoring } from '../../src/monitoring/createMonitoring.js';
import {
  ACTIVE_RESOURCES_METRIC,
  EVENT_LOOP_DELAY_METRIC,
  EVENT_LOOP_UTILIZATION_METRIC,
  GC_DURATION_METRIC,
  HEAP_LIMIT_METRIC,
  HEAP_USED_METRIC,
  RUNTIME_METRICS,
  RuntimeMetrics,
} from '../../src/instrumentation/RuntimeMetrics.js';
import { waitFor as until } from '../helpers/wait.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function setup(sampleIntervalMs = 5) {
  const monitoring = createMonitoring({ mode: MonitoringMode.DIRECT }, { registerGlobal: false });
  const runtime = new RuntimeMetrics({ collector: monitoring.collector, sampleIntervalMs }).start();
  cleanups.push(() => monitoring.shutdown());
  cleanups.push(() => runtime.stop());
  return { monitoring, runtime };
}

describe('RuntimeMetrics', () => {
  it('lists every instrument it records in RUNTIME_METRICS', async () => {
    const { monitoring } = setup(5);
    await until(() => (monitoring.collector.getHistogram(EVENT_LOOP_DELAY_METRIC)?.count ?? 0) >= 2, 'some samples');
    const recorded = (await monitoring.collector.read()).map((m) => m.name).filter((n) => n.startsWith('nodejs.') || n.startsWith('v8js.'));
    expect(recorded).toContain(HEAP_USED_METRIC);
    const listed: readonly string[] = Object.values(RUNTIME_METRICS);
    expect(recorded.filter((n) => !listed.includes(n))).toEqual([]);
  });

  it('shows a blocked event loop as a large sample in the delay histogram, not just a mean', async () => {
    const { monitoring } = setup(5);
    await until(() => (monitoring.collector.getHistogram(EVENT_LOOP_DELAY_METRIC)?.count ?? 0) >= 5, 'some idle samples');
    const start = Date.now();
    while (Date.now() - start < 150) {
      // block the loop for 150 ms
    }
    await until(() => (monitoring.collector.getHistogram(EVENT_LOOP_DELAY_METRIC)?.max ?? 0) >= 0.14, 'the blocked sample');
    const h = monitoring.collector.getHistogram(EVENT_LOOP_DELAY_METRIC)!;
    // Most samples are short; the block sits alone in a high bucket.
    expect(h.p50).toBeLessThan(0.05);
    const over100ms = h.count - h.buckets.find((b) => b.le === 0.1)!.count;
    expect(over100ms).toBeGreaterThanOrEqual(1);
    const read = await monitoring.collector.readMetric(EVENT_LOOP_DELAY_METRIC);
    expect(read?.kind).toBe('histogram');
    expect(read?.unit).toBe('s');
  });

  it('records GC pauses by kind', async () => {
    const { monitoring } = setup();
    let keep: number[][] = [];
    await until(() => {
      // Allocate short-lived garbage until V8 runs a collection and the observer reports it.
      for (let i = 0; i < 2000; i++) keep.push(new Array(100).fill(i));
      keep = keep.slice(-10);
      return monitoring.collector.getSeries(GC_DURATION_METRIC).some((s) => (s.histogram?.count ?? 0) > 0);
    }, 'a GC entry');
    const kinds = monitoring.collector.getSeries(GC_DURATION_METRIC).map((s) => s.labels['v8js.gc.type']);
    expect(kinds.every((k) => ['major', 'minor', 'incremental', 'weakcb', 'other'].includes(String(k)))).toBe(true);
  });

  it('reports loop utilisation, heap spaces and active handles when read', async () => {
    const { monitoring } = setup();
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));

    const metrics = await monitoring.collector.read();
    const byName = new Map(metrics.map((m) => [m.name, m]));
    const elu = byName.get(EVENT_LOOP_UTILIZATION_METRIC)?.series[0]?.value;
    expect(elu).toBeGreaterThanOrEqual(0);
    expect(elu).toBeLessThanOrEqual(1);
    const used = byName.get(HEAP_USED_METRIC)!.series;
    const limit = byName.get(HEAP_LIMIT_METRIC)!.series;
    const spaces = used.map((s) => s.labels['v8js.heap.space.name']);
    expect(spaces).toContain('old_space');
    expect(spaces).toContain('new_space');
    const oldUsed = used.find((s) => s.labels['v8js.heap.space.name'] === 'old_space')!.value!;
    const oldLimit = limit.find((s) => s.labels['v8js.heap.space.name'] === 'old_space')!.value!;
    expect(oldUsed).toBeGreaterThan(0);
    expect(oldUsed).toBeLessThanOrEqual(oldLimit);
    const resources = byName.get(ACTIVE_RESOURCES_METRIC)!.series;
    expect(resources.find((s) => s.labels['nodejs.resource.type'] === 'TCPServerWrap')?.value).toBeGreaterThanOrEqual(1);
  });

  it('stop() ends sampling and unregisters the gauges', async () => {
    const { monitoring, runtime } = setup(5);
    await until(() => (monitoring.collector.getHistogram(EVENT_LOOP_DELAY_METRIC)?.count ?? 0) >= 2, 'samples');
    runtime.stop();
    runtime.stop();
    expect(runtime.running).toBe(false);
    const count = monitoring.collector.getHistogram(EVENT_LOOP_DELAY_METRIC)!.count;
    await new Promise((r) => setTimeout(r, 50));
    expect(monitoring.collector.getHistogram(EVENT_LOOP_DELAY_METRIC)!.count).toBe(count);
    expect((await monitoring.collector.readMetric(HEAP_USED_METRIC))?.series ?? []).toHaveLength(0);
  });

  it('rejects a bad sample interval at setup', () => {
    const monitoring = createMonitoring({ mode: MonitoringMode.DIRECT }, { registerGlobal: false });
    cleanups.push(() => monitoring.shutdown());
    expect(() => new RuntimeMetrics({ collector: monitoring.collector, sampleIntervalMs: 0 })).toThrow(ConfigurationError);
    expect(() => new RuntimeMetrics({ collector: monitoring.collector, sampleIntervalMs: 0 })).toThrow(/sampleIntervalMs/);
  });
});
