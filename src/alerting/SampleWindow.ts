import type { Bucket, Sample } from './promql.js';
import { matchesAll, type CompiledMatcher } from './matchers.js';

/** What a metric source returns for one series at one instant. */
export interface SeriesReading {
  readonly labels: Readonly<Record<string, string>>;
  /** Counter or gauge value. */
  readonly value?: number | undefined;
  /** Histogram: cumulative buckets (`le` ascending, +Inf last), count and sum. */
  readonly histogram?: { readonly buckets: readonly Bucket[]; readonly count: number; readonly sum: number } | undefined;
}

/** @internal One series' samples in time order, bounded. */
export interface SeriesWindow {
  readonly key: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly samples: Sample[];
  /** Histograms: bucket samples by bound, plus `_count` and `_sum`. */
  readonly buckets: Map<number, Sample[]> | undefined;
  lastSeen: number;
}

export interface SampleWindowOptions {
  /** Longest window a rule asks for, in ms; samples older than this plus the 5 min lookback go. */
  retentionMs: number;
  /** Most samples per series. */
  maxSamples: number;
  /** Most series per metric; further series are dropped and counted. */
  maxSeries: number;
}

/** Prometheus' lookback for instant selectors: a series without a sample for 5 minutes is stale. */
export const LOOKBACK_MS = 300_000;

/**
 * The samples rules need: for each referenced metric, each series' recent values, taken on the
 * evaluation tick (never on the record path). Bounded in time, samples per series and series per metric.
 * @internal
 */
export class SampleWindow {
  private readonly _metrics = new Map<string, Map<string, SeriesWindow>>();
  private _dropped = 0;

  constructor(private readonly _options: SampleWindowOptions) {}

  /** Series dropped because a metric had `maxSeries` already. */
  get droppedSeries(): number {
    return this._dropped;
  }

  /** How many series and samples are held. */
  size(): { series: number; samples: number } {
    let series = 0;
    let samples = 0;
    for (const m of this._metrics.values()) {
      for (const s of m.values()) {
        series++;
        samples += s.samples.length;
        if (s.buckets !== undefined) for (const b of s.buckets.values()) samples += b.length;
      }
    }
    return { series, samples };
  }

  /** Records what a metric's series read at time `t`, and forgets what is too old. */
  ingest(metric: string, readings: readonly SeriesReading[], t: number): void {
    let series = this._metrics.get(metric);
    if (series === undefined) this._metrics.set(metric, (series = new Map()));
    for (const r of readings) {
      const key = labelKey(r.labels);
      let w = series.get(key);
      if (w === undefined) {
        if (series.size >= this._options.maxSeries) {
          this._dropped++;
          continue;
        }
        w = { key, labels: r.labels, samples: [], buckets: r.histogram !== undefined ? new Map() : undefined, lastSeen: t };
        series.set(key, w);
      }
      w.lastSeen = t;
      if (r.histogram !== undefined && w.buckets !== undefined) {
        push(w.samples, { t, v: r.histogram.count }, this._options.maxSamples);
        for (const b of r.histogram.buckets) {
          let arr = w.buckets.get(b.le);
          if (arr === undefined) w.buckets.set(b.le, (arr = []));
          push(arr, { t, v: b.count }, this._options.maxSamples);
        }
      } else if (r.value !== undefined) {
        push(w.samples, { t, v: r.value }, this._options.maxSamples);
      }
    }
    const horizon = t - this._options.retentionMs - LOOKBACK_MS;
    for (const [key, w] of series) {
      if (w.lastSeen < horizon) {
        series.delete(key);
        continue;
      }
      trim(w.samples, horizon);
      if (w.buckets !== undefined) for (const arr of w.buckets.values()) trim(arr, horizon);
    }
  }

  /** Series of `metric` whose labels pass `matchers`. */
  select(metric: string, matchers: readonly CompiledMatcher[]): SeriesWindow[] {
    const series = this._metrics.get(metric);
    if (series === undefined) return [];
    const out: SeriesWindow[] = [];
    for (const w of series.values()) if (matchesAll(matchers, w.labels)) out.push(w);
    return out;
  }

  /** Forgets a metric no rule references any more. */
  forget(metric: string): void {
    this._metrics.delete(metric);
  }
}

/** Samples with `from <= t <= to` (Prometheus 2.x range selectors include both ends). @internal */
export function inRange(samples: readonly Sample[], from: number, to: number): Sample[] {
  let i = samples.length;
  while (i > 0 && samples[i - 1]!.t >= from) i--;
  const out: Sample[] = [];
  for (; i < samples.length; i++) {
    const s = samples[i]!;
    if (s.t > to) break;
    out.push(s);
  }
  return out;
}

/** The latest sample at or before `t`, within the lookback. @internal */
export function latest(samples: readonly Sample[], t: number): Sample | undefined {
  for (let i = samples.length - 1; i >= 0; i--) {
    const s = samples[i]!;
    if (s.t > t) continue;
    return s.t > t - LOOKBACK_MS ? s : undefined;
  }
  return undefined;
}

/** A stable key for a label set (sorted names). @internal */
export function labelKey(labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  let out = '';
  for (const k of keys) out += k + '\u0000' + labels[k] + '\u0001';
  return out;
}

function push(arr: Sample[], s: Sample, max: number): void {
  const last = arr[arr.length - 1];
  // Two readings at the same instant: keep the later one.
  if (last !== undefined && last.t === s.t) arr[arr.length - 1] = s;
  else arr.push(s);
  if (arr.length > max) arr.splice(0, arr.length - max);
}

function trim(arr: Sample[], horizon: number): void {
  let n = 0;
  while (n < arr.length && arr[n]!.t < horizon) n++;
  if (n > 0) arr.splice(0, n);
}
