import { requireArray, requireBoolean, requireMethods, requireNumber, requireOneOf, requirePositiveInt } from '../internal/configCheck.js';
import { metrics, type Attributes, type BatchObservableResult, type Meter, type Observable } from '@opentelemetry/api';
import { MIN_HEALTH_CHECK_INTERVAL_SECONDS, type MonitoringSettings } from '../config/MonitoringSettings.js';
import { ConfigurationError, TimeoutError } from '../errors/MonitoringError.js';
import type { EventBus } from '../events/EventBus.js';
import type { HealthStatus } from '../events/types.js';
import { redactDeep, redactSecrets } from '../internal/redact.js';
import { reportOnce } from '../internal/report.js';
import { describe, failure, normalize } from './result.js';
import type { IHealthCheck } from './IHealthCheck.js';
import { raceDeadline } from '../internal/timeout.js';
import type {
  CheckOptions,
  CheckReport,
  HealthCategory,
  HealthCheckFunction,
  HealthCheckResult,
  HealthChecker,
  HealthReport,
} from './types.js';

/**
 * Names of the observable gauges a manager registers, the OTel way (dotted, unit in the `unit`
 * field). Prometheus shows `health_check_status`, `health_check_duration_seconds`, `health_status`.
 */
export const HEALTH_METRICS = Object.freeze({
  /** Per check: 1 healthy, 0.5 degraded, 0 unhealthy. Attributes `check`, `category`, `critical`. */
  checkStatus: 'health.check.status',
  /** Per check: duration of the latest run, in seconds. */
  checkDuration: 'health.check.duration',
  /** The aggregate over every check: 1 healthy, 0.5 degraded, 0 unhealthy. */
  status: 'health.status',
} as const);

/** Gauge value of each status: ordered so that `min()` over checks is the worst. */
export const HEALTH_STATUS_VALUE: Readonly<Record<HealthStatus, number>> = Object.freeze({ healthy: 1, degraded: 0.5, unhealthy: 0 });

const SEVERITY: Readonly<Record<HealthStatus, number>> = Object.freeze({ healthy: 0, degraded: 1, unhealthy: 2 });
const CATEGORIES: readonly HealthCategory[] = ['component', 'system', 'business'];
const MAX_TIMER_MS = 2_147_483_647;
const TIMED_OUT = Symbol('timed out');
const NO_DETAILS: Readonly<Record<string, unknown>> = Object.freeze({});

/** Options of `HealthCheckManager`; every one is optional, so `new HealthCheckManager()` works. */
export interface HealthCheckManagerOptions {
  /** Supplies `healthCheckInterval` (seconds between background runs). */
  settings?: Pick<MonitoringSettings, 'healthCheckInterval'>;
  /** Seconds between background runs; overrides `settings.healthCheckInterval`. Default 30. */
  intervalSeconds?: number;
  /** Where `health.*` events are published. Without a bus no events are built. */
  events?: EventBus;
  /**
   * The OTel meter the status gauges are registered on (`monitoring.getMeter()`). Default: a meter
   * of `collector` when given, else of the global MeterProvider.
   */
  meter?: Meter;
  /** A collector whose meter gets the gauges (`collector.getMeter()`), when `meter` is not given. */
  collector?: { getMeter(name?: string, version?: string): Meter };
  /** Run every check in the background every interval (unref'd timer). Default true. */
  background?: boolean;
  /** Timeout of checks registered without one. Default 5000 ms. */
  defaultTimeoutMs?: number;
  /** Most checks one manager accepts; `registerCheck` throws past it. Default 1000. */
  maxChecks?: number;
}

/** Options of `checkHealth()`. */
export interface CheckHealthOptions {
  /** Only the checks tagged with this group, aggregated on their own. */
  group?: string;
  /** Run every check now instead of serving fresh cached results. */
  fresh?: boolean;
}

interface Entry {
  readonly name: string;
  readonly run: (signal: AbortSignal) => unknown;
  readonly close: (() => void) | undefined;
  readonly timeoutMs: number;
  readonly cacheTtlMs: number | undefined;
  readonly category: HealthCategory;
  readonly critical: boolean;
  readonly tags: readonly string[];
  readonly description: string | undefined;
  readonly attributes: Attributes;
  last: CheckReport | undefined;
  /** The run the manager is waiting for, shared by concurrent callers. */
  inflight: Promise<CheckReport> | undefined;
  /** The checker's own promise, which may outlive a run that timed out. */
  executing: boolean;
  executingSince: number;
  /** Deadline of the run in flight: unref'd while only the background timer waits for it. */
  deadline: NodeJS.Timeout | undefined;
  removed: boolean;
}

/**
 * Runs health checks concurrently, each under its own timeout, caches their results, refreshes them
 * in the background, and reports health as a `HealthReport`, `health.*` events and OTel gauges.
 *
 * A check that hangs is reported unhealthy ("timed out after N ms") at its deadline without delaying
 * the others; a check that throws is reported unhealthy with its message and never throws into the
 * caller. One check never runs twice at once: concurrent callers share a run, and while a timed-out
 * run is still executing, later runs report it as still timed out instead of piling up more calls.
 *
 * Aggregation: the worst status of the critical checks wins; a failing non-critical check can only
 * make the whole degraded. A group (a tag such as `readiness`) aggregates its own members.
 *
 * @example
 * const health = new HealthCheckManager({ events: monitoring.events, meter: monitoring.getMeter(), settings: monitoring.settings });
 * health.registerCheck('cache', new CacheHealthChecker(redis), { tags: ['readiness'] });
 * health.registerCheck('database', new ConnectionPoolHealthChecker(pool), { timeoutMs: 2000 });
 * health.registerCheck('disk', new DiskSpaceHealthChecker({ path: '/' }), { critical: false, category: 'system' });
 * const report = await health.checkHealth();   // { status: 'healthy', checks: { cache: {...}, ... } }
 */
export class HealthCheckManager implements IHealthCheck {
  /** `IHealthCheck`'s registry dependencies: none, so `registry.register(IHealthCheck, HealthCheckManager)` works. */
  static readonly inject = [] as const;

  private readonly _entries = new Map<string, Entry>();
  private readonly _intervalMs: number;
  private readonly _events: EventBus | undefined;
  private readonly _background: boolean;
  private readonly _defaultTimeoutMs: number;
  private readonly _maxChecks: number;
  private _timer: NodeJS.Timeout | undefined;
  private _systemStatus: HealthStatus | undefined;
  private _snapshot: HealthReport | undefined;
  private _snapshotExpires = 0;
  private readonly _groupSnapshots = new Map<string, { report: HealthReport; expires: number }>();
  private _refreshing: Promise<HealthReport> | undefined;
  /** Bumped on every register and unregister: a run that started before a change is partial. */
  private _generation = 0;
  private _shutdown: Promise<void> | undefined;
  private readonly _meter: Meter;
  private readonly _gauges: Observable[];
  private readonly _observe: (result: BatchObservableResult) => void;

  constructor(options: HealthCheckManagerOptions = {}) {
    const interval = options.intervalSeconds ?? options.settings?.healthCheckInterval ?? 30;
    requireNumber(
      options.intervalSeconds !== undefined ? 'intervalSeconds' : 'healthCheckInterval',
      interval,
      { min: MIN_HEALTH_CHECK_INTERVAL_SECONDS, max: MAX_TIMER_MS / 1000 },
      `a number of seconds from ${MIN_HEALTH_CHECK_INTERVAL_SECONDS} to ${Math.floor(MAX_TIMER_MS / 1000)}`,
    );
    this._intervalMs = interval * 1000;
    this._defaultTimeoutMs = checkTimeout('defaultTimeoutMs', options.defaultTimeoutMs ?? 5000);
    const max = options.maxChecks ?? 1000;
    requirePositiveInt('maxChecks', max);
    this._maxChecks = max;
    if (options.events !== undefined) requireMethods('events', options.events, ['publish'], 'an EventBus');
    this._events = options.events;
    this._background = options.background ?? true;

    this._meter = options.meter ?? options.collector?.getMeter() ?? metrics.getMeter('service-infrastructure');
    const statusGauge = this._meter.createObservableGauge(HEALTH_METRICS.checkStatus, {
      description: 'Latest status of each health check: 1 healthy, 0.5 degraded, 0 unhealthy',
      // A status score, not a ratio: no unit, so Prometheus keeps the name without a `_ratio` suffix.
      unit: '',
    });
    const durationGauge = this._meter.createObservableGauge(HEALTH_METRICS.checkDuration, {
      description: 'Duration of the latest run of each health check',
      unit: 's',
    });
    const overallGauge = this._meter.createObservableGauge(HEALTH_METRICS.status, {
      description: 'Aggregate health of the service: 1 healthy, 0.5 degraded, 0 unhealthy',
      unit: '',
    });
    this._gauges = [statusGauge, durationGauge, overallGauge];
    // One batch callback for the three gauges: collection walks the checks once.
    this._observe = (result) => {
      for (const entry of this._entries.values()) {
        const last = entry.last;
        if (last === undefined) continue;
        result.observe(statusGauge, HEALTH_STATUS_VALUE[last.status], entry.attributes);
        result.observe(durationGauge, last.durationMs / 1000, entry.attributes);
      }
      if (this._systemStatus !== undefined) result.observe(overallGauge, HEALTH_STATUS_VALUE[this._systemStatus]);
    };
    this._meter.addBatchObservableCallback(this._observe, this._gauges);
  }

  /** Seconds between background runs. */
  get intervalSeconds(): number {
    return this._intervalMs / 1000;
  }

  /** The aggregate status after the latest completed runs, or undefined before any run. */
  get status(): HealthStatus | undefined {
    return this._systemStatus;
  }

  /** Names of the registered checks. */
  checkNames(): string[] {
    return [...this._entries.keys()];
  }

  /** True when at least one registered check carries `group` as a tag. */
  hasGroup(group: string): boolean {
    for (const e of this._entries.values()) if (e.tags.includes(group)) return true;
    return false;
  }

  /**
   * Adds a check. `checker` is an object with `check(signal)` (the classes in `checkers/`) or a
   * function. Throws a `ConfigurationError` for a duplicate name or bad options.
   */
  registerCheck(name: string, checker: HealthChecker | HealthCheckFunction, options: CheckOptions = {}): this {
    if (this._shutdown !== undefined) throw new ConfigurationError('registerCheck', name, 'a manager that has not been shut down');
    if (typeof name !== 'string' || name.trim() === '' || name.length > 200) {
      throw new ConfigurationError('name', name, 'a non-empty string of at most 200 characters');
    }
    if (this._entries.has(name)) throw new ConfigurationError('name', name, 'a name not registered yet (unregisterCheck it first)');
    if (this._entries.size >= this._maxChecks) throw new ConfigurationError('maxChecks', this._maxChecks, `room for check "${name}"`);
    let run: (signal: AbortSignal) => unknown;
    let close: (() => void) | undefined;
    if (typeof checker === 'function') run = checker;
    else {
      requireMethods(`checker of "${name}"`, checker, ['check'], 'a function or an object with check()');
      run = (signal) => checker.check(signal);
      if (typeof checker.close === 'function') close = () => checker.close?.();
    }
    const timeoutMs = checkTimeout(`timeoutMs of "${name}"`, options.timeoutMs ?? this._defaultTimeoutMs);
    const ttl = options.cacheTtlMs;
    if (ttl !== undefined) requireNumber(`cacheTtlMs of "${name}"`, ttl, { min: 0 }, 'a non-negative number of milliseconds');
    const category = options.category ?? 'component';
    requireOneOf(`category of "${name}"`, category, CATEGORIES, CATEGORIES.join(', '));
    const critical = options.critical ?? true;
    requireBoolean(`critical of "${name}"`, critical);
    const tags = options.tags ?? [];
    requireArray(`tags of "${name}"`, tags, 'an array of names made of letters, digits, "_", "." and "-"', (t) => typeof t === 'string' && /^[A-Za-z0-9_.-]+$/.test(t));
    const entry: Entry = {
      name,
      run,
      close,
      timeoutMs,
      cacheTtlMs: ttl,
      category,
      critical,
      tags: Object.freeze([...tags]),
      description: options.description,
      attributes: Object.freeze({ check: name, category, critical: String(critical) }),
      last: undefined,
      inflight: undefined,
      executing: false,
      executingSince: 0,
      deadline: undefined,
      removed: false,
    };
    this._entries.set(name, entry);
    this._generation++;
    this._invalidate();
    if (this._background) {
      this.start();
      // A check registered after start is run at once, so readiness does not wait a full interval.
      void this._run(entry, false).then(() => this._updateSystemFromEntries());
    }
    return this;
  }

  /** Removes a check; returns false when there was none by that name. */
  unregisterCheck(name: string): boolean {
    const entry = this._entries.get(name);
    if (entry === undefined) return false;
    entry.removed = true;
    this._entries.delete(name);
    this._generation++;
    closeQuietly(entry);
    this._invalidate();
    this._updateSystemFromEntries();
    return true;
  }

  /**
   * Runs one check now (joining a run already in flight) and returns its report, or undefined when
   * no check has that name. Never throws because of the check.
   */
  async checkComponent(name: string): Promise<CheckReport | undefined> {
    const entry = this._entries.get(name);
    if (entry === undefined) return undefined;
    const report = await this._run(entry, true);
    this._updateSystemFromEntries();
    return report;
  }

  /**
   * The health of every check (or of one group): fresh cached results are served as they are, stale
   * ones are re-run concurrently, each bounded by its timeout. Never throws because of a check.
   */
  checkHealth(options?: CheckHealthOptions): Promise<HealthReport> {
    const group = options?.group;
    const fresh = options?.fresh === true;
    const now = Date.now();
    if (!fresh) {
      // The whole report is reused while every result in it is fresh: a cached read costs one
      // Date.now() and the returned promise.
      if (group === undefined) {
        if (this._snapshot !== undefined && now < this._snapshotExpires) return Promise.resolve(this._snapshot);
      } else {
        const cached = this._groupSnapshots.get(group);
        if (cached !== undefined && now < cached.expires) return Promise.resolve(cached.report);
      }
    }
    return this._collect(group, fresh, true);
  }

  /** Starts background runs every interval (idempotent); runs every check once right away. */
  start(): void {
    if (this._timer !== undefined || this._shutdown !== undefined) return;
    this._timer = setInterval(() => void this._backgroundRefresh(), this._intervalMs);
    this._timer.unref();
    if (this._entries.size > 0) void this._backgroundRefresh();
  }

  /** Stops background runs; `checkHealth()` keeps working on demand. */
  stop(): void {
    if (this._timer !== undefined) clearInterval(this._timer);
    this._timer = undefined;
  }

  /** Runs every check now (what the background timer does); overlapping calls share one run. */
  refresh(): Promise<HealthReport> {
    const running = this._backgroundRefresh();
    // Someone awaits it now: its deadlines must keep the process alive until the answer.
    for (const e of this._entries.values()) e.deadline?.ref();
    return running;
  }

  private _backgroundRefresh(): Promise<HealthReport> {
    this._refreshing ??= this._collect(undefined, true, false).finally(() => {
      this._refreshing = undefined;
    });
    return this._refreshing;
  }

  /**
   * Stops the timer, unregisters the gauges' callback and waits (up to `timeoutMs`) for runs in
   * flight. Safe to call twice.
   */
  shutdown(timeoutMs = 5000): Promise<void> {
    this._shutdown ??= (async () => {
      this.stop();
      this._meter.removeBatchObservableCallback(this._observe, this._gauges);
      for (const e of this._entries.values()) closeQuietly(e);
      const pending: Promise<CheckReport>[] = [];
      for (const e of this._entries.values()) if (e.inflight !== undefined) pending.push(e.inflight);
      if (pending.length === 0) return;
      await raceDeadline(Promise.allSettled(pending), timeoutMs, undefined);
    })();
    return this._shutdown;
  }

  private async _collect(group: string | undefined, fresh: boolean, awaited: boolean): Promise<HealthReport> {
    const generation = this._generation;
    const now = Date.now();
    const members: Entry[] = [];
    for (const e of this._entries.values()) if (group === undefined || e.tags.includes(group)) members.push(e);
    const runs: (CheckReport | Promise<CheckReport>)[] = new Array(members.length);
    for (let i = 0; i < members.length; i++) {
      const e = members[i]!;
      const last = e.last;
      runs[i] = !fresh && last !== undefined && now - last.checkedAt < this._ttl(e) ? last : this._run(e, awaited);
    }
    const results = await Promise.all(runs);
    if (this._generation !== generation && this._shutdown === undefined) {
      // A check was registered or removed while this ran: the answer is partial. Never serve or
      // cache it; answer again over the current checks (results just taken are fresh and reused).
      return this._collect(group, false, awaited);
    }
    const checks: Record<string, CheckReport> = {};
    let expires = Infinity;
    for (const r of results) {
      checks[r.name] = r;
      const e = this._entries.get(r.name);
      if (e !== undefined) expires = Math.min(expires, r.checkedAt + this._ttl(e));
    }
    const status = this._aggregate(results);
    const report: HealthReport = Object.freeze({ status, checks: Object.freeze(checks), checkedAt: Date.now(), group });
    if (group === undefined) {
      this._updateSystem(status);
      this._snapshot = report;
      this._snapshotExpires = expires;
    } else {
      this._updateSystemFromEntries();
      if (this._groupSnapshots.size >= 100) this._groupSnapshots.clear();
      this._groupSnapshots.set(group, { report, expires });
    }
    return report;
  }

  private _ttl(e: Entry): number {
    return e.cacheTtlMs ?? this._intervalMs;
  }

  private _run(e: Entry, awaited: boolean): Promise<CheckReport> {
    if (e.inflight !== undefined) {
      if (awaited) e.deadline?.ref();
      return e.inflight;
    }
    const run = this._execute(e, awaited);
    e.inflight = run;
    void run.finally(() => {
      if (e.inflight === run) e.inflight = undefined;
    });
    return run;
  }

  private async _execute(e: Entry, awaited: boolean): Promise<CheckReport> {
    const started = performance.now();
    let result: HealthCheckResult;
    let timedOut = false;
    if (e.executing) {
      // The previous run timed out and its checker has still not returned: calling it again would
      // stack up calls against a dependency that is already stuck.
      timedOut = true;
      result = {
        status: 'unhealthy',
        reason: `timed out after ${e.timeoutMs} ms (previous run still pending after ${Date.now() - e.executingSince} ms)`,
      };
    } else {
      const controller = new AbortController();
      let execution: Promise<unknown>;
      try {
        execution = Promise.resolve(e.run(controller.signal));
      } catch (err) {
        execution = Promise.reject(err);
      }
      e.executing = true;
      e.executingSince = Date.now();
      const settled = execution.then(
        (value) => normalize(value),
        (err: unknown) => failure(err),
      );
      void settled.then(() => {
        e.executing = false;
      });
      // A deadline someone awaits keeps the process alive (a script awaiting checkHealth() on a
      // hanging check must print its answer, not exit with code 13); one that only the
      // background refresh waits for must not keep an exiting application up.
      const outcome = await raceDeadline(settled, e.timeoutMs, TIMED_OUT, {
        unref: !awaited,
        onTimer: (timer) => (e.deadline = timer),
      });
      e.deadline = undefined;
      if (outcome === TIMED_OUT) {
        timedOut = true;
        controller.abort(new TimeoutError(`health check "${e.name}"`, e.timeoutMs));
        result = { status: 'unhealthy', reason: `timed out after ${e.timeoutMs} ms` };
      } else {
        result = outcome;
      }
    }
    return this._record(e, result, performance.now() - started, timedOut);
  }

  private _record(e: Entry, result: HealthCheckResult, durationMs: number, timedOut: boolean): CheckReport {
    const now = Date.now();
    const previous = e.last;
    const failed = result.status === 'unhealthy';
    const report: CheckReport = Object.freeze({
      name: e.name,
      status: result.status,
      category: e.category,
      critical: e.critical,
      tags: e.tags,
      description: e.description,
      // Reasons and details leave the process (events, /health with details, Redis, logs): a
      // checker's "ECONNREFUSED postgres://app:pw@db" must not carry the password along.
      reason: result.reason === undefined ? undefined : redactSecrets(describe(result.reason)),
      observedValue: result.observedValue,
      observedUnit: result.observedUnit,
      details: result.details === undefined ? NO_DETAILS : redactDeep(result.details),
      durationMs,
      checkedAt: now,
      lastSuccess: failed ? previous?.lastSuccess : now,
      consecutiveFailures: failed ? (previous?.consecutiveFailures ?? 0) + 1 : 0,
      timedOut,
    });
    if (e.removed) return report;
    e.last = report;
    this._invalidate();
    const bus = this._events;
    if (bus !== undefined) {
      if (bus.hasSubscribers('health.check.completed')) {
        bus.publish('health.check.completed', {
          check: e.name,
          status: report.status,
          durationMs,
          details: report.details,
          category: e.category,
          critical: e.critical,
          reason: report.reason,
        });
      }
      const before = previous?.status;
      if (before !== report.status) {
        if (bus.hasSubscribers('health.status.changed')) {
          bus.publish('health.status.changed', { check: e.name, previous: before ?? 'unknown', current: report.status, reason: report.reason });
        }
        if (report.status !== 'healthy' && bus.hasSubscribers('health.component.degraded')) {
          bus.publish('health.component.degraded', { check: e.name, status: report.status, reason: report.reason ?? report.status });
        }
      }
    }
    if (failed && report.consecutiveFailures === 1) reportOnce(`health:${e.name}`, `health check "${e.name}" is unhealthy: ${report.reason ?? 'no reason given'}`);
    return report;
  }

  private _aggregate(reports: Iterable<CheckReport | Entry>): HealthStatus {
    let worst: HealthStatus = 'healthy';
    for (const item of reports) {
      const r = 'run' in item ? item.last : item;
      if (r === undefined || r.status === 'healthy') continue;
      const status: HealthStatus = r.critical ? r.status : 'degraded';
      if (SEVERITY[status] > SEVERITY[worst]) worst = status;
    }
    return worst;
  }

  /**
   * The aggregate over every registered check, once each has a result: before that the system
   * status stays as it was (undefined at start) rather than reading healthy from a partial set.
   */
  private _updateSystemFromEntries(): void {
    for (const e of this._entries.values()) if (e.last === undefined) return;
    this._updateSystem(this._aggregate(this._entries.values()));
  }

  private _updateSystem(status: HealthStatus): void {
    const previous = this._systemStatus;
    this._systemStatus = status;
    if (previous === status) return;
    const bus = this._events;
    if (bus !== undefined && bus.hasSubscribers('health.status.changed')) {
      bus.publish('health.status.changed', { check: 'system', previous: previous ?? 'unknown', current: status });
    }
  }

  private _invalidate(): void {
    this._snapshot = undefined;
    this._snapshotExpires = 0;
    this._groupSnapshots.clear();
  }
}

function closeQuietly(e: Entry): void {
  try {
    e.close?.();
  } catch (err) {
    reportOnce(`health-close:${e.name}`, `closing health check "${e.name}" failed: ${String((err as Error)?.message ?? err)}`);
  }
}

function checkTimeout(option: string, ms: unknown): number {
  requireNumber(option, ms, { above: 0, max: MAX_TIMER_MS }, `a number of milliseconds from 1 to ${MAX_TIMER_MS}`);
  return ms;
}
