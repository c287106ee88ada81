import { AnomalyDetector } from './AnomalyDetector.js';
import { extrapolatedRate, overTime, bucketQuantileOf, compare, type Bucket, type Sample } from './promql.js';
import { aggregatorOf, type AnomalyPlan, type PlannedRule, type ThresholdPlan } from './rules.js';
import { inRange, labelKey, latest, type SampleWindow, type SeriesWindow } from './SampleWindow.js';
import type { CompiledSelector, WindowFunction } from './types.js';

/** One element of a rule's result: a label set where the condition holds, and its value. @internal */
export interface VectorElement {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** Extra template variables (`$score`, `$baseline` for anomaly rules). */
  readonly vars?: Readonly<Record<string, number | string>>;
}

/** What evaluation needs besides samples. @internal */
export interface EvaluationContext {
  readonly window: SampleWindow;
  readonly now: number;
  /** Health level per check name (0 healthy, 1 degraded, 2 unhealthy); `system` for the overall status. */
  readonly health: ReadonlyMap<string, number>;
  /** When the rule was loaded (absence rules wait one window before they may fire). */
  readonly since: number;
  /** Per-rule anomaly state. */
  readonly detector?: AnomalyDetector | undefined;
}

/**
 * The label sets where a rule's condition holds at `ctx.now`, with their values. Pure over the
 * window's samples. @internal
 */
export function evaluateRule(rule: PlannedRule, ctx: EvaluationContext): VectorElement[] {
  const plan = rule.plan;
  switch (plan.kind) {
    case 'threshold':
      return evaluateThreshold(plan.threshold, rule.windowMs, ctx);
    case 'anomaly':
      return evaluateAnomaly(plan.anomaly, rule.windowMs, ctx);
    case 'health': {
      const level = ctx.health.get(plan.health.check) ?? 0;
      return level >= plan.health.level ? [{ labels: { check: plan.health.check }, value: level }] : [];
    }
    case 'absence':
      return evaluateAbsence(plan.absence.selector, rule.windowMs, ctx);
  }
}

function evaluateThreshold(plan: ThresholdPlan, windowMs: number, ctx: EvaluationContext): VectorElement[] {
  const num = vectorOf(plan.numerator, plan.fn, plan.quantile, plan.by, windowMs, ctx);
  let result = num;
  if (plan.denominator !== undefined) {
    const den = new Map(vectorOf(plan.denominator, plan.fn, plan.quantile, plan.by, windowMs, ctx).map((e) => [labelKey(e.labels), e.value]));
    result = [];
    for (const e of num) {
      const d = den.get(labelKey(e.labels));
      if (d !== undefined) result.push({ labels: e.labels, value: e.value / d });
    }
  }
  return result.filter((e) => compare(e.value, plan.op, plan.threshold));
}

function evaluateAnomaly(plan: AnomalyPlan, windowMs: number, ctx: EvaluationContext): VectorElement[] {
  const detector = ctx.detector;
  if (detector === undefined) return [];
  const out: VectorElement[] = [];
  for (const e of vectorOf(plan.numerator, plan.fn, plan.quantile, plan.by, windowMs, ctx)) {
    const verdict = detector.observe(labelKey(e.labels), e.value, ctx.now);
    if (verdict.anomalous) out.push({ labels: e.labels, value: e.value, vars: { score: verdict.score, baseline: verdict.mean } });
  }
  return out;
}

function evaluateAbsence(selector: CompiledSelector, windowMs: number, ctx: EvaluationContext): VectorElement[] {
  // Not before one window has been watched: a counter that has not moved yet is not "stopped".
  if (ctx.now - ctx.since < windowMs) return [];
  const from = ctx.now - windowMs;
  const series = ctx.window.select(selector.metric, selector.matchers).filter((w) => latest(w.samples, ctx.now) !== undefined);
  if (series.length === 0) {
    // Like absent(): the labels the equality matchers pin down.
    const labels: Record<string, string> = {};
    for (const m of selector.matchers) if (m.op === '=') labels[m.name] = m.value;
    return [{ labels, value: windowMs / 1000 }];
  }
  const out: VectorElement[] = [];
  for (const w of series) {
    const samples = inRange(w.samples, from, ctx.now);
    // The last sample at or before the window's start: without one the series is younger than the window.
    let at = -1;
    for (let i = w.samples.length - 1; i >= 0; i--) {
      if (w.samples[i]!.t <= from) {
        at = i;
        break;
      }
    }
    if (at < 0) continue;
    const older = w.samples[at]!;
    let moved = false;
    for (const s of samples) if (s.v !== older.v) moved = true;
    if (moved) continue;
    let since = older.t;
    for (let i = at - 1; i >= 0 && w.samples[i]!.v === older.v; i--) since = w.samples[i]!.t;
    out.push({ labels: w.labels, value: (ctx.now - since) / 1000 });
  }
  return out;
}

/** `fn(metric[window])` per series, then aggregated `by` when asked. @internal */
export function vectorOf(
  selector: CompiledSelector,
  fn: WindowFunction,
  quantile: number,
  by: readonly string[] | undefined,
  windowMs: number,
  ctx: EvaluationContext,
): VectorElement[] {
  const series = ctx.window.select(selector.metric, selector.matchers);
  if (fn === 'quantile') return quantileVector(series, quantile, by, windowMs, ctx.now);
  const values: VectorElement[] = [];
  for (const w of series) {
    const v = apply(fn, w.samples, windowMs, ctx.now);
    if (v !== undefined) values.push({ labels: w.labels, value: v });
  }
  if (by === undefined) return values;
  return aggregate(values, by, aggregatorOf(fn));
}

function apply(fn: WindowFunction, samples: readonly Sample[], windowMs: number, now: number): number | undefined {
  if (fn === 'last') return latest(samples, now)?.v;
  const from = now - windowMs;
  const range = inRange(samples, from, now);
  if (fn === 'rate' || fn === 'increase') return extrapolatedRate(range, from, now, fn === 'rate');
  if (fn === 'quantile') return undefined;
  return overTime(fn, range);
}

function aggregate(values: readonly VectorElement[], by: readonly string[], op: 'sum' | 'min' | 'max' | 'avg'): VectorElement[] {
  const groups = new Map<string, { labels: Record<string, string>; sum: number; min: number; max: number; n: number }>();
  for (const e of values) {
    const labels: Record<string, string> = {};
    for (const l of by) if (e.labels[l] !== undefined && e.labels[l] !== '') labels[l] = e.labels[l]!;
    const key = labelKey(labels);
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { labels, sum: 0, min: Infinity, max: -Infinity, n: 0 }));
    g.sum += e.value;
    g.min = Math.min(g.min, e.value);
    g.max = Math.max(g.max, e.value);
    g.n++;
  }
  return [...groups.values()].map((g) => ({ labels: g.labels, value: op === 'sum' ? g.sum : op === 'min' ? g.min : op === 'max' ? g.max : g.sum / g.n }));
}

/** `histogram_quantile(q, rate(x_bucket[w]))`, or `sum by (le, ...by)` of the rates first. */
function quantileVector(series: readonly SeriesWindow[], q: number, by: readonly string[] | undefined, windowMs: number, now: number): VectorElement[] {
  const from = now - windowMs;
  const groups = new Map<string, { labels: Readonly<Record<string, string>>; buckets: Map<number, number> }>();
  for (const w of series) {
    if (w.buckets === undefined) continue;
    let labels: Readonly<Record<string, string>> = w.labels;
    if (by !== undefined) {
      const picked: Record<string, string> = {};
      for (const l of by) if (w.labels[l] !== undefined && w.labels[l] !== '') picked[l] = w.labels[l]!;
      labels = picked;
    }
    const key = labelKey(labels);
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { labels, buckets: new Map() }));
    for (const [le, samples] of w.buckets) {
      const r = extrapolatedRate(inRange(samples, from, now), from, now, true);
      if (r === undefined) continue;
      g.buckets.set(le, (g.buckets.get(le) ?? 0) + r);
    }
  }
  const out: VectorElement[] = [];
  for (const g of groups.values()) {
    if (g.buckets.size === 0) continue;
    const buckets: Bucket[] = [...g.buckets].map(([le, count]) => ({ le, count }));
    const v = bucketQuantileOf(q, buckets);
    // Prometheus returns NaN for a window without observations; NaN compares false either way.
    out.push({ labels: g.labels, value: v });
  }
  return out;
}
