import type { MetricHistory, SeriesHistory } from './MetricHistory.js';

/** How the Metrics explorer combines series. */
export type Aggregation = 'sum' | 'avg' | 'min' | 'max' | 'rate' | 'quantile';

export const AGGREGATIONS: readonly Aggregation[] = ['sum', 'avg', 'min', 'max', 'rate', 'quantile'];

export interface LabelFilter {
  readonly label: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

export interface MetricQuery {
  readonly metric: string;
  readonly filters?: readonly LabelFilter[];
  readonly aggregation: Aggregation;
  /** For `quantile`: 0..1. Default 0.95. */
  readonly quantile?: number;
  readonly groupBy?: readonly string[];
  /** Epoch milliseconds. */
  readonly from: number;
  readonly to: number;
  /** Milliseconds per point; points of a series in one step are reduced to the last. */
  readonly step: number;
}

export interface QueryResult {
  readonly metric: string;
  readonly unit: string;
  /** Step start times shared by every series (epoch ms). */
  readonly times: number[];
  /** One entry per group; `null` where a group has no value in a step. */
  readonly series: { readonly labels: Record<string, string>; readonly values: (number | null)[] }[];
  /** Exemplars of the selected series inside the range, for the chart's dots. */
  readonly exemplars: { readonly time: number; readonly value: number; readonly traceId: string; readonly spanId: string }[];
}

/**
 * Runs a Metrics-explorer query over the history: select series by label filters, compute each
 * series' value per step (the value, a per-second rate of increase, or bucket counts for a
 * quantile), then combine the series of each `groupBy` group. Quantiles merge the groups' bucket
 * increases first and interpolate within the bucket, as Prometheus' `histogram_quantile` does.
 */
export function runQuery(history: MetricHistory, q: MetricQuery): QueryResult {
  const info = history.metric(q.metric);
  const step = Math.max(1, q.step);
  const from = Math.floor(q.from / step) * step;
  const nSteps = Math.min(2_000, Math.max(1, Math.ceil((q.to - from) / step)));
  const times = Array.from({ length: nSteps }, (_, i) => from + i * step);
  if (info === undefined) return { metric: q.metric, unit: '', times, series: [], exemplars: [] };
  const filters = (q.filters ?? []).map(compileFilter);
  const selected = history.seriesOf(q.metric).filter((s) => filters.every((f) => f(s.labels)));
  const groupBy = q.groupBy ?? [];
  const groups = new Map<string, { labels: Record<string, string>; members: SeriesHistory[] }>();
  for (const s of selected) {
    const labels: Record<string, string> = {};
    for (const g of groupBy) labels[g] = s.labels[g] ?? '';
    const key = JSON.stringify(labels);
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { labels, members: [] }));
    group.members.push(s);
  }
  const series: QueryResult['series'] = [];
  for (const g of groups.values()) {
    const values: (number | null)[] = new Array<number | null>(nSteps).fill(null);
    if (q.aggregation === 'quantile') {
      const quantile = q.quantile ?? 0.95;
      const merged: (number[] | null)[] = new Array<number[] | null>(nSteps).fill(null);
      let bounds: readonly number[] | undefined;
      for (const s of g.members) {
        if (s.kind !== 'histogram') continue;
        const at = lastPerStep(s, from, step, nSteps);
        for (let i = 0; i < nSteps; i++) {
          const cur = at[i];
          if (cur === undefined) continue;
          const h = s.histograms[cur]!;
          // The window of a step: from the last point before the step (if any) to the step's last.
          const prevIdx = previousPoint(i === 0 ? undefined : at[i - 1], cur);
          const prev = prevIdx !== undefined ? s.histograms[prevIdx] : undefined;
          bounds ??= h.bounds;
          if (h.bounds.length !== bounds.length) continue;
          const inc = h.counts.map((c, j) => c - (prev !== undefined && prev.counts.length === h.counts.length ? prev.counts[j]! : 0));
          const useInc = inc.every((c) => c >= 0) && inc.some((c) => c > 0);
          const counts = useInc ? inc : [...h.counts];
          const slot = merged[i];
          merged[i] = slot === null || slot === undefined ? counts : slot.map((c, j) => c + (counts[j] ?? 0));
        }
      }
      for (let i = 0; i < nSteps; i++) {
        const m = merged[i];
        if (m === null || m === undefined || bounds === undefined) continue;
        const v = bucketQuantile(quantile, bounds, m);
        values[i] = Number.isFinite(v) ? v : null;
      }
    } else {
      const perSeries = g.members.map((s) => stepValues(s, q.aggregation === 'rate', from, step, nSteps));
      for (let i = 0; i < nSteps; i++) {
        let acc: number | null = null;
        let n = 0;
        for (const vals of perSeries) {
          const v = vals[i];
          if (v === null || v === undefined) continue;
          n++;
          if (acc === null) acc = v;
          else if (q.aggregation === 'min') acc = Math.min(acc, v);
          else if (q.aggregation === 'max') acc = Math.max(acc, v);
          else acc += v;
        }
        values[i] = acc !== null && q.aggregation === 'avg' ? acc / n : acc;
      }
    }
    series.push({ labels: g.labels, values });
  }
  series.sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));
  const exemplars: QueryResult['exemplars'][number][] = [];
  for (const s of selected) for (const e of s.exemplars) if (e.time >= q.from && e.time <= q.to) exemplars.push(e);
  exemplars.sort((a, b) => a.time - b.time);
  return { metric: q.metric, unit: info.unit, times, series, exemplars: exemplars.slice(-500) };
}

/** Index of the last point in each step, or undefined. */
function lastPerStep(s: SeriesHistory, from: number, step: number, nSteps: number): (number | undefined)[] {
  const at = new Array<number | undefined>(nSteps).fill(undefined);
  for (let i = 0; i < s.times.length; i++) {
    const b = Math.floor((s.times[i]! - from) / step);
    if (b >= 0 && b < nSteps) at[b] = i;
  }
  return at;
}

/** The point a step's window starts from: the previous step's last point, else the point before `cur`. */
function previousPoint(prevStepIdx: number | undefined, cur: number): number | undefined {
  if (prevStepIdx !== undefined && prevStepIdx < cur) return prevStepIdx;
  return cur > 0 ? cur - 1 : undefined;
}

/** Per step: the series' value (histograms: the mean), or its per-second increase for `rate`. */
function stepValues(s: SeriesHistory, rate: boolean, from: number, step: number, nSteps: number): (number | null)[] {
  const at = lastPerStep(s, from, step, nSteps);
  const out = new Array<number | null>(nSteps).fill(null);
  for (let i = 0; i < nSteps; i++) {
    const cur = at[i];
    if (cur === undefined) continue;
    if (!rate) {
      if (s.kind === 'histogram') {
        const h = s.histograms[cur]!;
        out[i] = h.count > 0 ? h.sum / h.count : null;
      } else out[i] = s.values[cur]!;
      continue;
    }
    const prev = i > 0 && at[i - 1] !== undefined ? at[i - 1]! : cur > 0 ? cur - 1 : undefined;
    if (prev === undefined) continue;
    const dt = (s.times[cur]! - s.times[prev]!) / 1000;
    if (!(dt > 0)) continue;
    const a = s.values[prev]!;
    const b = s.values[cur]!;
    // A counter that went down was reset: count from zero, as Prometheus' rate() does.
    out[i] = (b >= a ? b - a : b) / dt;
  }
  return out;
}

/** Quantile from per-bucket counts by linear interpolation inside the bucket (Prometheus' rule). */
export function bucketQuantile(q: number, bounds: readonly number[], counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return NaN;
  const rank = q * total;
  let cum = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (cum + c >= rank && c > 0) {
      if (i >= bounds.length) return bounds[bounds.length - 1] ?? NaN;
      const lower = i === 0 ? Math.min(0, bounds[0]!) : bounds[i - 1]!;
      const upper = bounds[i]!;
      return lower + (upper - lower) * ((rank - cum) / c);
    }
    cum += c;
  }
  return bounds[bounds.length - 1] ?? NaN;
}

function compileFilter(f: LabelFilter): (labels: Readonly<Record<string, string>>) => boolean {
  if (f.op === '=~' || f.op === '!~') {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${f.value})$`);
    } catch {
      re = /^$/;
    }
    const want = f.op === '=~';
    return (l) => re.test(l[f.label] ?? '') === want;
  }
  const want = f.op === '=';
  return (l) => ((l[f.label] ?? '') === f.value) === want;
}
