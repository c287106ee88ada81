import type { DDSketch } from '@datadog/sketches-js';
import { nearestRankQ, SKETCH_RELATIVE_ACCURACY } from '../collectors/series.js';
import { newDDSketch } from '../internal/ddsketch.js';

/**
 * Relative error of the rollup percentiles: DDSketch with 1% relative accuracy, so a reported
 * p-quantile `x̂` and the exact one `x` satisfy |x̂ − x| ≤ 0.01·|x|. Chosen over OTel's exponential
 * histogram because its bins merge by plain addition (a Redis `HINCRBY`), its error bound holds
 * for any distribution, and it is already a dependency of the in-process histograms.
 */
export const ROLLUP_RELATIVE_ACCURACY = SKETCH_RELATIVE_ACCURACY;

// One mapping shared by every rollup: bins from different producers, aggregators and windows must
// use the same value → key function, or they could not be added together. Built by the first
// `addValue`, so importing `service-infrastructure/redis` does not load the sketch package.
let MAPPING: DDSketch['mapping'] | undefined;

/**
 * Mergeable summary of the values of one series in one window: count, sum, min, max and the
 * DDSketch bins (key → count) for values above, below and near zero.
 */
export interface RollupState {
  count: number;
  sum: number;
  min: number;
  max: number;
  zero: number;
  readonly positive: Map<number, number>;
  readonly negative: Map<number, number>;
}

/** What a query returns for one rollup: the statistics and the percentiles of the merged data. */
export interface RollupSummary {
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
}

/** An empty rollup. */
export function createRollup(): RollupState {
  return { count: 0, sum: 0, min: Infinity, max: -Infinity, zero: 0, positive: new Map(), negative: new Map() };
}

/**
 * Adds one value. Non-finite values are ignored (the caller validated them already).
 *
 * @example
 * const r = createRollup(); addValue(r, 12.5); addValue(r, 40);
 * summarizeRollup(r).p50; // ≈ 12.5 within 1%
 */
export function addValue(r: RollupState, value: number): void {
  if (!Number.isFinite(value)) return;
  r.count++;
  r.sum += value;
  if (value < r.min) r.min = value;
  if (value > r.max) r.max = value;
  const m = (MAPPING ??= newDDSketch(ROLLUP_RELATIVE_ACCURACY).mapping);
  if (value > m.minPossible) bump(r.positive, m.key(value), 1);
  else if (value < -m.minPossible) bump(r.negative, m.key(-value), 1);
  else r.zero++;
}

/**
 * Adds `from` into `into`. Merging is exact for count, sum, min and max, and lossless for the
 * sketch: merged percentiles are the percentiles of all the values together, never an average of
 * per-instance percentiles.
 *
 * @example
 * const all = createRollup(); for (const r of perInstance) mergeRollup(all, r);
 */
export function mergeRollup(into: RollupState, from: RollupState): RollupState {
  into.count += from.count;
  into.sum += from.sum;
  if (from.min < into.min) into.min = from.min;
  if (from.max > into.max) into.max = from.max;
  into.zero += from.zero;
  for (const [k, c] of from.positive) bump(into.positive, k, c);
  for (const [k, c] of from.negative) bump(into.negative, k, c);
  return into;
}

function bump(m: Map<number, number>, key: number, by: number): void {
  m.set(key, (m.get(key) ?? 0) + by);
}

/**
 * Field names of a rollup stored as a Redis hash: `c` count, `s` sum, `lo` min, `hi` max, `z` zero
 * bin, `p<key>` / `n<key>` positive / negative sketch bins. Stored this way so concurrent
 * aggregators merge into one hash with `HINCRBY`, without reading it first.
 */
export const ROLLUP_FIELDS = Object.freeze({ count: 'c', sum: 's', min: 'lo', max: 'hi', zero: 'z' });

/**
 * Rebuilds a rollup from a Redis hash (`HGETALL`). Unknown or unparsable fields are ignored, so a
 * hash touched by something else degrades to fewer data rather than an exception.
 */
export function rollupFromHash(hash: Readonly<Record<string, string>>): RollupState {
  const r = createRollup();
  for (const field in hash) {
    const n = Number(hash[field]);
    if (!Number.isFinite(n)) continue;
    switch (field) {
      case 'c': r.count = n; break;
      case 's': r.sum = n; break;
      case 'lo': r.min = n; break;
      case 'hi': r.max = n; break;
      case 'z': r.zero = n; break;
      default: {
        const kind = field.charCodeAt(0);
        const key = Number(field.slice(1));
        if (!Number.isInteger(key) || n <= 0) break;
        if (kind === 112 /* p */) bump(r.positive, key, n);
        else if (kind === 110 /* n */) bump(r.negative, key, n);
      }
    }
  }
  return r;
}

/**
 * The q-quantile (0..1) of the values in a rollup, computed by DDSketch over the stored bins and
 * clamped to the exact min and max. NaN when empty.
 */
export function rollupQuantile(r: RollupState, q: number): number {
  if (r.count === 0 || !(q >= 0 && q <= 1)) return NaN;
  if (q === 0) return r.min;
  if (q === 1) return r.max;
  const sketch = newDDSketch(ROLLUP_RELATIVE_ACCURACY);
  for (const [k, c] of r.positive) sketch.store.add(k, c);
  for (const [k, c] of r.negative) sketch.negativeStore.add(k, c);
  sketch.zeroCount = r.zero;
  sketch.count = r.zero + sketch.store.count + sketch.negativeStore.count;
  const v = sketch.getValueAtQuantile(nearestRankQ(q, sketch.count));
  return v < r.min ? r.min : v > r.max ? r.max : v;
}

/**
 * Count, sum, min, max, mean and p50/p90/p95/p99 of a rollup.
 *
 * @example
 * const { count, mean, p99 } = summarizeRollup(merged);
 */
export function summarizeRollup(r: RollupState): RollupSummary {
  const empty = r.count === 0;
  return {
    count: r.count,
    sum: r.sum,
    min: empty ? NaN : r.min,
    max: empty ? NaN : r.max,
    mean: empty ? NaN : r.sum / r.count,
    p50: rollupQuantile(r, 0.5),
    p90: rollupQuantile(r, 0.9),
    p95: rollupQuantile(r, 0.95),
    p99: rollupQuantile(r, 0.99),
  };
}
