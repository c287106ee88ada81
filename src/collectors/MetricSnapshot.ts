import type { Attributes, HrTime } from '@opentelemetry/api';
import { DataPointType, type DataPoint, type Histogram, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { exemplarsOf } from './exemplars.js';
import { bucketQuantile } from './series.js';

/** A recorded value linked to the sampled span it was recorded in (trace correlation). */
export interface ExemplarSnapshot {
  readonly value: number;
  /** Wall-clock milliseconds when it was recorded. */
  readonly timestamp: number;
  readonly traceId: string;
  readonly spanId: string;
  /** Index of the bucket (as in `histogram.counts`) the value fell in. */
  readonly bucket: number;
}

/** Histogram data of one series: statistics and per-bucket (not cumulative) counts, OTel style. */
export interface HistogramData {
  count: number;
  sum: number;
  min?: number | undefined;
  max?: number | undefined;
  /** Bucket upper bounds; `counts` has one more entry, for the values above the last bound. Empty for exponential histograms. */
  boundaries: number[];
  counts: number[];
}

/** One label set of a counter, up-down counter or gauge. */
export interface ValueSeriesSnapshot {
  readonly labels: Attributes;
  readonly value: number;
  readonly histogram?: undefined;
  /** Wall-clock ms since which a cumulative value has been counting (resets show up as a newer start). */
  readonly startTimestamp: number;
  /** Wall-clock ms the value was read at. */
  readonly timestamp: number;
}

/** One label set of a histogram. */
export interface HistogramSeriesSnapshot {
  readonly labels: Attributes;
  readonly value?: undefined;
  readonly histogram: HistogramData;
  /** At most one per bucket; absent when the series has none. */
  readonly exemplars?: readonly ExemplarSnapshot[];
  readonly startTimestamp: number;
  readonly timestamp: number;
}

/** One series of a metric from `collector.read()`. */
export type SeriesSnapshot = ValueSeriesSnapshot | HistogramSeriesSnapshot;

interface MetricSnapshotBase {
  /** The OTel instrument name (`http.server.request.duration`, `orders_total`). */
  readonly name: string;
  /** Instrumentation scope: `service-infrastructure` for the collector's own metrics, else the meter's name. */
  readonly scope: string;
  readonly unit: string;
  readonly description: string;
}

/** A counter (`sum`, monotonic), up-down counter (`sum`, not monotonic) or gauge. */
export interface ValueMetricSnapshot extends MetricSnapshotBase {
  readonly kind: 'sum' | 'gauge';
  readonly monotonic: boolean;
  readonly series: readonly ValueSeriesSnapshot[];
}

/** An explicit-bucket or base-2 exponential histogram. */
export interface HistogramMetricSnapshot extends MetricSnapshotBase {
  readonly kind: 'histogram' | 'exponential_histogram';
  readonly monotonic: false;
  readonly series: readonly HistogramSeriesSnapshot[];
}

/**
 * One metric as `collector.read()` returns it: the collector's cells and any OTel instrument of the
 * same MeterProvider, in one typed shape. Narrow on `kind` to reach `value` or `histogram`.
 */
export type MetricSnapshot = ValueMetricSnapshot | HistogramMetricSnapshot;

/** OTel metric data (from any `MetricReader.collect()`) as typed snapshots. */
export function toMetricSnapshots(resourceMetrics: ResourceMetrics): MetricSnapshot[] {
  const out: MetricSnapshot[] = [];
  for (const sm of resourceMetrics.scopeMetrics) for (const m of sm.metrics) out.push(toSnapshot(sm.scope.name, m));
  return out;
}

function ms(t: HrTime): number {
  return t[0] * 1e3 + t[1] / 1e6;
}

function toSnapshot(scope: string, m: MetricData): MetricSnapshot {
  const base = { name: m.descriptor.name, scope, unit: m.descriptor.unit, description: m.descriptor.description };
  switch (m.dataPointType) {
    case DataPointType.SUM:
    case DataPointType.GAUGE:
      return {
        ...base,
        kind: m.dataPointType === DataPointType.SUM ? 'sum' : 'gauge',
        monotonic: m.dataPointType === DataPointType.SUM && m.isMonotonic,
        series: m.dataPoints.map((p) => ({ labels: p.attributes, value: p.value, startTimestamp: ms(p.startTime), timestamp: ms(p.endTime) })),
      };
    case DataPointType.HISTOGRAM:
      return { ...base, kind: 'histogram', monotonic: false, series: m.dataPoints.map(histogramSeries) };
    case DataPointType.EXPONENTIAL_HISTOGRAM:
      return {
        ...base,
        kind: 'exponential_histogram',
        monotonic: false,
        series: m.dataPoints.map((p) => ({
          labels: p.attributes,
          histogram: { count: p.value.count, sum: p.value.sum ?? 0, min: p.value.min, max: p.value.max, boundaries: [], counts: [] },
          startTimestamp: ms(p.startTime),
          timestamp: ms(p.endTime),
        })),
      };
  }
}

function histogramSeries(p: DataPoint<Histogram>): HistogramSeriesSnapshot {
  const h = p.value;
  const histogram = { count: h.count, sum: h.sum ?? 0, min: h.min, max: h.max, boundaries: [...h.buckets.boundaries], counts: [...h.buckets.counts] };
  const exemplars = exemplarsOf(p);
  const times = { startTimestamp: ms(p.startTime), timestamp: ms(p.endTime) };
  if (exemplars === undefined) return { labels: p.attributes, histogram, ...times };
  return {
    labels: p.attributes,
    histogram,
    exemplars: exemplars.map((e) => ({ value: e.value, timestamp: ms(e.timestamp), traceId: e.traceId, spanId: e.spanId, bucket: e.bucket })),
    ...times,
  };
}

/** Quantile of a histogram from `read()` by Prometheus' interpolation rule (`histogram_quantile`). */
export function histogramQuantile(q: number, h: HistogramData): number {
  return bucketQuantile(q, h.boundaries, h.counts, h.count);
}
