import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  type CollectionResult,
  type MetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import { HistogramSeries, ValueSeries } from './series.js';
import type { MetricFamily, MetricStore } from './MetricStore.js';

/** Instrumentation scope under which the SDK's own cells are exported. */
export const SCOPE = Object.freeze({ name: 'service-infrastructure', version: '0.1.0' });

/**
 * @internal Exposes a `MetricStore` to OTel readers (in-memory, Prometheus, OTLP) as cumulative
 * metric data. A reader lists it in `metricProducers`, so our cells are exported beside whatever
 * OTel instruments recorded, without going through OTel's per-call attribute hashing.
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
    for (const data of this.instrumentData(now)) out.push(data);
    return out;
  }

  /** Only the advanced instruments (summaries, reservoirs, exponential histograms, HyperLogLogs). */
  instrumentData(now = hrTime()): MetricData[] {
    const out: MetricData[] = [];
    for (const instrument of this._store.instruments.values()) for (const data of instrument.metricData(now)) out.push(data);
    return out;
  }
}

function toMetricData(fam: MetricFamily, now: ReturnType<typeof hrTime>): MetricData | null {
  const series = fam.all();
  if (series.length === 0) return null;
  const descriptor = { name: fam.name, description: fam.description, unit: fam.unit, valueType: ValueType.DOUBLE };
  if (fam.kind === 'histogram') {
    const boundaries = Array.from(fam.boundaries);
    return {
      descriptor,
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: (series as HistogramSeries[]).map((s) => ({
        attributes: s.attributes,
        startTime: s.startTime,
        endTime: now,
        value: {
          buckets: { boundaries, counts: Array.from(s.counts) },
          count: s.count,
          sum: s.sum,
          ...(s.count > 0 ? { min: s.min, max: s.max } : {}),
        },
        ...(s.exemplars !== null ? { exemplars: exemplarsOf(s) } : {}),
      })),
    };
  }
  const points = (series as ValueSeries[]).map((s) => ({ attributes: s.attributes, startTime: s.startTime, endTime: now, value: s.value }));
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

/**
 * An exemplar as OTel's data model has it (`sdk-metrics`' internal `Exemplar`, which the 2.12 SDK
 * does not export): a histogram data point from `CellMetricProducer` carries them in an extra
 * `exemplars` field, one per bucket at most, ordered by bucket. Exporters that know the field
 * (ours: Prometheus/OpenMetrics and OTLP) render them; others ignore it.
 */
export interface CellExemplar {
  readonly filteredAttributes: Attributes;
  readonly value: number;
  readonly timestamp: HrTime;
  readonly traceId: string;
  readonly spanId: string;
  /** Index of the bucket (as in `buckets.counts`) the value fell in. */
  readonly bucket: number;
}

const NO_ATTRIBUTES: Attributes = Object.freeze({});

function exemplarsOf(s: HistogramSeries): CellExemplar[] {
  const out: CellExemplar[] = [];
  const all = s.exemplars!;
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
