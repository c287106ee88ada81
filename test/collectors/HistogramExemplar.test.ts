import { hrTime } from '@opentelemetry/core';
import { DataPointType } from '@opentelemetry/sdk-metrics';
import { exemplarsOf } from '../../src/collectors/exemplars.js';
import { describe, expect, it } from 'vitest';
import { CellMetricProducer } from '../../src/collectors/CellMetricProducer.js';
import { MetricStore } from '../../src/collectors/MetricStore.js';
import { HistogramSeries } from '../../src/collectors/series.js';

describe('HistogramSeries exemplars', () => {
  it('keeps the last exemplar per bucket and counts exemplar records like plain ones', () => {
    const s = new HistogramSeries({}, hrTime(), Float64Array.from([1, 10]), false);
    expect(s.exemplars).toBeNull();
    s.record(0.5);
    expect(s.exemplars).toBeNull(); // plain records allocate nothing
    s.recordWithExemplar(0.7, 'a'.repeat(32), '1'.repeat(16));
    s.recordWithExemplar(0.9, 'b'.repeat(32), '2'.repeat(16));
    s.recordWithExemplar(50, 'c'.repeat(32), '3'.repeat(16));
    expect(s.count).toBe(4);
    expect(Array.from(s.counts)).toEqual([3, 0, 1]);
    expect(s.sum).toBeCloseTo(52.1, 9);
    expect(s.exemplars![0]).toMatchObject({ value: 0.9, traceId: 'b'.repeat(32), spanId: '2'.repeat(16) });
    expect(s.exemplars![1]).toBeUndefined();
    expect(s.exemplars![2]).toMatchObject({ value: 50, traceId: 'c'.repeat(32) });
    expect(Math.abs(s.exemplars![2]!.timeMs - Date.now())).toBeLessThan(60_000);
  });

  it('reaches OTel data points through CellMetricProducer, ordered by bucket', () => {
    const store = new MetricStore();
    const fam = store.declare('latency_seconds', 'histogram', { buckets: [0.1, 1] });
    const series = fam.get({ route: '/a' })!;
    series.recordWithExemplar(2, 'd'.repeat(32), '4'.repeat(16));
    series.recordWithExemplar(0.05, 'e'.repeat(32), '5'.repeat(16));
    fam.get({ route: '/b' })!.record(0.5);
    const data = new CellMetricProducer(store).metricData().find((m) => m.descriptor.name === 'latency_seconds')!;
    expect(data.dataPointType).toBe(DataPointType.HISTOGRAM);
    if (data.dataPointType !== DataPointType.HISTOGRAM) return;
    const [a, b] = data.dataPoints;
    expect(a!.attributes).toEqual({ route: '/a' });
    const ex = exemplarsOf(a!);
    expect(ex!.map((e) => [e.bucket, e.traceId[0], e.value])).toEqual([
      [0, 'e', 0.05],
      [2, 'd', 2],
    ]);
    expect(ex![0]!.timestamp[1]).toBeLessThan(1e9);
    expect(exemplarsOf(b!)).toBeUndefined();
    expect('exemplars' in b!).toBe(false);
  });
});
