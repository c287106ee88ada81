import type { Attributes, HrTime } from '@opentelemetry/api';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';

/**
 * An exemplar in OTel's data model: a recorded value with the sampled span it was recorded in, so
 * a latency bucket links to a trace. Shaped like `sdk-metrics`' internal `Exemplar` (which the 2.12
 * SDK neither exports nor puts on its data points), plus the index of the bucket it fell in.
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

/**
 * A histogram data point that carries exemplars, one per bucket at most, ordered by bucket. The
 * collector's histogram cells produce these; OTel's own instruments produce plain points. Our
 * exporters (Prometheus/OpenMetrics, OTLP) and `collector.read()` read the field through
 * `exemplarsOf`, so nothing else has to know it is there.
 *
 * Why a field of our own: OTel JS 2.12's `DataPoint` has no exemplars (see
 * docs/decisions/001-exemplars-on-data-points.md).
 */
export interface ExemplarHistogramDataPoint extends DataPoint<Histogram> {
  readonly exemplars: readonly CellExemplar[];
}

/** The exemplars of a histogram data point, or undefined when it has none (OTel's own points never do). */
export function exemplarsOf(point: DataPoint<Histogram>): readonly CellExemplar[] | undefined {
  return hasExemplars(point) && point.exemplars.length > 0 ? point.exemplars : undefined;
}

function hasExemplars(point: DataPoint<Histogram>): point is ExemplarHistogramDataPoint {
  return 'exemplars' in point && Array.isArray(point.exemplars);
}
