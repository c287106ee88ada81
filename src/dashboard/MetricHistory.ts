import type { Exemplar, HistogramPoint, MetricSample, SeriesKind } from './model.js';

/** One series' history: parallel arrays of times and values (or histogram points), oldest first. */
export interface SeriesHistory {
  readonly key: string;
  readonly name: string;
  readonly kind: SeriesKind;
  readonly service: string;
  /** The point's attributes plus `service`. */
  readonly labels: Readonly<Record<string, string>>;
  readonly times: number[];
  readonly values: number[];
  readonly histograms: HistogramPoint[];
  readonly exemplars: Exemplar[];
}

export interface MetricInfo {
  readonly name: string;
  readonly kind: SeriesKind;
  readonly unit: string;
  readonly description: string;
  series: number;
  /** Label keys seen on its series. */
  readonly labelKeys: Set<string>;
}

export interface MetricHistoryOptions {
  /** Points kept per series (a ring). Default 720: an hour at one point per 5 s. */
  maxPoints?: number;
  /** Series kept over all metrics; samples of new series past it are counted and dropped. Default 5,000. */
  maxSeries?: number;
  /** Exemplars kept per series. Default 20. */
  maxExemplars?: number;
}

/**
 * Bounded metric history: every sample lands in its series' ring of points. Counters and histograms
 * are kept cumulative (deltas received over OTLP are added up on arrival), so rates and windowed
 * quantiles are differences between two points, as in Prometheus.
 */
export class MetricHistory {
  readonly maxPoints: number;
  readonly maxSeries: number;
  readonly maxExemplars: number;
  private readonly _series = new Map<string, SeriesHistory>();
  private readonly _metrics = new Map<string, MetricInfo>();
  private _dropped = 0;

  constructor(options: MetricHistoryOptions = {}) {
    this.maxPoints = options.maxPoints ?? 720;
    this.maxSeries = options.maxSeries ?? 5_000;
    this.maxExemplars = options.maxExemplars ?? 20;
  }

  stats(): { metrics: number; series: number; droppedSamples: number } {
    return { metrics: this._metrics.size, series: this._series.size, droppedSamples: this._dropped };
  }

  metrics(): MetricInfo[] {
    return [...this._metrics.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  metric(name: string): MetricInfo | undefined {
    return this._metrics.get(name);
  }

  /** Series of one metric. */
  seriesOf(name: string): SeriesHistory[] {
    const out: SeriesHistory[] = [];
    for (const s of this._series.values()) if (s.name === name) out.push(s);
    return out;
  }

  add(sample: MetricSample): void {
    const labels: Record<string, string> = { ...sample.labels, service: sample.service };
    const key = seriesKey(sample.name, labels);
    let s = this._series.get(key);
    if (s === undefined) {
      if (this._series.size >= this.maxSeries) {
        this._dropped++;
        return;
      }
      s = { key, name: sample.name, kind: sample.kind, service: sample.service, labels, times: [], values: [], histograms: [], exemplars: [] };
      this._series.set(key, s);
      let info = this._metrics.get(sample.name);
      if (info === undefined) {
        info = { name: sample.name, kind: sample.kind, unit: sample.unit, description: sample.description, series: 0, labelKeys: new Set() };
        this._metrics.set(sample.name, info);
      }
      info.series++;
      for (const k of Object.keys(labels)) info.labelKeys.add(k);
    }
    if (s.kind !== sample.kind) {
      this._dropped++;
      return;
    }
    const last = s.times.length - 1;
    if (s.kind === 'histogram') {
      let h = sample.histogram;
      if (h === undefined) return;
      if (sample.delta === true && last >= 0) h = addHistograms(s.histograms[last]!, h);
      push(s.histograms, h, this.maxPoints);
      push(s.values, h.count, this.maxPoints);
    } else {
      let v = sample.value;
      if (v === undefined || !Number.isFinite(v)) return;
      if (sample.delta === true && last >= 0 && s.kind !== 'gauge') v += s.values[last]!;
      push(s.values, v, this.maxPoints);
    }
    push(s.times, sample.time, this.maxPoints);
    if (sample.exemplars !== undefined) for (const e of sample.exemplars) push(s.exemplars, e, this.maxExemplars);
  }
}

function push<T>(arr: T[], v: T, max: number): void {
  arr.push(v);
  if (arr.length > max) arr.splice(0, arr.length - max);
}

function addHistograms(a: HistogramPoint, b: HistogramPoint): HistogramPoint {
  if (a.bounds.length !== b.bounds.length || a.bounds.some((x, i) => x !== b.bounds[i])) return b;
  return { count: a.count + b.count, sum: a.sum + b.sum, bounds: b.bounds, counts: b.counts.map((c, i) => c + (a.counts[i] ?? 0)) };
}

/** Stable key of a label set: keys sorted. */
export function seriesKey(name: string, labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  let k = name;
  for (const key of keys) k += `\u0000${key}\u0001${labels[key]}`;
  return k;
}
