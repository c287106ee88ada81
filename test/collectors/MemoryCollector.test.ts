import { diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DROPPED_METRIC, InvalidRecordError, MemoryCollector, histogramQuantile } from '../../src/index.js';
import { resetReported } from '../../src/internal/report.js';

describe('MemoryCollector', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
    resetReported();
  });

  it("runs the seed's example and reads values back at once", () => {
    const collector = new MemoryCollector();
    collector.incrementCounter('requests_total', { endpoint: '/api/v1' });
    collector.incrementCounter('requests_total', { endpoint: '/api/v1' }, 2);
    collector.recordGauge('memory_usage_mb', 256.5);
    collector.recordHistogram('response_time_ms', 45.2);
    expect(collector.getCounterValue('requests_total', { endpoint: '/api/v1' })).toBe(3);
    expect(collector.getCounterValue('requests_total', { endpoint: '/other' })).toBeUndefined();
    expect(collector.getGaugeValue('memory_usage_mb')).toBe(256.5);
    const h = collector.getHistogram('response_time_ms')!;
    expect(h).toMatchObject({ count: 1, sum: 45.2, min: 45.2, max: 45.2 });
    expect(h.buckets.find((b) => b.le === 50)!.count).toBe(1);
    expect(h.buckets.find((b) => b.le === 25)!.count).toBe(0);
  });

  it('treats label order as irrelevant: one series per label set', () => {
    const c = new MemoryCollector();
    c.incrementCounter('hits_total', { a: '1', b: '2' });
    c.incrementCounter('hits_total', { b: '2', a: '1' });
    c.incrementCounter('hits_total', { a: 1, b: 2 });
    expect(c.getSeries('hits_total')).toEqual([{ labels: { a: '1', b: '2' }, value: 3 }]);
    // Reads find the series whatever the key order or value type, and never create one.
    expect(c.getCounterValue('hits_total', { b: 2, a: '1' })).toBe(3);
    expect(c.getCounterValue('hits_total', { a: '1' })).toBeUndefined();
    expect(c.getSeries('hits_total')).toHaveLength(1);
  });

  it('computes percentiles within the stated 1% relative error', () => {
    const c = new MemoryCollector();
    const values: number[] = [];
    let seed = 7;
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const v = 1 + (seed / 2 ** 31) ** 3 * 1000; // long-tailed
      values.push(v);
      c.recordHistogram('latency_ms', v);
    }
    values.sort((a, b) => a - b);
    const h = c.getHistogram('latency_ms')!;
    expect(h.relativeError).toBe(0.01);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = values[Math.ceil(q * values.length) - 1]!;
      expect(Math.abs(h.percentile(q) - exact) / exact).toBeLessThanOrEqual(0.0101);
    }
  });

  it('without detail, percentiles are interpolated from buckets (no sketch)', () => {
    const c = new MemoryCollector({ detailed: false });
    for (let i = 1; i <= 100; i++) c.recordHistogram('d_ms', i);
    const h = c.getHistogram('d_ms')!;
    expect(h.relativeError).toBeUndefined();
    expect(h.p50).toBeGreaterThanOrEqual(25);
    expect(h.p50).toBeLessThanOrEqual(75);
  });

  it('declares histogram buckets per metric, and rejects bad ones at setup', () => {
    const c = new MemoryCollector();
    c.declare('payload_bytes', 'histogram', { buckets: [100, 1000, 10000] });
    c.recordHistogram('payload_bytes', 500);
    expect(c.getHistogram('payload_bytes')!.buckets.map((b) => b.le)).toEqual([100, 1000, 10000, Infinity]);
    expect(() => c.declare('bad_hist', 'histogram', { buckets: [5, 1] })).toThrow(/buckets/);
    expect(() => c.declare('bad name', 'counter')).toThrow(/"bad name"/);
    expect(() => c.declare('payload_bytes', 'counter')).toThrow(/payload_bytes/);
  });

  it('drops invalid records, counts them by reason, reports each once, never throws', () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const c = new MemoryCollector();
    expect(() => {
      c.incrementCounter('bad name');
      c.incrementCounter('bad name');
      c.incrementCounter('ok_total', {}, -1);
      c.recordGauge('g', NaN);
      c.recordHistogram('h', Infinity);
      c.incrementCounter('ok_total', { 'bad-label': 'x' });
      c.recordGauge('ok_total', 1); // kind conflict: ok_total is a counter
    }).not.toThrow();
    expect(c.droppedRecords()).toEqual({ invalid_name: 2, negative_increment: 1, non_finite: 2, invalid_label: 1, kind_conflict: 1 });
    expect(c.getCounterValue(DROPPED_METRIC, { reason: 'invalid_name' })).toBe(2);
    expect(warn.mock.calls.filter((call) => String(call[0]).includes('bad name'))).toHaveLength(1);
  });

  it('strict mode throws instead', () => {
    const c = new MemoryCollector({ strict: true });
    expect(() => c.incrementCounter('x_total', {}, -1)).toThrow(InvalidRecordError);
    expect(() => c.recordGauge('bad name', 1)).toThrow(/bad name/);
  });

  it('bounds cardinality per metric with an overflow series', () => {
    const c = new MemoryCollector({ maxCardinality: 3 });
    for (let i = 0; i < 10; i++) c.incrementCounter('users_total', { user: `u${i}` });
    const series = c.getSeries('users_total');
    expect(series).toHaveLength(4);
    expect(series.find((s) => s.labels['otel.metric.overflow'] === true)!.value).toBe(7);
    expect(c.droppedRecords()['cardinality_overflow']).toBe(7);
  });

  it('timers record elapsed milliseconds', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const c = new MemoryCollector();
    const stop = c.startTimer('job_duration_ms', { job: 'a' });
    vi.advanceTimersByTime(120);
    expect(stop()).toBeCloseTo(120, 0);
    expect(stop()).toBeCloseTo(120, 0);
    expect(c.getHistogram('job_duration_ms', { job: 'a' })!.count).toBe(1);
    const out = await c.time('job_duration_ms', async () => {
      vi.advanceTimersByTime(30);
      return 'done';
    }, { job: 'b' });
    expect(out).toBe('done');
    expect(c.getHistogram('job_duration_ms', { job: 'b' })!.sum).toBeCloseTo(30, 0);
    expect(() => c.time('job_duration_ms', () => {
      throw new Error('x');
    }, { job: 'c' })).toThrow('x');
    expect(c.getHistogram('job_duration_ms', { job: 'c' })!.count).toBe(1);
  });

  it('is an OTel MetricReader: OTel instruments of its provider are read back with its own cells', async () => {
    const c = new MemoryCollector();
    const meter = c.getMeter('some-instrumentation');
    meter.createCounter('http.client.requests').add(2, { method: 'GET' });
    meter.createHistogram('db.duration', { unit: 'ms' }).record(12, { db: 'pg' });
    c.incrementCounter('own_total', { k: 'v' }, 5);
    const read = await c.read();
    const byName = new Map(read.map((m) => [m.name, m]));
    expect(byName.get('http.client.requests')).toMatchObject({ kind: 'sum', monotonic: true, scope: 'some-instrumentation' });
    expect(byName.get('http.client.requests')!.series[0]).toMatchObject({ labels: { method: 'GET' }, value: 2 });
    const dbh = byName.get('db.duration')!.series[0]!.histogram!;
    expect(dbh.count).toBe(1);
    expect(histogramQuantile(0.5, dbh)).toBeGreaterThan(10);
    expect(byName.get('own_total')).toMatchObject({ kind: 'sum', scope: 'service-infrastructure' });
    expect(byName.get('own_total')!.series[0]).toMatchObject({ labels: { k: 'v' }, value: 5 });
    // OTel's own collect() sees the same.
    const { resourceMetrics } = await c.collect();
    const names = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name));
    expect(names).toEqual(expect.arrayContaining(['http.client.requests', 'own_total']));
  });

  it('getSnapshot() summarises every metric synchronously', () => {
    const c = new MemoryCollector();
    c.incrementCounter('a_total');
    c.recordGauge('b', 2, { x: 'y' });
    c.recordHistogram('c_ms', 3);
    const s = c.getSnapshot();
    expect(s.counters['a_total']).toEqual([{ labels: {}, value: 1 }]);
    expect(s.gauges['b']).toEqual([{ labels: { x: 'y' }, value: 2 }]);
    expect(s.histograms['c_ms']![0]!.summary.count).toBe(1);
  });
});
