import type { Attributes, HrTime } from '@opentelemetry/api';
import { newDDSketch } from '../internal/ddsketch.js';

/** Relative accuracy of the DDSketch behind histogram percentiles: p-quantiles are within 1%. */
export const SKETCH_RELATIVE_ACCURACY = 0.01;

/** One label set of a counter, up-down counter or gauge. */
export class ValueSeries {
  value = 0;
  /** Bumped on every write, so exporters can tell a gauge that was set from one that was not. */
  updates = 0;
  constructor(
    readonly attributes: Attributes,
    readonly startTime: HrTime,
  ) {}

  add(delta: number): void {
    this.value += delta;
    this.updates++;
  }

  set(value: number): void {
    this.value = value;
    this.updates++;
  }
}

/**
 * A recorded value with the sampled span it was recorded in (trace correlation: a
 * latency bucket in Prometheus or OTLP links to the trace that landed there).
 */
export class HistogramExemplar {
  value = 0;
  /** Wall-clock milliseconds when recorded. */
  timeMs = 0;
  traceId = '';
  spanId = '';
}

/**
 * One label set of a histogram: bucket counts over fixed boundaries (OTel semantics:
 * bucket i holds boundaries[i-1] < v <= boundaries[i]), count, sum, min, max, and optionally a
 * DDSketch for percentiles with a stated relative error.
 */
/**
 * What a series needs of its sketch (DDSketch's `accept`, `getValueAtQuantile`, `count`), declared
 * here so the published declarations do not import `@datadog/sketches-js`' types, which fail a
 * consumer's `skipLibCheck: false`.
 */
export interface QuantileSketch {
  readonly count: number;
  accept(value: number, weight?: number): void;
  getValueAtQuantile(quantile: number): number;
}

export class HistogramSeries {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  readonly counts: Float64Array;
  readonly sketch: QuantileSketch | null;
  /** Last exemplar per bucket (index as in `counts`); null until the first one, so plain series pay nothing. */
  exemplars: (HistogramExemplar | undefined)[] | null = null;
  /** Values still to skip before the next sampled one (only used when `sampleEvery` > 1). */
  private _countdown: number;

  constructor(
    readonly attributes: Attributes,
    readonly startTime: HrTime,
    readonly boundaries: Float64Array,
    withSketch: boolean,
    /** Record one value in this many, weighted by it (1 = every value). */
    readonly sampleEvery = 1,
  ) {
    this.counts = new Float64Array(boundaries.length + 1);
    this.sketch = withSketch ? newDDSketch(SKETCH_RELATIVE_ACCURACY) : null;
    this._countdown = 1;
  }

  record(value: number): void {
    this._record(value);
  }

  /**
   * Records `value` and keeps it as the exemplar of its bucket, with the span it was recorded in.
   * One reused `Exemplar` per bucket (the last one wins, as in OTel's aligned-histogram reservoir),
   * so this allocates only the first time a bucket gets an exemplar. Pass `timeMs` when the
   * caller has the time already (a span's end): `Date.now()` is about half of this call's cost.
   * A value skipped by sampling leaves the exemplars as they were.
   */
  recordWithExemplar(value: number, traceId: string, spanId: string, timeMs: number = Date.now()): void {
    const i = this._record(value);
    if (i < 0) return;
    const all = (this.exemplars ??= new Array<HistogramExemplar | undefined>(this.counts.length));
    let ex = all[i];
    if (ex === undefined) {
      ex = new HistogramExemplar();
      all[i] = ex;
    }
    ex.value = value;
    ex.timeMs = timeMs;
    ex.traceId = traceId;
    ex.spanId = spanId;
  }

  /** Adds `value` (weighted by the sampling rate) and returns its bucket's index, or -1 when sampled out. */
  private _record(value: number): number {
    let w = 1;
    if (this.sampleEvery !== 1) {
      // A countdown rather than Math.random(): cheaper, and the kept fraction is exact.
      if (--this._countdown !== 0) return -1;
      this._countdown = w = this.sampleEvery;
    }
    this.count += w;
    this.sum += value * w;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    const b = this.boundaries;
    let lo = 0;
    let hi = b.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (value > b[mid]!) lo = mid + 1;
      else hi = mid;
    }
    this.counts[lo]! += w;
    if (this.sketch !== null) this.sketch.accept(value, w);
    return lo;
  }

  /** The q-quantile (0..1): from the sketch when kept, otherwise interpolated within buckets. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    if (q <= 0) return this.min;
    if (q >= 1) return this.max;
    if (this.sketch !== null) return clamp(this.sketch.getValueAtQuantile(nearestRankQ(q, this.sketch.count)), this.min, this.max);
    return clamp(bucketQuantile(q, this.boundaries, this.counts, this.count), this.min, this.max);
  }
}

/**
 * @internal The quantile to ask DDSketch for so that it answers by the nearest-rank rule, as the
 * coordinators' exact percentiles do. DDSketch ranks by `q * (n - 1)` and returns the first value
 * whose cumulative count exceeds it: for {45.2, 100} its p99 is 45.2 (rank 0.99 falls in the first
 * value). Nearest rank takes the ceil(q * n)-th value, 100 here; asking for rank r + 0.5 picks it.
 */
export function nearestRankQ(q: number, count: number): number {
  if (count <= 1) return q;
  const rank = Math.max(0, Math.ceil(q * count - 1e-9) - 1);
  return Math.min(1, (rank + 0.5) / (count - 1));
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Prometheus' `histogram_quantile` rule: linear interpolation inside the bucket holding rank q*count. */
export function bucketQuantile(q: number, boundaries: ArrayLike<number>, counts: ArrayLike<number>, count: number): number {
  const rank = q * count;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (seen + c >= rank && c > 0) {
      const upper = i < boundaries.length ? boundaries[i]! : Infinity;
      const lower = i === 0 ? Math.min(0, upper) : boundaries[i - 1]!;
      if (upper === Infinity) return lower;
      return lower + ((upper - lower) * (rank - seen)) / c;
    }
    seen += c;
  }
  return boundaries.length > 0 ? boundaries[boundaries.length - 1]! : NaN;
}
