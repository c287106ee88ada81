import { MeterProvider, MetricReader, DataPointType, type ExponentialHistogram } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { ExponentialHistogramSeries, exponentialIndex, exponentialLowerBoundary } from '../../src/collectors/ExponentialHistogramSeries.js';
import { exponentialHistogramView } from '../../src/collectors/views.js';
import { exactQuantile, sample, type Distribution } from '../helpers/seededRandom.js';

class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** What OTel's own exponential aggregation makes of `values` (through a View on an OTel histogram). */
async function otelExponential(values: readonly number[], maxSize: number): Promise<ExponentialHistogram> {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader], views: [exponentialHistogramView('h', maxSize)] });
  const h = provider.getMeter('t').createHistogram('h');
  for (const v of values) h.record(v);
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics[0]!.metrics[0]!;
  expect(metric.dataPointType).toBe(DataPointType.EXPONENTIAL_HISTOGRAM);
  await provider.shutdown();
  return metric.dataPoints[0]!.value as ExponentialHistogram;
}

describe('ExponentialHistogramSeries', () => {
  it('maps values to the bucket whose bounds hold them, powers of two on the upper edge', () => {
    for (const scale of [-2, 0, 3, 10, 20]) {
      for (const v of [1, 2, 3, 0.001, 1024, 12345.678, 1e-9]) {
        const i = exponentialIndex(v, scale);
        const lower = exponentialLowerBoundary(i, scale);
        const upper = exponentialLowerBoundary(i + 1, scale);
        expect(v).toBeGreaterThan(lower * (1 - 1e-12));
        expect(v).toBeLessThanOrEqual(upper * (1 + 1e-12));
      }
    }
    expect(exponentialIndex(4, 0)).toBe(1); // (2, 4]
    expect(exponentialIndex(4.000001, 0)).toBe(2);
  });

  it.each(['uniform', 'long-tailed', 'bimodal'] as Distribution[])('produces the same scale, offsets and counts as OTel for %s data', async (dist) => {
    const values = sample(dist, 5000, 7);
    values.push(0, 0); // zeros go to zeroCount (OTel histograms refuse negative values, so none here)
    const ours = new ExponentialHistogramSeries({}, [0, 0], 160);
    for (const v of values) ours.record(v);
    const theirs = await otelExponential(values, 160);
    expect(ours.scale).toBe(theirs.scale);
    expect(ours.count).toBe(theirs.count);
    expect(ours.zeroCount).toBe(theirs.zeroCount);
    expect(ours.sum).toBeCloseTo(theirs.sum!, 6);
    expect(ours.positiveBuckets()).toEqual({ offset: theirs.positive.offset, bucketCounts: theirs.positive.bucketCounts });
    expect(ours.negativeBuckets()).toEqual({ offset: theirs.negative.offset, bucketCounts: theirs.negative.bucketCounts });
  });

  it.each(['uniform', 'long-tailed', 'bimodal'] as Distribution[])('quantiles of %s data are within the stated relative error', (dist) => {
    for (const seed of [1, 2, 3]) {
      const values = sample(dist, 20_000, seed);
      const s = new ExponentialHistogramSeries({}, [0, 0], 160);
      for (const v of values) s.record(v);
      const sorted = [...values].sort((a, b) => a - b);
      const bound = s.relativeError;
      expect(bound).toBeLessThan(0.05);
      for (const q of [0.5, 0.9, 0.95, 0.99]) {
        const exact = exactQuantile(sorted, q);
        expect(Math.abs(s.quantile(q) - exact) / exact).toBeLessThanOrEqual(bound + 1e-9);
      }
    }
  });

  it('keeps negative values in their own buckets, mirrored', () => {
    const s = new ExponentialHistogramSeries({}, [0, 0]);
    for (const v of [-1, -2, -3, 0, 3]) s.record(v);
    expect(s.negativeBuckets().bucketCounts.reduce((a, b) => a + b, 0)).toBe(3);
    expect(s.zeroCount).toBe(1);
    expect(s.quantile(0.2)).toBeCloseTo(-3, 1);
    expect(s.quantile(0.6)).toBeCloseTo(-1, 1);
    expect(s.quantile(0.8)).toBe(0);
    expect(s.quantile(1)).toBe(3);
  });

  it('downscales so the bucket count never exceeds maxSize', () => {
    const s = new ExponentialHistogramSeries({}, [0, 0], 8);
    for (let v = 1e-6; v < 1e9; v *= 1.7) s.record(v);
    expect(s.positiveBuckets().bucketCounts.length).toBeLessThanOrEqual(8);
    expect(s.positiveBuckets().bucketCounts.reduce((a, b) => a + b, 0)).toBe(s.count);
    expect(s.scale).toBeLessThan(0);
  });

  it('refuses NaN and infinities without changing state', () => {
    const s = new ExponentialHistogramSeries({}, [0, 0]);
    expect(s.record(Number.NaN)).toBe(false);
    expect(s.record(Infinity)).toBe(false);
    expect(s.count).toBe(0);
  });
});
