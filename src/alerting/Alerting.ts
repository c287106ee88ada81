import { positiveIntOr, requireNonBlankString, requireObject } from '../internal/configCheck.js';
import { diag, type BatchObservableResult, type Meter, type ObservableResult } from '@opentelemetry/api';
import type { AlertEventPayload } from '../events/types.js';
import type { EventBus } from '../events/EventBus.js';
import { reportOnce } from '../internal/report.js';
import { withTimeout } from '../internal/timeout.js';
import { AlertmanagerClient, type AlertmanagerOptions } from './AlertmanagerClient.js';
import { AnomalyDetector } from './AnomalyDetector.js';
import type { AlertMetricSource } from './collectorSource.js';
import { Dispatcher, type DispatcherStats, type NotifiableAlert } from './Dispatcher.js';
import { formatDuration, parseDuration, type Duration } from './duration.js';
import { evaluateRule } from './evaluate.js';
import { exportPlannedRules, type PrometheusRulesExport, type PrometheusRulesExportOptions, type PrometheusRulesMetricInfo } from './exportPrometheusRules.js';
import { applyEvaluation, type AlertRecord, type Transition } from './lifecycle.js';
import { compileMatchers, matchesAll, type CompiledMatcher, type MatcherInput } from './matchers.js';
import type { ReceiverConfig } from './receivers.js';
import type { RouteConfig } from './routing.js';
import { compileRules, type PlannedRule } from './rules.js';
import { SampleWindow, labelKey } from './SampleWindow.js';
import { Silences } from './Silences.js';
import type { Acknowledgement, Alert, AlertRule, AlertState, RuleStatus, Silence, SilenceInput } from './types.js';

/** Name of the Prometheus-style gauge of pending and firing alerts. */
export const ALERTS_METRIC = 'ALERTS';

/** An inhibition rule, as in Alertmanager: firing source alerts mute matching targets that share `equal` labels. */
export interface InhibitRule {
  sourceMatchers: MatcherInput;
  targetMatchers: MatcherInput;
  /** Labels that must have the same value on source and target. */
  equal?: string[];
}

/**
 * Options of `createAlerting`.
 *
 * @example
 * createAlerting(monitoring, {
 *   evaluationInterval: '15s',
 *   rules: [{ kind: 'threshold', name: 'HighErrorRate', metric: 'orders_total', matchers: { outcome: 'failed' },
 *             fn: 'rate', window: '1m', op: '>', threshold: 0.1, for: '30s', severity: 'page' }],
 *   receivers: [{ name: 'ops', webhook: { url: 'http://127.0.0.1:9000/hook' } }],
 *   route: { receiver: 'ops', groupBy: ['alertname'] },
 * });
 */
export interface AlertingOptions {
  /** Rules; default: the file `MONITORING_ALERT_RULES` names, else none. */
  rules?: AlertRule[];
  /** How often rules are evaluated (and series sampled). Default 15s. */
  evaluationInterval?: Duration;
  /** The routing tree's root; its `receiver` is the default one. Without it, alerts are only tracked. */
  route?: RouteConfig;
  receivers?: ReceiverConfig[];
  inhibitRules?: InhibitRule[];
  /** Push alerts to one or more Alertmanagers too. */
  alertmanager?: AlertmanagerOptions;
  /** Where a human can see the alerts (used for `generatorURL` and `externalURL`). */
  externalUrl?: string;
  /** Most alerts per rule; further label sets are dropped and counted. Default 1000. */
  maxAlertsPerRule?: number;
  /** Most series sampled per referenced metric. Default 1000. */
  maxSeriesPerMetric?: number;
  /** Start evaluating at once. Default true. */
  start?: boolean;
}

/** What an `Alerting` reads from and writes to (`createAlerting` fills it from a monitoring handle). */
export interface AlertingDependencies {
  readonly source: AlertMetricSource;
  readonly events: EventBus;
  readonly meter: Meter;
  /** The collector's `read()`: metric units and kinds for `exportPrometheusRules()`. */
  readonly readMetrics?: () => Promise<readonly PrometheusRulesMetricInfo[]>;
}

/** Filter of `alerts()`. */
export interface AlertFilter {
  state?: Exclude<AlertState, 'inactive'> | readonly Exclude<AlertState, 'inactive'>[];
  rule?: string;
  /** Include silenced and inhibited alerts. Default true. */
  muted?: boolean;
}

/** Counters of the alerting engine. */
export interface AlertingStats {
  readonly evaluations: number;
  readonly evaluationFailures: number;
  readonly droppedAlerts: number;
  readonly droppedSeries: number;
  readonly sampledSeries: number;
  readonly samples: number;
  readonly notifications: DispatcherStats;
}

interface RuleRuntime {
  readonly rule: PlannedRule;
  readonly alerts: Map<string, AlertRecord>;
  readonly detector: AnomalyDetector | undefined;
  lastEvaluation: number | undefined;
  lastError: string | undefined;
}

/** How long a series that left pending/firing is reported as 0 in ALERTS. */
const RETIRED_ALERT_MS = 10 * 60_000;

const HEALTH_LEVEL: Readonly<Record<string, number>> = { healthy: 0, degraded: 1, unhealthy: 2 };

/**
 * Evaluates alert rules over the collector's series and health, tracks each alert's lifecycle
 * (pending → firing → resolved) and hands notifications to the routing tree, the receivers and
 * Alertmanager. Create it with `createAlerting(monitoring, options)`.
 */
export class Alerting {
  private readonly _rules: RuleRuntime[];
  private readonly _metrics: string[];
  private readonly _window: SampleWindow;
  private readonly _silences = new Silences();
  private readonly _acks = new Map<string, Acknowledgement>();
  private readonly _health = new Map<string, number>();
  private readonly _inhibit: { source: CompiledMatcher[]; target: CompiledMatcher[]; equal: string[] }[];
  private readonly _dispatcher: Dispatcher | undefined;
  private readonly _alertmanager: AlertmanagerClient | undefined;
  private readonly _intervalMs: number;
  private readonly _maxAlerts: number;
  private readonly _since: number;
  private readonly _unsubscribe: (() => void)[] = [];
  private readonly _unobserve: () => void;
  private readonly _reported = new Map<string, { attrs: Record<string, string>; until: number }>();
  private _timer: NodeJS.Timeout | undefined;
  private _evaluations = 0;
  private _failures = 0;
  private _droppedAlerts = 0;
  private _stopped = false;
  private _shutdown: Promise<void> | undefined;

  constructor(
    private readonly _deps: AlertingDependencies,
    options: AlertingOptions = {},
  ) {
    requireObject('alerting', options);
    this._intervalMs = parseDuration(options.evaluationInterval ?? '15s', 'alerting.evaluationInterval', false);
    this._maxAlerts = positiveIntOr('alerting.maxAlertsPerRule', options.maxAlertsPerRule, 1000);
    const maxSeries = positiveIntOr('alerting.maxSeriesPerMetric', options.maxSeriesPerMetric, 1000);
    const rules = compileRules(options.rules ?? [], 'rules');
    this._rules = rules.map((rule) => ({
      rule,
      alerts: new Map(),
      detector: rule.plan.kind === 'anomaly' ? new AnomalyDetector({ ...rule.plan.anomaly, maxSeries }) : undefined,
      lastEvaluation: undefined,
      lastError: undefined,
    }));
    this._metrics = [...new Set(rules.flatMap((r) => r.selectors.map((s) => s.metric)))];
    const longest = Math.max(0, ...rules.map((r) => r.windowMs));
    this._window = new SampleWindow({
      retentionMs: longest,
      // Two extra samples so a window always has its edge samples; capped so a 1 s interval with a
      // one-day window cannot hold 86,400 samples per series.
      maxSamples: Math.min(10_000, Math.ceil(longest / this._intervalMs) + 3 + Math.ceil(300_000 / this._intervalMs)),
      maxSeries,
    });
    this._inhibit = (options.inhibitRules ?? []).map((r, i) => ({
      source: compileMatchers(r?.sourceMatchers, `inhibitRules[${i}].sourceMatchers`),
      target: compileMatchers(r?.targetMatchers, `inhibitRules[${i}].targetMatchers`),
      equal: Array.isArray(r?.equal) ? [...r.equal] : [],
    }));
    const externalUrl = options.externalUrl ?? '';
    if (options.route !== undefined || options.receivers !== undefined) {
      this._dispatcher = new Dispatcher({ route: options.route, receivers: options.receivers ?? [], events: _deps.events, externalUrl });
    }
    if (options.alertmanager !== undefined) this._alertmanager = new AlertmanagerClient(options.alertmanager, this._intervalMs, externalUrl);
    this._since = Date.now();

    if (this._rules.some((r) => r.rule.plan.kind === 'health')) {
      this._unsubscribe.push(
        _deps.events.subscribe('health.status.changed', (e) => void this._health.set(e.check, HEALTH_LEVEL[e.current] ?? 0)),
        _deps.events.subscribe('health.check.completed', (e) => void this._health.set(e.check, HEALTH_LEVEL[e.status] ?? 0)),
      );
    }

    const gauge = _deps.meter.createObservableGauge(ALERTS_METRIC, { description: 'Alerts of the SDK\'s rules that are pending or firing (1 per alert), as Prometheus\' ALERTS series.' });
    const observe = (result: ObservableResult): void => {
      const now = Date.now();
      const live = new Set<string>();
      for (const rt of this._rules) {
        for (const a of rt.alerts.values()) {
          if (a.state === 'resolved') continue;
          // Prometheus' label order: alertname, alertstate, then the alert's labels by name.
          const attrs: Record<string, string> = { alertname: a.rule, alertstate: a.state };
          for (const k of Object.keys(a.labels).sort()) if (k !== 'alertname') attrs[k] = a.labels[k]!;
          const key = labelKey(attrs);
          live.add(key);
          this._reported.set(key, { attrs, until: 0 });
          result.observe(1, attrs);
        }
      }
      // OTel's cumulative gauges repeat a series' last value once it stops being observed, where
      // Prometheus would drop it: a series that left pending/firing is reported as 0 for a while
      // (long enough for every reader to collect it once), so no reader keeps showing it as 1.
      for (const [key, r] of this._reported) {
        if (live.has(key)) continue;
        if (r.until === 0) r.until = now + RETIRED_ALERT_MS;
        if (now > r.until || this._reported.size > 10_000) {
          this._reported.delete(key);
          continue;
        }
        result.observe(0, r.attrs);
      }
    };
    gauge.addCallback(observe);
    // Self-metrics: what evaluation and delivery did, dropped work included (it is bounded, so it is counted).
    const evaluations = _deps.meter.createObservableCounter('alerting.rule.evaluations', { description: 'Rule evaluation rounds, by result.' });
    const notifications = _deps.meter.createObservableCounter('alerting.notifications', { description: 'Notifications by result: sent, failed (after retries), dropped (queue full or closed), retried.' });
    const dropped = _deps.meter.createObservableCounter('alerting.dropped', { description: 'Series and alerts the alerting bounds dropped, by what.' });
    const batch = (result: BatchObservableResult): void => {
      const st = this.stats();
      result.observe(evaluations, st.evaluations, { result: 'ok' });
      result.observe(evaluations, st.evaluationFailures, { result: 'failed' });
      for (const k of ['sent', 'failed', 'dropped', 'retried'] as const) result.observe(notifications, st.notifications[k], { result: k });
      result.observe(dropped, st.droppedSeries, { what: 'series' });
      result.observe(dropped, st.droppedAlerts, { what: 'alerts' });
    };
    _deps.meter.addBatchObservableCallback(batch, [evaluations, notifications, dropped]);
    this._unobserve = () => {
      gauge.removeCallback(observe);
      _deps.meter.removeBatchObservableCallback(batch, [evaluations, notifications, dropped]);
    };

    if (options.start ?? true) this.start();
  }

  /** Evaluation interval in milliseconds. */
  get evaluationIntervalMs(): number {
    return this._intervalMs;
  }

  /**
   * Evaluates once now (so counters get their first sample before anything moves: a series first
   * sampled after its increment shows no increase), then every interval on an unref'd timer. Idempotent.
   */
  start(): void {
    if (this._timer !== undefined || this._stopped) return;
    this.evaluate();
    this._timer = setInterval(() => this.evaluate(), this._intervalMs);
    this._timer.unref();
  }

  /**
   * Samples the referenced series and evaluates every rule once, at `now`. The timer calls it; tests
   * and scripts may call it directly. Never throws: a failing rule records `lastError`.
   */
  evaluate(now: number = Date.now()): void {
    if (this._stopped) return;
    for (const metric of this._metrics) {
      try {
        this._window.ingest(metric, this._deps.source.read(metric), now);
      } catch (err) {
        reportOnce(`alerting.read.${metric}`, `alerting could not read metric "${metric}": ${String(err)}`);
      }
    }
    const transitions: Transition[] = [];
    for (const rt of this._rules) {
      try {
        let result = evaluateRule(rt.rule, { window: this._window, now, health: this._health, since: this._since, detector: rt.detector });
        const room = this._maxAlerts - rt.alerts.size;
        if (result.length > this._maxAlerts && result.length > room) {
          this._droppedAlerts += result.length - Math.max(room, 0);
          reportOnce(`alerting.maxAlerts.${rt.rule.name}`, `alert rule "${rt.rule.name}" produced more than ${this._maxAlerts} alerts; the rest are dropped`);
          result = result.slice(0, this._maxAlerts);
        }
        transitions.push(...applyEvaluation(rt.rule, rt.alerts, result, now));
        rt.lastError = undefined;
      } catch (err) {
        this._failures++;
        rt.lastError = err instanceof Error ? err.message : String(err);
        reportOnce(`alerting.eval.${rt.rule.name}`, `alert rule "${rt.rule.name}" failed to evaluate: ${rt.lastError}`);
      }
      rt.lastEvaluation = now;
    }
    this._evaluations++;
    for (const t of transitions) {
      if (t.to === 'resolved') this._acks.delete(t.alert.fingerprint);
      this._publish(t);
    }
    // An acknowledged pending alert can also just go away: its acknowledgement goes with it.
    for (const fp of this._acks.keys()) {
      const a = this._record(fp);
      if (a === undefined || a.state === 'resolved') this._acks.delete(fp);
    }
    if (this._dispatcher !== undefined || this._alertmanager !== undefined) {
      const all = this._notifiable(now);
      this._dispatcher?.update(all, now);
      this._alertmanager?.update(all, now);
    }
  }

  /** Alerts, newest first, optionally filtered by state and rule. */
  alerts(filter: AlertFilter = {}): Alert[] {
    const now = Date.now();
    const states = filter.state === undefined ? undefined : new Set(Array.isArray(filter.state) ? filter.state : [filter.state]);
    const out: Alert[] = [];
    for (const rt of this._rules) {
      if (filter.rule !== undefined && rt.rule.name !== filter.rule) continue;
      for (const a of rt.alerts.values()) {
        if (states !== undefined && !states.has(a.state)) continue;
        const view = this._view(a, now);
        if (filter.muted === false && (view.silencedBy.length > 0 || view.inhibitedBy.length > 0)) continue;
        out.push(view);
      }
    }
    return out.sort((x, y) => (y.activeAt < x.activeAt ? -1 : y.activeAt > x.activeAt ? 1 : 0));
  }

  /** One alert by fingerprint. */
  alert(fingerprint: string): Alert | undefined {
    for (const rt of this._rules) {
      const a = rt.alerts.get(fingerprint);
      if (a !== undefined) return this._view(a, Date.now());
    }
    return undefined;
  }

  /** Every rule with its current state. */
  rules(): RuleStatus[] {
    return this._rules.map((rt) => {
      let state: AlertState = 'inactive';
      for (const a of rt.alerts.values()) {
        if (a.state === 'firing') state = 'firing';
        else if (a.state === 'pending' && state !== 'firing') state = 'pending';
        else if (a.state === 'resolved' && state === 'inactive') state = 'resolved';
      }
      const r = rt.rule;
      return {
        name: r.name,
        kind: r.kind,
        severity: r.labels.severity,
        expression: r.expression,
        forSeconds: r.forMs / 1000,
        keepFiringForSeconds: r.keepFiringForMs / 1000,
        labels: r.labels,
        annotations: r.annotations,
        state,
        alerts: [...rt.alerts.values()].filter((a) => a.state !== 'resolved').length,
        lastEvaluation: rt.lastEvaluation === undefined ? undefined : new Date(rt.lastEvaluation).toISOString(),
        lastError: rt.lastError,
      };
    });
  }

  /** @internal The validated rules (for the Prometheus export). */
  plannedRules(): readonly PlannedRule[] {
    return this._rules.map((r) => r.rule);
  }

  /**
   * This engine's threshold and absence rules as a Prometheus rules file, named as the collector's
   * /metrics names them: units and metric types come from `collector.read()` (read once, now), so
   * `performance.phase.duration` becomes `performance_phase_duration_seconds_bucket` without any
   * `units`. The group's interval defaults to `evaluationInterval`; `options.units` still overrides
   * a unit, and `options.metrics` replaces the read.
   *
   * @example
   * writeFileSync('alerts.rules.yml', (await alerting.exportPrometheusRules()).yaml);
   */
  async exportPrometheusRules(options: PrometheusRulesExportOptions = {}): Promise<PrometheusRulesExport> {
    const metrics = options.metrics ?? (this._deps.readMetrics !== undefined ? await this._deps.readMetrics() : undefined);
    return exportPlannedRules(this.plannedRules(), {
      ...options,
      interval: options.interval ?? formatDuration(this._intervalMs),
      ...(metrics !== undefined ? { metrics } : {}),
    });
  }

  /** Creates a silence; throws `ConfigurationError` naming the bad field. */
  createSilence(input: SilenceInput): Silence {
    return this._silences.create(input, Date.now());
  }

  /** Expires a silence now; false when there is no such silence. */
  expireSilence(id: string): boolean {
    return this._silences.expire(id, Date.now());
  }

  silences(): Silence[] {
    return this._silences.list(Date.now());
  }

  /**
   * Acknowledges an alert: it stays firing and listed, but repeat notifications stop until it
   * resolves. False when no pending or firing alert has that fingerprint. Takes `(fp, by, comment)`
   * or `(fp, { by, comment })` (the dashboard's form).
   */
  acknowledge(fingerprint: string, by: string | { by: string; comment?: string }, comment = ''): boolean {
    if (by !== null && typeof by === 'object') {
      comment = typeof by.comment === 'string' ? by.comment : '';
      by = by.by;
    }
    requireNonBlankString('acknowledge.by', by);
    const a = this._record(fingerprint);
    if (a === undefined || a.state === 'resolved') return false;
    this._acks.set(fingerprint, { by, comment: String(comment), at: new Date().toISOString() });
    return true;
  }

  /** Removes an acknowledgement. */
  unacknowledge(fingerprint: string): boolean {
    return this._acks.delete(fingerprint);
  }

  stats(): AlertingStats {
    const size = this._window.size();
    return {
      evaluations: this._evaluations,
      evaluationFailures: this._failures,
      droppedAlerts: this._droppedAlerts,
      droppedSeries: this._window.droppedSeries,
      sampledSeries: size.series,
      samples: size.samples,
      notifications: this._dispatcher?.stats() ?? { sent: 0, failed: 0, dropped: 0, retried: 0 },
    };
  }

  /** Stops evaluating, flushes queued notifications (up to `timeoutMs`) and resolves. Safe to call twice. */
  shutdown(timeoutMs = 5000): Promise<void> {
    this._shutdown ??= (async () => {
      this._stopped = true;
      if (this._timer !== undefined) clearInterval(this._timer);
      this._timer = undefined;
      for (const u of this._unsubscribe) u();
      this._unobserve();
      const work = Promise.all([this._dispatcher?.shutdown(), this._alertmanager?.shutdown()]);
      await withTimeout(work, timeoutMs, 'alerting shutdown').catch((err) => diag.warn(`[service-infrastructure] ${String(err)}`));
    })();
    return this._shutdown;
  }

  private _record(fp: string): AlertRecord | undefined {
    for (const rt of this._rules) {
      const a = rt.alerts.get(fp);
      if (a !== undefined) return a;
    }
    return undefined;
  }

  private _silencedBy(labels: Readonly<Record<string, string>>, now: number): string[] {
    return this._silences.matching(labels, now);
  }

  private _inhibitedBy(a: AlertRecord): string[] {
    if (this._inhibit.length === 0) return [];
    const out: string[] = [];
    for (const rule of this._inhibit) {
      if (!matchesAll(rule.target, a.labels)) continue;
      for (const rt of this._rules) {
        for (const s of rt.alerts.values()) {
          if (s.state !== 'firing' || s.fingerprint === a.fingerprint || !matchesAll(rule.source, s.labels)) continue;
          if (rule.equal.every((l) => (s.labels[l] ?? '') === (a.labels[l] ?? ''))) out.push(s.fingerprint);
        }
      }
    }
    return out;
  }

  private _view(a: AlertRecord, now: number): Alert {
    return {
      ...payload(a),
      lastSeenAt: new Date(a.lastSeenAt).toISOString(),
      silencedBy: this._silencedBy(a.labels, now),
      inhibitedBy: this._inhibitedBy(a),
      acknowledgement: this._acks.get(a.fingerprint),
    };
  }

  private _notifiable(now: number): NotifiableAlert[] {
    const out: NotifiableAlert[] = [];
    for (const rt of this._rules) {
      for (const a of rt.alerts.values()) {
        if (a.state === 'pending') continue;
        out.push({
          record: a,
          muted: this._silencedBy(a.labels, now).length > 0 || this._inhibitedBy(a).length > 0,
          acknowledged: this._acks.has(a.fingerprint),
        });
      }
    }
    return out;
  }

  private _publish(t: Transition): void {
    const type = t.to === 'pending' ? 'alert.pending' : t.to === 'firing' ? 'alert.firing' : 'alert.resolved';
    if (!this._deps.events.hasSubscribers(type)) return;
    this._deps.events.publish(type, { alert: payload(t.alert), timestamp: t.alert.resolvedAt ?? t.alert.firedAt ?? t.alert.activeAt });
  }
}

/** @internal The event/API form of an alert record. */
export function payload(a: AlertRecord): AlertEventPayload & { state: 'pending' | 'firing' | 'resolved' } {
  return {
    fingerprint: a.fingerprint,
    rule: a.rule,
    state: a.state,
    labels: a.labels,
    annotations: a.annotations,
    value: a.value,
    activeAt: new Date(a.activeAt).toISOString(),
    firedAt: a.firedAt === undefined ? undefined : new Date(a.firedAt).toISOString(),
    resolvedAt: a.resolvedAt === undefined ? undefined : new Date(a.resolvedAt).toISOString(),
  };
}
