import { ConfigurationError } from '../errors/MonitoringError.js';
import { formatDuration, parseDuration } from './duration.js';
import { compileMatchers, formatMatcher, type CompiledMatcher } from './matchers.js';
import type { AlertRule, CompiledRule, CompiledSelector, MetricSelector, WindowFunction } from './types.js';

const KINDS = new Set(['threshold', 'health', 'absence', 'anomaly']);
const FUNCTIONS = new Set<WindowFunction>(['rate', 'increase', 'avg_over_time', 'min_over_time', 'max_over_time', 'last', 'quantile']);
const OPS = new Set(['>', '>=', '<', '<=', '==', '!=']);
const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const DEFAULT_WINDOW_MS = 300_000;

/** @internal A validated rule with everything the evaluator needs, frozen. */
export interface ThresholdPlan {
  readonly fn: WindowFunction;
  readonly quantile: number;
  readonly by: readonly string[] | undefined;
  readonly op: '>' | '>=' | '<' | '<=' | '==' | '!=';
  readonly threshold: number;
  readonly numerator: CompiledSelector;
  readonly denominator: CompiledSelector | undefined;
}

/** @internal */
export interface AnomalyPlan {
  readonly fn: WindowFunction;
  readonly quantile: number;
  readonly by: readonly string[] | undefined;
  readonly numerator: CompiledSelector;
  readonly sensitivity: number;
  readonly direction: 'up' | 'down' | 'both';
  readonly minSamples: number;
  readonly alpha: number;
  readonly seasonality: 'none' | 'hourOfDay' | 'hourOfWeek';
}

/** @internal */
export interface HealthPlan {
  readonly check: string;
  readonly level: 1 | 2;
}

/** @internal */
export type Plan =
  | { readonly kind: 'threshold'; readonly threshold: ThresholdPlan }
  | { readonly kind: 'anomaly'; readonly anomaly: AnomalyPlan }
  | { readonly kind: 'health'; readonly health: HealthPlan }
  | { readonly kind: 'absence'; readonly absence: { readonly selector: CompiledSelector } };

/** @internal */
export type PlannedRule = CompiledRule & { readonly plan: Plan };

/**
 * Validates rules once, at setup: every error names the rule and the field
 * (`rules[HighErrorRate].threshold`), and the result is frozen.
 * @internal
 */
export function compileRules(input: unknown, where = 'rules'): PlannedRule[] {
  if (!Array.isArray(input)) throw new ConfigurationError(where, input, 'an array of alert rules');
  const seen = new Set<string>();
  return input.map((raw: unknown, i) => {
    if (raw === null || typeof raw !== 'object') throw new ConfigurationError(`${where}[${i}]`, raw, 'an alert rule object');
    const r = raw as Record<string, unknown>;
    const name = r.name;
    if (typeof name !== 'string' || !NAME.test(name)) throw new ConfigurationError(`${where}[${i}].name`, name, 'an alert name matching [a-zA-Z_][a-zA-Z0-9_]*');
    const at = `${where}[${name}]`;
    if (seen.has(name)) throw new ConfigurationError(`${at}.name`, name, 'a name no other rule has');
    seen.add(name);
    const kind = r.kind ?? 'threshold';
    if (typeof kind !== 'string' || !KINDS.has(kind)) throw new ConfigurationError(`${at}.kind`, kind, 'one of threshold, health, absence, anomaly');
    return Object.freeze(compileOne(r as unknown as AlertRule, kind as AlertRule['kind'], name, at));
  });
}

function compileOne(r: AlertRule, kind: AlertRule['kind'], name: string, at: string): PlannedRule {
  const forMs = r.for === undefined ? 0 : parseDuration(r.for, `${at}.for`);
  const keepFiringForMs = r.keepFiringFor === undefined ? 0 : parseDuration(r.keepFiringFor, `${at}.keepFiringFor`);
  const labels = stringMap(r.labels, `${at}.labels`, true);
  if (r.severity !== undefined) {
    if (typeof r.severity !== 'string' || r.severity === '') throw new ConfigurationError(`${at}.severity`, r.severity, 'a non-empty string');
    labels.severity = r.severity;
  }
  const annotations = stringMap(r.annotations, `${at}.annotations`, false);
  const base = { source: r, name, kind, forMs, keepFiringForMs, labels: Object.freeze(labels), annotations: Object.freeze(annotations) };

  if (kind === 'health') {
    const h = r as Extract<AlertRule, { kind: 'health' }>;
    const check = h.check ?? 'system';
    if (typeof check !== 'string' || check === '') throw new ConfigurationError(`${at}.check`, check, 'a health check name, or "system"');
    const status = h.status ?? 'degraded';
    if (status !== 'degraded' && status !== 'unhealthy') throw new ConfigurationError(`${at}.status`, status, '"degraded" or "unhealthy"');
    return {
      ...base,
      expression: `health(${check}) ${status === 'degraded' ? '>= degraded' : '== unhealthy'}`,
      selectors: [],
      windowMs: 0,
      plan: { kind, health: { check, level: status === 'degraded' ? 1 : 2 } },
    };
  }

  const selector = compileSelector(r as MetricSelector, at);
  const windowMs = (r as { window?: unknown }).window === undefined ? DEFAULT_WINDOW_MS : parseDuration((r as { window?: unknown }).window, `${at}.window`, false);

  if (kind === 'absence') {
    return {
      ...base,
      expression: `changes(${describeSelector(selector)}[${formatDuration(windowMs)}]) == 0 or absent`,
      selectors: [selector],
      windowMs,
      plan: { kind, absence: { selector } },
    };
  }

  const t = r as Extract<AlertRule, { kind: 'threshold' | 'anomaly' }>;
  const fn = t.fn ?? 'last';
  if (!FUNCTIONS.has(fn)) throw new ConfigurationError(`${at}.fn`, fn, [...FUNCTIONS].join(', '));
  let quantile = NaN;
  if (fn === 'quantile') {
    if (typeof t.quantile !== 'number' || !(t.quantile >= 0 && t.quantile <= 1)) throw new ConfigurationError(`${at}.quantile`, t.quantile, 'a number in 0..1 (fn is "quantile")');
    quantile = t.quantile;
  }
  let by: string[] | undefined;
  if (t.by !== undefined) {
    if (!Array.isArray(t.by) || t.by.some((l) => typeof l !== 'string' || !LABEL.test(l) || l === 'le')) {
      throw new ConfigurationError(`${at}.by`, t.by, 'a list of label names (not "le")');
    }
    by = [...t.by];
  }
  const inner = fn === 'quantile' ? `histogram_quantile(${quantile}, ${describeSelector(selector)}[${formatDuration(windowMs)}])` : fn === 'last' ? describeSelector(selector) : `${fn}(${describeSelector(selector)}[${formatDuration(windowMs)}])`;
  const grouped = by !== undefined ? `${aggregatorOf(fn)} by (${by.join(', ')}) (${inner})` : inner;

  if (kind === 'anomaly') {
    const a = r as Extract<AlertRule, { kind: 'anomaly' }>;
    const sensitivity = a.sensitivity ?? 4.5;
    if (typeof sensitivity !== 'number' || !(sensitivity > 0) || !Number.isFinite(sensitivity)) throw new ConfigurationError(`${at}.sensitivity`, sensitivity, 'a z-score above 0 (e.g. 3 or 4)');
    const direction = a.direction ?? 'both';
    if (direction !== 'up' && direction !== 'down' && direction !== 'both') throw new ConfigurationError(`${at}.direction`, direction, '"up", "down" or "both"');
    const minSamples = a.minSamples ?? 30;
    if (!Number.isInteger(minSamples) || minSamples < 2) throw new ConfigurationError(`${at}.minSamples`, minSamples, 'an integer of at least 2');
    const alpha = a.alpha ?? 0.02;
    if (typeof alpha !== 'number' || !(alpha > 0 && alpha < 1)) throw new ConfigurationError(`${at}.alpha`, alpha, 'a number between 0 and 1 (exclusive)');
    const seasonality = a.seasonality ?? 'none';
    if (seasonality !== 'none' && seasonality !== 'hourOfDay' && seasonality !== 'hourOfWeek') throw new ConfigurationError(`${at}.seasonality`, seasonality, '"none", "hourOfDay" or "hourOfWeek"');
    return {
      ...base,
      expression: `anomaly(${grouped}, z > ${sensitivity}${direction === 'both' ? '' : `, ${direction}`})`,
      selectors: [selector],
      windowMs: fn === 'last' ? 0 : windowMs,
      plan: { kind, anomaly: { fn, quantile, by, numerator: selector, sensitivity, direction, minSamples, alpha, seasonality } },
    };
  }

  const th = r as Extract<AlertRule, { kind: 'threshold' }>;
  if (typeof th.op !== 'string' || !OPS.has(th.op)) throw new ConfigurationError(`${at}.op`, th.op, 'one of >, >=, <, <=, ==, !=');
  if (typeof th.threshold !== 'number' || Number.isNaN(th.threshold)) throw new ConfigurationError(`${at}.threshold`, th.threshold, 'a number');
  let denominator: CompiledSelector | undefined;
  let expression = grouped;
  if (th.denominator !== undefined) {
    if (fn === 'quantile') throw new ConfigurationError(`${at}.denominator`, th.denominator, 'no denominator with fn "quantile"');
    denominator = compileSelector(th.denominator, `${at}.denominator`);
    const dInner = fn === 'last' ? describeSelector(denominator) : `${fn}(${describeSelector(denominator)}[${formatDuration(windowMs)}])`;
    expression = `${grouped} / ${by !== undefined ? `${aggregatorOf(fn)} by (${by.join(', ')}) (${dInner})` : dInner}`;
  }
  return {
    ...base,
    expression: `${expression} ${th.op} ${th.threshold}`,
    selectors: denominator !== undefined ? [selector, denominator] : [selector],
    windowMs: fn === 'last' ? 0 : windowMs,
    plan: { kind: 'threshold', threshold: { fn, quantile, by, op: th.op, threshold: th.threshold, numerator: selector, denominator } },
  };
}

/** @internal The aggregation `by` applies for a function. */
export function aggregatorOf(fn: WindowFunction): 'sum' | 'min' | 'max' | 'avg' {
  if (fn === 'min_over_time') return 'min';
  if (fn === 'max_over_time') return 'max';
  if (fn === 'avg_over_time') return 'avg';
  return 'sum';
}

function compileSelector(s: MetricSelector | undefined, at: string): CompiledSelector {
  if (s === null || typeof s !== 'object') throw new ConfigurationError(at, s, 'an object with metric and matchers');
  if (typeof s.metric !== 'string' || s.metric === '') throw new ConfigurationError(`${at}.metric`, s.metric, 'a metric name');
  const matchers: CompiledMatcher[] = compileMatchers(s.matchers, `${at}.matchers`);
  return Object.freeze({ metric: s.metric, matchers });
}

function describeSelector(s: CompiledSelector): string {
  return s.matchers.length === 0 ? s.metric : `${s.metric}{${s.matchers.map(formatMatcher).join(', ')}}`;
}

function stringMap(input: unknown, option: string, labelNames: boolean): Record<string, string> {
  if (input === undefined) return {};
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new ConfigurationError(option, input, 'an object of strings');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(input)) {
    if (labelNames && (!LABEL.test(k) || k === 'alertname')) throw new ConfigurationError(`${option}.${k}`, k, 'a label name matching [a-zA-Z_][a-zA-Z0-9_]* other than alertname');
    if (typeof v !== 'string' && typeof v !== 'number') throw new ConfigurationError(`${option}.${k}`, v, 'a string');
    out[k] = String(v);
  }
  return out;
}
