import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryCollector } from '../../src/collectors/MemoryCollector.js';
import { explicitBucketsView, exponentialHistogramView } from '../../src/collectors/views.js';
import { ConfigurationError } from '../../src/errors/MonitoringError.js';
import { mulberry32 } from '../helpers/seededRandom.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('advanced instruments through MemoryCollector and the OTel producer', () => {
  it('exponential histograms export as OTel EXPONENTIAL_HISTOGRAM points', async () => {
    const c = new MemoryCollector();
    const h = c.exponentialHistogram('payload_bytes', { maxSize: 40, unit: 'By' });
    const b = h.bind({ route: '/upload' });
    for (let i = 1; i <= 1000; i++) b.record(i);
    h.record(Number.NaN, { route: '/upload' });
    const m = await c.readMetric('payload_bytes');
    expect(m?.kind).toBe('exponential_histogram');
    expect(m?.unit).toBe('By');
    expect(m?.series[0]?.labels).toEqual({ route: '/upload' });
    expect(m?.series[0]?.histogram).toMatchObject({ count: 1000, sum: 500500, min: 1, max: 1000 });
    const point = (await c.collect()).resourceMetrics.scopeMetrics[0]!.metrics.find((x) => x.descriptor.name === 'payload_bytes')!.dataPoints[0]!;
    const value = point.value as { scale: number; positive: { bucketCounts: number[] } };
    expect(value.positive.bucketCounts.length).toBeLessThanOrEqual(40);
    expect(value.positive.bucketCounts.reduce((a, x) => a + x, 0)).toBe(1000);
    const series = h.series({ route: '/upload' })!;
    expect(series.scale).toBe(value.scale);
    expect(Math.abs(series.quantile(0.5) - 500) / 500).toBeLessThanOrEqual(series.relativeError);
    expect(c.droppedRecords()).toEqual({ non_finite: 1 });
    expect(() => c.exponentialHistogram('x_bytes', { maxSize: 1 })).toThrow(/maxSize/);
  });

  it('OTel instruments get exponential or explicit buckets through views', async () => {
    const c = new MemoryCollector({
      views: [exponentialHistogramView('otel.exp', 20), explicitBucketsView('otel.explicit', [1, 10, 100])],
    });
    const meter = c.getMeter('lib');
    const exp = meter.createHistogram('otel.exp');
    const explicit = meter.createHistogram('otel.explicit');
    for (const v of [0.5, 5, 50, 500]) {
      exp.record(v);
      explicit.record(v);
    }
    expect((await c.readMetric('otel.exp'))?.kind).toBe('exponential_histogram');
    expect((await c.readMetric('otel.explicit'))?.series[0]?.histogram).toMatchObject({ boundaries: [1, 10, 100], counts: [1, 1, 1, 1] });
    expect(() => explicitBucketsView('x', [3, 2])).toThrow(ConfigurationError);
    await c.shutdown();
  });

  it('summaries export one gauge per quantile plus window count and mean, and forget old values', async () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
    const c = new MemoryCollector();
    const s = c.summary('checkout_seconds', { maxAgeSeconds: 60, ageBuckets: 3, quantiles: [0.5, 0.99, 0.999] });
    for (let i = 1; i <= 100; i++) s.record(i / 100, { region: 'eu' });
    const read = async (name: string) => (await c.readMetric(name))?.series;
    expect((await read('checkout_seconds_p50'))?.[0]?.labels).toEqual({ region: 'eu' });
    expect((await read('checkout_seconds_p50'))?.[0]?.value).toBeCloseTo(0.5, 1);
    expect((await read('checkout_seconds_p99'))?.[0]?.value).toBeCloseTo(0.99, 1);
    expect((await read('checkout_seconds_p99_9'))?.[0]?.value).toBeCloseTo(1, 1);
    expect((await read('checkout_seconds_window_observations'))?.[0]).toEqual({ labels: { region: 'eu' }, value: 100, startTimestamp: expect.any(Number), timestamp: expect.any(Number) });
    expect((await read('checkout_seconds_window_mean'))?.[0]?.value).toBeCloseTo(0.505, 6);
    vi.advanceTimersByTime(61_000);
    expect(await read('checkout_seconds_p50')).toEqual([]);
    expect((await read('checkout_seconds_window_observations'))?.[0]?.value).toBe(0);
    expect(() => c.summary('bad_seconds', { ageBuckets: 0 })).toThrow(/ageBuckets/);
    c.counter('taken_p50');
    expect(() => c.summary('taken', { quantiles: [0.5] })).toThrow(/taken_p50/);
  });

  it('reservoirs export weighted quantiles and a decayed count, empty after idling', async () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
    const c = new MemoryCollector();
    const r = c.reservoir('render_ms', { size: 256, random: mulberry32(1), quantiles: [0.5] });
    const bound = r.bind({ page: 'home' });
    for (let i = 0; i < 1000; i++) bound.record(20);
    expect(r.snapshot({ page: 'home' })?.quantile(0.5)).toBe(20);
    expect((await c.readMetric('render_ms_p50'))?.series).toEqual([{ labels: { page: 'home' }, value: 20, startTimestamp: expect.any(Number), timestamp: expect.any(Number) }]);
    expect((await c.readMetric('render_ms_decayed_observations'))?.series[0]?.value).toBeCloseTo(1000, 6);
    vi.advanceTimersByTime(10 * 60_000);
    expect((await c.readMetric('render_ms_p50'))?.series).toEqual([]);
    expect(() => c.reservoir('bad_ms', { alpha: 0 })).toThrow(/alpha/);
  });

  it('HyperLogLog counts distinct values per label set and exports the estimate as a gauge', async () => {
    const c = new MemoryCollector();
    const users = c.hyperLogLog('unique_users', { precision: 12 });
    const pro = users.bind({ plan: 'pro' });
    for (let i = 0; i < 3000; i++) pro.add(`user-${i % 1000}`);
    users.add('someone', { plan: 'free' });
    expect(Math.abs(users.count({ plan: 'pro' }) - 1000)).toBeLessThan(1000 * 3 * (1.04 / 64));
    expect(users.count({ plan: 'free' })).toBe(1);
    const m = await c.readMetric('unique_users');
    expect(m?.kind).toBe('gauge');
    expect(m?.series.find((p) => p.labels['plan'] === 'free')?.value).toBe(1);
    users.reset();
    expect(users.count({ plan: 'pro' })).toBe(0);
    expect(() => c.hyperLogLog('bad', { precision: 3 })).toThrow(/precision/);
    expect(c.metricNames()).toContain('unique_users');
  });
});
