import { requireArray, requireFiniteAbove, requireIntAtLeast, requireMatch, requireNonEmptyString, requireNumber, requireObject, requireOneOf } from '../internal/configCheck.js';
import { ConfigurationError } from '../errors/MonitoringError.js';
import { formatDuration, parseDuration } from './duration.js';
import { compileMatchers, formatMatcher, type CompiledMatcher } from './matchers.js';
import type { AlertRule, CompiledRule, CompiledSelector, MetricSelector, WindowFunction } from './types.js';

const KINDS = ['threshold', 'health', 'absence', 'anomaly'] as const;
const FUNCTIONS: readonly WindowFunction[] = ['rate', 'increase', 'avg_over_time', 'min_over_time', 'max_over_time', 'last', 'quantile'];
const OPS = ['>', '>=', '<', '<=', '==', '!='] as const;
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
  requireArray(where, input, 'an array of alert rules');
  const seen = new Set<string>();
  return input.map((raw: unknown, i) => {
    requireObject(`${where}[${i}]`, raw, 'an alert rule object');
    const r = raw as Record<string, unknown>;
    const name = r.name;
    requireMatch(`${where}[${i}].name`, name, NAME, 'an alert name matching [a-zA-Z_][a-zA-Z0-9_]*');
    const at = `${where}[${name}]`;
    if (seen.has(name)) throw new ConfigurationError(`${at}.name`, name, 'a name no other rule has');
    seen.add(name);
    const kind = r.kind ?? 'threshold';
    requireOneOf(`${at}.kind`, kind, KINDS);
    return Object.freeze(compileOne(r as unknown as AlertRule, kind as AlertRule['kind'], name, at));
  });
}

function compileOne(r: AlertRule, kind: AlertRule['kind'], name: string, at: string): PlannedRule {
  const forMs = r.for === undefined ? 0 : parseDuration(r.for, `${at}.for`);
  const keepFiringForMs = r.keepFiringFor === undefined ? 0 : parseDuration(r.keepFiringFor, `${at}.keepFiringFor`);
  const labels = stringMap(r.labels, `${at}.labels`, true);
  if (r.severity !== undefined) {
    requireNonEmptyString(`${at}.severity`, r.severity);
    labels.severity = r.severity;
  }
  const annotations = stringMap(r.annotations, `${at}.annotations`, false);
  const base = { source: r, name, kind, forMs, keepFiringForMs, labels: Object.freeze(labels), annotations: Object.freeze(annotations) };

  if (kind === 'health') {
    const h = r as Extract<AlertRule, { kind: 'health' }>;
    const check = h.check ?? 'system';
    requireNonEmptyString(`${at}.check`, check, 'a health check name, or "system"');
    const status = h.status ?? 'degraded';
    requireOneOf(`${at}.status`, status, ['degraded', 'unhealthy'], '"degraded" or "unhealthy"');
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
  requireOneOf(`${at}.fn`, fn, FUNCTIONS);
  let quantile = NaN;
  if (fn === 'quantile') {
    requireNumber(`${at}.quantile`, t.quantile, { min: 0, max: 1 }, 'a number in 0..1 (fn is "quantile")');
    quantile = t.quantile;
  }
  let by: string[] | undefined;
  if (t.by !== undefined) {
    requireArray(`${at}.by`, t.by, 'a list of label names (not "le")', (l) => typeof l === 'string' && LABEL.test(l) && l !== 'le');
    by = [...t.by];
  }
  const inner = fn === 'quantile' ? `histogram_quantile(${quantile}, ${describeSelector(selector)}[${formatDuration(windowMs)}])` : fn === 'last' ? describeSelector(selector) : `${fn}(${describeSelector(selector)}[${formatDuration(windowMs)}])`;
  const grouped = by !== undefined ? `${aggregatorOf(fn)} by (${by.join(', ')}) (${inner})` : inner;

  if (kind === 'anomaly') {
    const a = r as Extract<AlertRule, { kind: 'anomaly' }>;
    const sensitivity = a.sensitivity ?? 4.5;
    requireFiniteAbove(`${at}.sensitivity`, sensitivity, 0, 'a z-score above 0 (e.g. 3 or 4)');
    const direction = a.direction ?? 'both';
    requireOneOf(`${at}.direction`, direction, ['up', 'down', 'both'], '"up", "down" or "both"');
    const minSamples = a.minSamples ?? 30;
    requireIntAtLeast(`${at}.minSamples`, minSamples, 2);
    const alpha = a.alpha ?? 0.02;
    requireNumber(`${at}.alpha`, alpha, { above: 0, below: 1 }, 'a number between 0 and 1 (exclusive)');
    const seasonality = a.seasonality ?? 'none';
    requireOneOf(`${at}.seasonality`, seasonality, ['none', 'hourOfDay', 'hourOfWeek'], '"none", "hourOfDay" or "hourOfWeek"');
    return {
      ...base,
      expression: `anomaly(${grouped}, z > ${sensitivity}${direction === 'both' ? '' : `, ${direction}`})`,
      selectors: [selector],
      windowMs: fn === 'last' ? 0 : windowMs,
      plan: { kind, anomaly: { fn, quantile, by, numerator: selector, sensitivity, direction, minSamples, alpha, seasonality } },
    };
  }

  const th = r as Extract<AlertRule, { kind: 'threshold' }>;
  requireOneOf(`${at}.op`, th.op, OPS);
  // ±Infinity is a threshold a rule may use on purpose (never / always); NaN would never compare.
  requireNumber(`${at}.threshold`, th.threshold, { infinite: true }, 'a number');
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
  requireObject(at, s, 'an object with metric and matchers');
  requireNonEmptyString(`${at}.metric`, s.metric, 'a metric name');
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
