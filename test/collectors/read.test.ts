import { afterEach, describe, expect, it } from 'vitest';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { MemoryCollector } from '../../src/collectors/MemoryCollector.js';
import { histogramQuantile, type MetricSnapshot } from '../../src/collectors/MetricSnapshot.js';
import { PrometheusEndpoint } from '../../src/export/PrometheusEndpoint.js';
import { createMonitoring, type Monitoring } from '../../src/monitoring/createMonitoring.js';

let monitoring: Monitoring | undefined;
afterEach(async () => {
  await monitoring?.shutdown();
  monitoring = undefined;
});

function byName(all: MetricSnapshot[], name: string): MetricSnapshot {
  const m = all.find((x) => x.name === name);
  if (m === undefined) throw new Error(`no metric ${name} in read(): ${all.map((x) => x.name).join(', ')}`);
  return m;
}

describe('collector.read(): one typed read of everything', () => {
  it('returns counters, gauges and histograms with labels, values, buckets and timestamps', async () => {
    const c = new MemoryCollector();
    const before = Date.now();
    c.incrementCounter('orders_total', { region: 'eu' }, 3);
    c.recordGauge('queue_depth', 7);
    c.addUpDownCounter('in_flight', 2);
    c.declare('latency_seconds', 'histogram', { buckets: [0.1, 1], description: 'Latency.' });
    c.recordHistogram('latency_seconds', 0.05, { route: '/a' });
    c.recordHistogram('latency_seconds', 0.5, { route: '/a' });
    c.recordHistogram('latency_seconds', 5, { route: '/a' });
    const all = await c.read();

    const orders = byName(all, 'orders_total');
    expect(orders).toMatchObject({ kind: 'sum', monotonic: true, scope: 'service-infrastructure' });
    if (orders.kind === 'histogram' || orders.kind === 'exponential_histogram') throw new Error('orders_total read as a histogram');
    expect(orders.series).toHaveLength(1);
    expect(orders.series[0]!.labels).toEqual({ region: 'eu' });
    expect(orders.series[0]!.value).toBe(3);
    expect(orders.series[0]!.startTimestamp).toBeGreaterThanOrEqual(before - 1);
    expect(orders.series[0]!.timestamp).toBeGreaterThanOrEqual(orders.series[0]!.startTimestamp);

    expect(byName(all, 'queue_depth')).toMatchObject({ kind: 'gauge', series: [{ value: 7 }] });
    expect(byName(all, 'in_flight')).toMatchObject({ kind: 'sum', monotonic: false, series: [{ value: 2 }] });

    const latency = byName(all, 'latency_seconds');
    expect(latency.kind).toBe('histogram');
    if (latency.kind !== 'histogram') return;
    expect(latency.description).toBe('Latency.');
    const h = latency.series[0]!.histogram;
    expect(h).toEqual({ count: 3, sum: 5.55, min: 0.05, max: 5, boundaries: [0.1, 1], counts: [1, 1, 1] });
    expect(latency.series[0]!.exemplars).toBeUndefined();
    expect(histogramQuantile(0.5, h)).toBeCloseTo(0.55, 9);
    await c.shutdown();
  });

  it('shows OTel instruments and exemplars of sampled phases, and agrees with the /metrics scrape', async () => {
    monitoring = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'read' }, { registerGlobal: false });
    let traceId = '';
    let spanId = '';
    monitoring.coordinator.measure('checkout', (phase) => {
      traceId = phase.traceId;
      spanId = phase.spanId;
    });
    monitoring.getMeter('lib').createCounter('lib.calls').add(4, { op: 'x' });
    const all = await monitoring.collector.read();

    const calls = byName(all, 'lib.calls');
    expect(calls).toMatchObject({ kind: 'sum', scope: 'lib', series: [{ labels: { op: 'x' }, value: 4 }] });

    const phases = byName(all, 'performance.phase.duration');
    if (phases.kind !== 'histogram') throw new Error(`phases read as ${phases.kind}`);
    const series = phases.series.find((s) => s.labels['phase'] === 'checkout')!;
    expect(series.histogram.count).toBe(1);
    expect(series.exemplars).toHaveLength(1);
    const ex = series.exemplars![0]!;
    // The one recorded value's bucket (which one depends on how long the phase took on this machine).
    expect(ex).toMatchObject({ traceId, spanId, bucket: series.histogram.counts.indexOf(1) });
    expect(ex.value).toBeCloseTo(series.histogram.sum, 12);
    expect(Math.abs(ex.timestamp - Date.now())).toBeLessThan(60_000);

    // The endpoint takes the same route, so its numbers are read()'s.
    const scrape = await new PrometheusEndpoint(monitoring.collector, { host: '127.0.0.1', port: 0 }).scrape(true);
    expect(scrape.body).toContain('lib_calls_total{op="x"} 4\n');
    expect(scrape.body).toContain(`performance_phase_duration_seconds_count{phase="checkout"} 1\n`);
    expect(scrape.body).toContain(`# {trace_id="${traceId}",span_id="${spanId}"}`);
  });
});
