import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  type CollectionResult,
  type DataPoint,
  type Histogram,
  type MetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import type { CellExemplar, ExemplarHistogramDataPoint } from './exemplars.js';
import type { MetricFamily, MetricStore } from './MetricStore.js';
import type { HistogramExemplar, HistogramSeries } from './series.js';

/** Instrumentation scope under which the SDK's own cells are exported. */
export const SCOPE = Object.freeze({ name: 'service-infrastructure', version: '0.1.0' });

/**
 * Exposes a `MetricStore` to OTel readers as cumulative metric data: the one route from
 * the cells to every consumer (`collector.read()`, the Prometheus endpoint, OTLP). A reader lists
 * it in `metricProducers`, so the cells are exported beside whatever OTel instruments recorded,
 * without OTel's per-call attribute hashing on the record path. Histogram points that hold
 * exemplars are `ExemplarHistogramDataPoint`s.
 */
export class CellMetricProducer implements MetricProducer {
  constructor(private readonly _store: MetricStore) {}

  async collect(): Promise<CollectionResult> {
    return {
      resourceMetrics: { resource: emptyResource(), scopeMetrics: [{ scope: SCOPE, metrics: this.metricData() }] },
      errors: [],
    };
  }

  /** The store's current content as OTel metric data (synchronous). */
  metricData(): MetricData[] {
    const now = hrTime();
    const out: MetricData[] = [];
    for (const fam of this._store.families.values()) {
      const data = toMetricData(fam, now);
      if (data !== null) out.push(data);
    }
    for (const data of this._instrumentData(now)) out.push(data);
    return out;
  }

  /** Only the advanced instruments (summaries, reservoirs, exponential histograms, HyperLogLogs). */
  private _instrumentData(now: HrTime): MetricData[] {
    const out: MetricData[] = [];
    for (const instrument of this._store.instruments.values()) for (const data of instrument.metricData(now)) out.push(data);
    return out;
  }
}

function toMetricData(fam: MetricFamily, now: HrTime): MetricData | null {
  if (fam.canonical.size === 0 && fam.overflow === null) return null;
  const descriptor = { name: fam.name, description: fam.description, unit: fam.unit, valueType: ValueType.DOUBLE };
  if (fam.kind === 'histogram') {
    const boundaries = Array.from(fam.boundaries);
    return {
      descriptor,
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: fam.all().map((s) => histogramPoint(s, boundaries, now)),
    };
  }
  const points = fam.all().map((s) => ({ attributes: s.attributes, startTime: s.startTime, endTime: now, value: s.value }));
  if (fam.kind === 'gauge') {
    return { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.GAUGE, dataPoints: points };
  }
  return {
    descriptor,
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.SUM,
    isMonotonic: fam.kind === 'counter',
    dataPoints: points,
  };
}

// Built with plain literals and a counted loop: `Array.from(Float64Array)` and object spreads made
// this conversion cost as much as rendering the result (10,000 series, scratch measurement).
function histogramPoint(s: HistogramSeries, boundaries: number[], now: HrTime): DataPoint<Histogram> | ExemplarHistogramDataPoint {
  const n = s.counts.length;
  const counts = new Array<number>(n);
  for (let i = 0; i < n; i++) counts[i] = s.counts[i]!;
  const value: Histogram = s.count > 0
    ? { buckets: { boundaries, counts }, count: s.count, sum: s.sum, min: s.min, max: s.max }
    : { buckets: { boundaries, counts }, count: 0, sum: 0 };
  if (s.exemplars === null) return { attributes: s.attributes, startTime: s.startTime, endTime: now, value };
  return { attributes: s.attributes, startTime: s.startTime, endTime: now, value, exemplars: exemplarList(s.exemplars) };
}

const NO_ATTRIBUTES: Attributes = Object.freeze({});

function exemplarList(all: readonly (HistogramExemplar | undefined)[]): CellExemplar[] {
  const out: CellExemplar[] = [];
  for (let i = 0; i < all.length; i++) {
    const ex = all[i];
    if (ex === undefined) continue;
    const secs = Math.floor(ex.timeMs / 1000);
    out.push({
      filteredAttributes: NO_ATTRIBUTES,
      value: ex.value,
      timestamp: [secs, (ex.timeMs - secs * 1000) * 1e6],
      traceId: ex.traceId,
      spanId: ex.spanId,
      bucket: i,
    });
  }
  return out;
}
