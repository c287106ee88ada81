import type { Attributes, HrTime } from '@opentelemetry/api';

/** Dropwizard's default reservoir size, 1028 samples (documented there as 99.9% confidence, 5% margin of error, for normally distributed data). */
export const RESERVOIR_DEFAULT_SIZE = 1028;
/** Dropwizard's default decay factor per second: a sample's weight halves every ~46 s. */
export const RESERVOIR_DEFAULT_ALPHA = 0.015;
/** Landmark rescale period (Dropwizard: one hour), which keeps exp(α·(t − L)) far from overflow. */
const RESCALE_SECONDS = 3600;

/** What a reservoir read returns. */
export interface ReservoirSnapshot {
  /** Samples still inside the reservoir's horizon. */
  readonly size: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** The q-quantile (0..1) of the weighted samples; NaN when empty. */
  quantile(q: number): number;
}

/**
 * An exponentially decaying reservoir with forward decay (Cormode et al., as in Dropwizard's
 * `ExponentiallyDecayingReservoir`): a sample recorded at time t gets weight exp(α·(t − L)) and
 * priority weight / u (u uniform in (0, 1]); the `size` highest priorities are kept, so the
 * reservoir is a sample biased towards the last few minutes, and its quantiles are weighted.
 *
 * Unlike Dropwizard's, it also decays while idle: a sample whose weight relative to a fresh one has
 * fallen below `minWeight` (default 1%, i.e. older than ln(100)/α ≈ 5 minutes at the default α) is
 * left out of reads, so a service that stopped serving reports an empty reservoir instead of its
 * last busy minute forever. `decayedCount()` gives the forward-decayed event count, which falls
 * towards 0 while idle.
 *
 * Bounded: `size` samples in three typed arrays, allocated once. The clock is `Date.now()`.
 *
 * @example
 * const r = new ForwardDecayReservoir({}, [0, 0]);
 * r.record(120);
 * r.snapshot().quantile(0.99); // 120
 */
export class ForwardDecayReservoir {
  /** Heap of priorities (min at 0) with the value and record time (s) of each sample. */
  private readonly _priority: Float64Array;
  private readonly _value: Float64Array;
  private readonly _time: Float64Array;
  private _n = 0;
  private _landmark: number;
  private _nextRescale: number;
  /** Σ exp(α·(tᵢ − L)) over every record, for `decayedCount`. */
  private _forwardCount = 0;
  private readonly _maxAge: number;

  constructor(
    readonly attributes: Attributes,
    readonly startTime: HrTime,
    readonly size = RESERVOIR_DEFAULT_SIZE,
    readonly alpha = RESERVOIR_DEFAULT_ALPHA,
    readonly minWeight = 0.01,
    private readonly _random: () => number = Math.random,
  ) {
    this._priority = new Float64Array(size);
    this._value = new Float64Array(size);
    this._time = new Float64Array(size);
    this._landmark = Date.now() / 1000;
    this._nextRescale = this._landmark + RESCALE_SECONDS;
    this._maxAge = Math.log(1 / minWeight) / alpha;
  }

  /** Offers a finite value to the reservoir; returns false for NaN or infinities. */
  record(value: number): boolean {
    if (!Number.isFinite(value)) return false;
    const t = Date.now() / 1000;
    if (t >= this._nextRescale) this._rescale(t);
    const weight = Math.exp(this.alpha * (t - this._landmark));
    this._forwardCount += weight;
    // 1 - random() is in (0, 1], so the priority is finite.
    const priority = weight / (1 - this._random());
    if (this._n < this.size) {
      this._push(priority, value, t);
    } else if (priority > this._priority[0]!) {
      this._replaceMin(priority, value, t);
    }
    return true;
  }

  /**
   * Forward-decayed number of records as of now: each record counts exp(−α·age). A steady rate r
   * per second converges to r/α; it falls towards 0 while idle.
   */
  decayedCount(): number {
    const t = Date.now() / 1000;
    return this._forwardCount * Math.exp(-this.alpha * (t - this._landmark));
  }

  /** Weighted statistics of the samples within the horizon, as of now. */
  snapshot(): ReservoirSnapshot {
    const now = Date.now() / 1000;
    const idx: number[] = [];
    for (let i = 0; i < this._n; i++) if (now - this._time[i]! <= this._maxAge) idx.push(i);
    idx.sort((a, b) => this._value[a]! - this._value[b]!);
    const values = new Float64Array(idx.length);
    const cumulative = new Float64Array(idx.length);
    let total = 0;
    let weightedSum = 0;
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k]!;
      const w = Math.exp(this.alpha * (this._time[i]! - now));
      values[k] = this._value[i]!;
      total += w;
      weightedSum += w * values[k]!;
      cumulative[k] = total;
    }
    const n = idx.length;
    return {
      size: n,
      min: n > 0 ? values[0]! : NaN,
      max: n > 0 ? values[n - 1]! : NaN,
      mean: n > 0 ? weightedSum / total : NaN,
      quantile(q: number): number {
        if (n === 0) return NaN;
        // Dropwizard's WeightedSnapshot rule: the first value whose cumulative weight reaches q.
        const target = q * total;
        let lo = 0;
        let hi = n - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (cumulative[mid]! < target) lo = mid + 1;
          else hi = mid;
        }
        return values[lo]!;
      },
    };
  }

  /** Moves the landmark to `t`, scaling every stored priority by the same factor (order unchanged). */
  private _rescale(t: number): void {
    const factor = Math.exp(-this.alpha * (t - this._landmark));
    for (let i = 0; i < this._n; i++) this._priority[i]! *= factor;
    this._forwardCount *= factor;
    this._landmark = t;
    this._nextRescale = t + RESCALE_SECONDS;
  }

  private _push(priority: number, value: number, time: number): void {
    let i = this._n++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this._priority[parent]! <= priority) break;
      this._set(i, this._priority[parent]!, this._value[parent]!, this._time[parent]!);
      i = parent;
    }
    this._set(i, priority, value, time);
  }

  private _replaceMin(priority: number, value: number, time: number): void {
    const n = this._n;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this._priority[r]! < this._priority[l]! ? r : l;
      if (this._priority[c]! >= priority) break;
      this._set(i, this._priority[c]!, this._value[c]!, this._time[c]!);
      i = c;
    }
    this._set(i, priority, value, time);
  }

  private _set(i: number, p: number, v: number, t: number): void {
    this._priority[i] = p;
    this._value[i] = v;
    this._time[i] = t;
  }
}
