// The few PromQL functions alert rules use, with Prometheus 2.x semantics, so a rule evaluated here
// and the same rule exported to Prometheus give the same values on the same samples. Pure: arrays in,
// numbers out. Not part of the package's API.

/** One sample: time in milliseconds and value. */
export interface Sample {
  readonly t: number;
  readonly v: number;
}

/**
 * `rate()` / `increase()` as Prometheus computes them (`extrapolatedRate` in promql/functions.go):
 * counter resets add the value before the reset; the result is extrapolated towards the window's
 * edges by up to half a sample interval (or to where the counter would have been zero).
 * Undefined with fewer than two samples.
 */
export function extrapolatedRate(samples: readonly Sample[], rangeStart: number, rangeEnd: number, isRate: boolean): number | undefined {
  if (samples.length < 2) return undefined;
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  let result = last.v - first.v;
  let prev = first.v;
  for (let i = 1; i < samples.length; i++) {
    const cur = samples[i]!.v;
    if (cur < prev) result += prev;
    prev = cur;
  }
  let durationToStart = (first.t - rangeStart) / 1000;
  const durationToEnd = (rangeEnd - last.t) / 1000;
  const sampledInterval = (last.t - first.t) / 1000;
  const averageBetween = sampledInterval / (samples.length - 1);
  if (result > 0 && first.v >= 0) {
    const durationToZero = sampledInterval * (first.v / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = averageBetween * 1.1;
  let extrapolateTo = sampledInterval;
  extrapolateTo += durationToStart < threshold ? durationToStart : averageBetween / 2;
  extrapolateTo += durationToEnd < threshold ? durationToEnd : averageBetween / 2;
  result *= extrapolateTo / sampledInterval;
  if (isRate) result /= (rangeEnd - rangeStart) / 1000;
  return result;
}

/** `avg_over_time`, `min_over_time`, `max_over_time`; undefined for an empty window. */
export function overTime(fn: 'avg_over_time' | 'min_over_time' | 'max_over_time', samples: readonly Sample[]): number | undefined {
  if (samples.length === 0) return undefined;
  if (fn === 'avg_over_time') {
    let sum = 0;
    for (const s of samples) sum += s.v;
    return sum / samples.length;
  }
  let out = samples[0]!.v;
  for (const s of samples) {
    // Prometheus keeps NaN out of min/max unless every sample is NaN.
    if (fn === 'min_over_time' ? s.v < out || Number.isNaN(out) : s.v > out || Number.isNaN(out)) out = s.v;
  }
  return out;
}

/** A cumulative bucket: upper bound and the count at or below it. */
export interface Bucket {
  readonly le: number;
  readonly count: number;
}

/**
 * `histogram_quantile(q, buckets)` as Prometheus computes it (promql/quantile.go, 2.x): linear
 * interpolation inside the bucket holding the rank, the first bucket starting at 0 when its bound is
 * positive, the upper bound of the last finite bucket when the rank falls into +Inf.
 */
export function bucketQuantileOf(q: number, input: readonly Bucket[]): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const buckets = [...input].sort((a, b) => a.le - b.le);
  if (buckets.length < 2 || buckets[buckets.length - 1]!.le !== Infinity) return NaN;
  // Merge buckets with the same bound and make counts monotonic, as Prometheus does.
  const merged: { le: number; count: number }[] = [];
  for (const b of buckets) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last.le === b.le) last.count += b.count;
    else merged.push({ le: b.le, count: b.count });
  }
  for (let i = 1; i < merged.length; i++) if (merged[i]!.count < merged[i - 1]!.count) merged[i]!.count = merged[i - 1]!.count;
  if (merged.length < 2) return NaN;
  const observations = merged[merged.length - 1]!.count;
  if (observations === 0 || Number.isNaN(observations)) return NaN;
  let rank = q * observations;
  let b = merged.findIndex((x) => x.count >= rank);
  if (b === merged.length - 1) return merged[merged.length - 2]!.le;
  if (b === 0 && merged[0]!.le <= 0) return merged[0]!.le;
  let bucketStart = 0;
  const bucketEnd = merged[b]!.le;
  let count = merged[b]!.count;
  if (b > 0) {
    bucketStart = merged[b - 1]!.le;
    count -= merged[b - 1]!.count;
    rank -= merged[b - 1]!.count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

/** Whether `value op threshold` holds (NaN never does, as in PromQL). */
export function compare(value: number, op: '>' | '>=' | '<' | '<=' | '==' | '!=', threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    default:
      return value !== threshold;
  }
}
