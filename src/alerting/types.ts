import type { AlertEventPayload } from '../events/types.js';
import type { Duration } from './duration.js';
import type { CompiledMatcher, MatcherInput } from './matchers.js';

/** Functions a threshold rule applies to a metric's samples in its window. */
export type WindowFunction = 'rate' | 'increase' | 'avg_over_time' | 'min_over_time' | 'max_over_time' | 'last' | 'quantile';

/** Comparison of a rule's value against its threshold. */
export type Comparison = '>' | '>=' | '<' | '<=' | '==' | '!=';

/** Fields every rule has. */
export interface RuleBase {
  /** The alert name (`alertname` label); unique among the rules. */
  name: string;
  /** How long the condition must hold before the alert fires (pending until then). Default 0. */
  for?: Duration;
  /** How long a firing alert keeps firing after the condition stops holding. Default 0. */
  keepFiringFor?: Duration;
  /** Shorthand for a `severity` label. */
  severity?: string;
  /** Extra labels on every alert of the rule. Values may use templates. */
  labels?: Record<string, string>;
  /**
   * Annotations (`summary`, `description`, `runbook_url`...), with templates: `{{ $value }}`,
   * `{{ $labels.route }}`, `{{ $value | humanize }}`, `{{ $value | humanizePercentage }}`.
   */
  annotations?: Record<string, string>;
}

/** One side of a ratio, or the metric of a threshold rule. */
export interface MetricSelector {
  /** The metric's name as you record it (`http_server_requests_total`, `performance.phase.duration`; the seed's `performance_phase_duration_seconds` is an alias of it). */
  metric: string;
  /** Label matchers selecting the series. */
  matchers?: MatcherInput;
}

/**
 * A threshold rule: `fn(metric{matchers}[window]) op threshold`, one alert per label set.
 *
 * @example
 * { kind: 'threshold', name: 'HighErrorRatio', metric: 'http_server_errors_total', fn: 'rate', window: '1m',
 *   denominator: { metric: 'http_server_requests_total' }, by: ['route'], op: '>', threshold: 0.05, for: '30s',
 *   severity: 'page', annotations: { summary: '{{ $labels.route }} fails {{ $value | humanizePercentage }} of requests' } }
 */
export interface ThresholdRule extends RuleBase, MetricSelector {
  kind: 'threshold';
  /** Default `last` (the latest value; for counters, `rate` or `increase` are what you want). */
  fn?: WindowFunction;
  /** Window of the function. Default 5m. */
  window?: Duration;
  /** For `fn: 'quantile'`: the quantile in 0..1. */
  quantile?: number;
  /**
   * Labels to aggregate by (`sum by (route)` for rate/increase, min/max/avg for the other functions,
   * per-`le` sums for quantiles). Default: every label set is its own alert.
   */
  by?: string[];
  /** Makes the value a ratio: the same function over this metric, aggregated the same way, divides it. */
  denominator?: MetricSelector;
  op: Comparison;
  threshold: number;
}

/**
 * A health rule: a check (or the whole system, `check: 'system'`) at `status` or worse for `for`.
 *
 * @example
 * { kind: 'health', name: 'DatabaseDown', check: 'database', status: 'unhealthy', for: '1m' }
 */
export interface HealthRule extends RuleBase {
  kind: 'health';
  /** A check's name, or `system` (the default) for the overall status. */
  check?: string;
  /** Default `degraded` (degraded or unhealthy). */
  status?: 'degraded' | 'unhealthy';
}

/**
 * An absence rule: a metric whose series are missing, or none of them changed for `window`.
 *
 * @example
 * { kind: 'absence', name: 'NoOrders', metric: 'orders_total', window: '10m' }
 */
export interface AbsenceRule extends RuleBase, MetricSelector {
  kind: 'absence';
  /** How long without a change. Default 5m. */
  window?: Duration;
}

/**
 * An anomaly rule: each series against its own rolling baseline (EWMA of mean and variance, optionally
 * one per hour of day or of week); fires when the z-score passes `sensitivity`.
 *
 * @example
 * { kind: 'anomaly', name: 'LatencyAnomaly', metric: 'performance.phase.duration', fn: 'quantile', quantile: 0.95,
 *   window: '1m', direction: 'up' }
 */
export interface AnomalyRule extends RuleBase, MetricSelector {
  kind: 'anomaly';
  /** The value followed per series. Default `last`; `rate` for counters. */
  fn?: WindowFunction;
  window?: Duration;
  quantile?: number;
  by?: string[];
  /** z-score above which a value is anomalous. Default 4.5. */
  sensitivity?: number;
  /** Which side counts. Default `both`. */
  direction?: 'up' | 'down' | 'both';
  /** Values seen before the rule may fire. Default 30. */
  minSamples?: number;
  /** Weight of a new value in the EWMA (0..1). Default 0.02 (a half-life of ~35 samples). */
  alpha?: number;
  /** A baseline per hour of the day or of the week (UTC), beside the global one. Default none. */
  seasonality?: 'none' | 'hourOfDay' | 'hourOfWeek';
}

/** Any rule. */
export type AlertRule = ThresholdRule | HealthRule | AbsenceRule | AnomalyRule;

/** Alert states, as in Prometheus, plus `resolved` for alerts kept a while after they stop. */
export type AlertState = 'inactive' | 'pending' | 'firing' | 'resolved';

/**
 * One alert: a rule's label set in some state. What the HTTP API and receivers see; events carry
 * the `AlertEventPayload` part (fingerprint, rule, state, labels, annotations, value and times).
 */
export interface Alert extends AlertEventPayload {
  /** When the last evaluation saw the condition hold. */
  readonly lastSeenAt: string;
  /** Silences (ids) that mute it right now. */
  readonly silencedBy: readonly string[];
  /** Alerts (fingerprints) that inhibit it right now. */
  readonly inhibitedBy: readonly string[];
  /** Set once someone acknowledged it; cleared when it resolves. */
  readonly acknowledgement?: Acknowledgement | undefined;
}

export interface Acknowledgement {
  readonly by: string;
  readonly comment: string;
  readonly at: string;
}

/** A silence, as in Alertmanager: alerts matching every matcher are muted between the two times. */
export interface Silence {
  readonly id: string;
  readonly matchers: readonly { readonly name: string; readonly op: '=' | '!=' | '=~' | '!~'; readonly value: string }[];
  readonly startsAt: string;
  readonly endsAt: string;
  readonly createdBy: string;
  readonly comment: string;
  /** `pending` before `startsAt`, `active`, `expired` after `endsAt`. */
  readonly state: 'pending' | 'active' | 'expired';
}

/** What `createSilence` takes. */
export interface SilenceInput {
  matchers: MatcherInput;
  /** Default now. ISO string or epoch milliseconds. */
  startsAt?: string | number;
  /** ISO string or epoch milliseconds; or give `duration`. */
  endsAt?: string | number;
  duration?: Duration;
  createdBy: string;
  comment: string;
}

/** A rule as listed by the API. */
export interface RuleStatus {
  readonly name: string;
  readonly kind: AlertRule['kind'];
  readonly severity?: string | undefined;
  /** A one-line description of the condition (`rate(x[5m]) > 3`). */
  readonly expression: string;
  readonly forSeconds: number;
  readonly keepFiringForSeconds: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** Worst state of its alerts. */
  readonly state: AlertState;
  readonly alerts: number;
  readonly lastEvaluation?: string | undefined;
  /** Why the last evaluation failed, if it did. */
  readonly lastError?: string | undefined;
}

/** @internal A validated rule. */
export interface CompiledRule {
  readonly source: AlertRule;
  readonly name: string;
  readonly kind: AlertRule['kind'];
  readonly forMs: number;
  readonly keepFiringForMs: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly expression: string;
  /** Metric reads (threshold, absence, anomaly). */
  readonly selectors: readonly CompiledSelector[];
  readonly windowMs: number;
}

/** @internal */
export interface CompiledSelector {
  readonly metric: string;
  readonly matchers: readonly CompiledMatcher[];
}
