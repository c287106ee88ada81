import type { Attributes, HrTime } from '@opentelemetry/api';

/** OTel's default and largest scale: buckets start this fine and widen only when the range demands it. */
export const EXPONENTIAL_MAX_SCALE = 20;
/** OTel's default bucket count per sign. */
export const EXPONENTIAL_DEFAULT_MAX_SIZE = 160;

const MIN_NORMAL = Math.pow(2, -1022);
const bits = new DataView(new ArrayBuffer(8));

/** Index of the base-2 exponential bucket holding `v` (> 0) at `scale`, exactly as OTel's mappings do. */
export function exponentialIndex(v: number, scale: number): number {
  bits.setFloat64(0, v);
  const hi = bits.getUint32(0);
  const exp = ((hi & 0x7ff00000) >> 20) - 1023;
  const pow2 = (hi & 0xfffff) === 0 && bits.getUint32(4) === 0;
  if (scale > 0) {
    if (v <= MIN_NORMAL) return (-1022 << scale) - 1;
    if (pow2) return (exp << scale) - 1;
    const index = Math.floor(Math.log(v) * Math.LOG2E * Math.pow(2, scale));
    const maxIndex = (1024 << scale) - 1;
    return index >= maxIndex ? maxIndex : index;
  }
  if (v < MIN_NORMAL) return -1022 >> -scale;
  return (exp + (pow2 ? -1 : 0)) >> -scale;
}

/** Lower boundary of bucket `index` at `scale`: bucket i holds (base^i, base^(i+1)], base = 2^(2^-scale). */
export function exponentialLowerBoundary(index: number, scale: number): number {
  return Math.pow(2, index * Math.pow(2, -scale));
}

/**
 * One sign's buckets: a ring of `size` cells over the index window [lo, hi]. The window
 * never spans more than `size` indexes (the series downscales first), so ring slots cannot collide.
 */
class Buckets {
  counts: Float64Array;
  base = 0;
  lo = 0;
  hi = -1;

  constructor(readonly size: number) {
    this.counts = new Float64Array(size);
  }

  get empty(): boolean {
    return this.hi < this.lo;
  }

  add(index: number, w: number): void {
    if (this.hi < this.lo) {
      this.base = this.lo = this.hi = index;
    } else if (index < this.lo) this.lo = index;
    else if (index > this.hi) this.hi = index;
    let slot = index - this.base;
    if (slot < 0) slot += this.size;
    this.counts[slot]! += w;
  }

  at(index: number): number {
    let slot = index - this.base;
    if (slot < 0) slot += this.size;
    return this.counts[slot]!;
  }

  /** Merges buckets pairwise `change` times (index >> change), re-basing the ring at the new low. */
  downscale(change: number, spare: Float64Array): Float64Array {
    if (this.hi < this.lo) return spare;
    spare.fill(0);
    const lo = this.lo >> change;
    for (let i = this.lo; i <= this.hi; i++) spare[(i >> change) - lo]! += this.at(i);
    const old = this.counts;
    this.counts = spare;
    this.base = lo;
    this.lo = lo;
    this.hi = this.hi >> change;
    return old;
  }

  toArray(): number[] {
    const out: number[] = [];
    for (let i = this.lo; i <= this.hi; i++) out.push(this.at(i));
    return out;
  }
}

/**
 * A base-2 exponential histogram series with OTel's semantics (the data model's
 * `ExponentialHistogramDataPoint`): it starts at scale 20 and halves its resolution whenever a value
 * falls outside `maxSize` buckets, so bucket widths adapt to the data without configuration and the
 * relative error of any quantile is at most `(2^(2^-scale) - 1) / (2^(2^-scale) + 1)`.
 *
 * @example
 * const s = new ExponentialHistogramSeries({}, [0, 0]);
 * s.record(12.5);
 * s.quantile(0.5); // within the bucket's relative error of 12.5
 */
export class ExponentialHistogramSeries {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  zeroCount = 0;
  scale: number;
  readonly positive: Buckets;
  readonly negative: Buckets;
  private _spare: Float64Array;

  constructor(
    readonly attributes: Attributes,
    readonly startTime: HrTime,
    readonly maxSize = EXPONENTIAL_DEFAULT_MAX_SIZE,
    maxScale = EXPONENTIAL_MAX_SCALE,
  ) {
    this.scale = maxScale;
    this.positive = new Buckets(maxSize);
    this.negative = new Buckets(maxSize);
    this._spare = new Float64Array(maxSize);
  }

  /** Records `value` (finite) with weight `w`; returns false (and records nothing) for NaN or infinities. */
  record(value: number, w = 1): boolean {
    if (!Number.isFinite(value)) return false;
    this.count += w;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (value === 0) {
      this.zeroCount += w;
      return true;
    }
    this.sum += value * w;
    const buckets = value > 0 ? this.positive : this.negative;
    const abs = value > 0 ? value : -value;
    let index = exponentialIndex(abs, this.scale);
    if (!buckets.empty) {
      // OTel's rule: halve the resolution until the window [low, high] fits in maxSize buckets.
      let low = index < buckets.lo ? index : buckets.lo;
      let high = index > buckets.hi ? index : buckets.hi;
      if (high - low >= this.maxSize) {
        let change = 0;
        while (high - low >= this.maxSize) {
          high >>= 1;
          low >>= 1;
          change++;
        }
        this._downscale(change);
        index = exponentialIndex(abs, this.scale);
      }
    }
    buckets.add(index, w);
    return true;
  }

  private _downscale(change: number): void {
    this._spare = this.positive.downscale(change, this._spare);
    this._spare = this.negative.downscale(change, this._spare);
    this.scale -= change;
  }

  /** Offset and counts of the positive buckets, as OTel's data point has them. */
  positiveBuckets(): { offset: number; bucketCounts: number[] } {
    return this.positive.empty ? { offset: 0, bucketCounts: [] } : { offset: this.positive.lo, bucketCounts: this.positive.toArray() };
  }

  negativeBuckets(): { offset: number; bucketCounts: number[] } {
    return this.negative.empty ? { offset: 0, bucketCounts: [] } : { offset: this.negative.lo, bucketCounts: this.negative.toArray() };
  }

  /** Largest relative error of `quantile()` at the current scale. */
  get relativeError(): number {
    const base = Math.pow(2, Math.pow(2, -this.scale));
    return (base - 1) / (base + 1);
  }

  /**
   * The q-quantile (0..1): the bucket holding rank q·count, reported as the harmonic mean of its
   * bounds, which balances the worst relative error at both ends of the bucket.
   */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    if (q <= 0) return this.min;
    if (q >= 1) return this.max;
    const rank = q * this.count;
    let seen = 0;
    const neg = this.negative;
    if (!neg.empty) {
      for (let i = neg.hi; i >= neg.lo; i--) {
        seen += neg.at(i);
        if (seen >= rank) return clamp(-this._representative(i), this.min, this.max);
      }
    }
    seen += this.zeroCount;
    if (seen >= rank) return 0;
    const pos = this.positive;
    if (!pos.empty) {
      for (let i = pos.lo; i <= pos.hi; i++) {
        seen += pos.at(i);
        if (seen >= rank) return clamp(this._representative(i), this.min, this.max);
      }
    }
    return this.max;
  }

  private _representative(index: number): number {
    const lower = exponentialLowerBoundary(index, this.scale);
    const upper = exponentialLowerBoundary(index + 1, this.scale);
    return (2 * lower * upper) / (lower + upper);
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
