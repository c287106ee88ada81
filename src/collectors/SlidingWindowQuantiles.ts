import type { DDSketch } from '@datadog/sketches-js';
import type { Attributes, HrTime } from '@opentelemetry/api';
import { newDDSketch } from '../internal/ddsketch.js';
import { SKETCH_RELATIVE_ACCURACY } from './series.js';

/**
 * Quantiles of the last `maxAgeSeconds`, kept in `ageBuckets` rotating DDSketches (the scheme of
 * prom-client's summary, minus its bug: prom-client's buckets all share one digest, so its "window"
 * never forgets anything; here each bucket owns its sketch and a rotation really discards the
 * oldest one). A query merges the live buckets, so it covers between `maxAge·(n-1)/n` and `maxAge`
 * seconds of history, with DDSketch's 1% relative error.
 *
 * The clock is `Date.now()`, read on record and query; a series that sees no records still ages out.
 *
 * @example
 * const w = new SlidingWindowQuantiles({}, [0, 0], 60, 6);
 * w.record(12);
 * w.quantile(0.99); // ≈ 12 for the next 50 to 60 seconds, then NaN
 */
export class SlidingWindowQuantiles {
  private readonly _sketches: DDSketch[] = [];
  private readonly _counts: Float64Array;
  private readonly _sums: Float64Array;
  private _head = 0;
  private _rotateAt: number;
  private readonly _slotMs: number;

  constructor(
    readonly attributes: Attributes,
    readonly startTime: HrTime,
    readonly maxAgeSeconds: number,
    readonly ageBuckets: number,
  ) {
    for (let i = 0; i < ageBuckets; i++) this._sketches.push(newDDSketch(SKETCH_RELATIVE_ACCURACY));
    this._counts = new Float64Array(ageBuckets);
    this._sums = new Float64Array(ageBuckets);
    this._slotMs = (maxAgeSeconds * 1000) / ageBuckets;
    this._rotateAt = Date.now() + this._slotMs;
  }

  /** Adds a finite value to the current bucket; returns false for NaN or infinities. */
  record(value: number): boolean {
    if (!Number.isFinite(value)) return false;
    const now = Date.now();
    if (now >= this._rotateAt) this._rotate(now);
    const h = this._head;
    this._sketches[h]!.accept(value);
    this._counts[h]! += 1;
    this._sums[h]! += value;
    return true;
  }

  /** Discards every bucket older than the window; at most `ageBuckets` resets however long the gap. */
  private _rotate(now: number): void {
    let steps = Math.floor((now - this._rotateAt) / this._slotMs) + 1;
    this._rotateAt += steps * this._slotMs;
    if (steps > this.ageBuckets) steps = this.ageBuckets;
    for (let i = 0; i < steps; i++) {
      this._head = this._head + 1 === this.ageBuckets ? 0 : this._head + 1;
      this._sketches[this._head] = newDDSketch(SKETCH_RELATIVE_ACCURACY);
      this._counts[this._head] = 0;
      this._sums[this._head] = 0;
    }
  }

  /** Values recorded in the window. */
  count(): number {
    this._age();
    let n = 0;
    for (let i = 0; i < this.ageBuckets; i++) n += this._counts[i]!;
    return n;
  }

  /** Sum of the values recorded in the window. */
  sum(): number {
    this._age();
    let s = 0;
    for (let i = 0; i < this.ageBuckets; i++) s += this._sums[i]!;
    return s;
  }

  /** The q-quantile of the window's values (NaN when the window is empty). */
  quantile(q: number): number {
    return this.quantiles([q])[0]!;
  }

  /** Several quantiles from one merge of the live buckets. */
  quantiles(qs: readonly number[]): number[] {
    this._age();
    const merged = newDDSketch(SKETCH_RELATIVE_ACCURACY);
    let n = 0;
    for (let i = 0; i < this.ageBuckets; i++) {
      if (this._counts[i]! === 0) continue;
      merged.merge(this._sketches[i]!);
      n += this._counts[i]!;
    }
    return qs.map((q) => (n === 0 ? NaN : merged.getValueAtQuantile(q)));
  }

  private _age(): void {
    const now = Date.now();
    if (now >= this._rotateAt) this._rotate(now);
  }
}
