import type { Attributes } from '@opentelemetry/api';
import type { MemoryCollector } from '../collectors/MemoryCollector.js';
import type { EventBus } from './EventBus.js';
import type { ValidationCompletedEvent, ValidationFailedEvent, ValidationStartedEvent } from './types.js';

/**
 * Where the service sends what it measures: the coordinator (it has these two methods) or any
 * custom recorder. A strategy with `publishesEvents: true` publishes the performance events
 * itself; otherwise the service publishes them.
 */
export interface ValidationMonitoringStrategy {
  recordOperation(name: string, durationMs: number, attributes?: Attributes): void;
  recordMetric(name: string, value: number, attributes?: Attributes): void;
  readonly publishesEvents?: boolean;
}

export interface ValidationMonitoringOptions {
  events: EventBus;
  collector: MemoryCollector;
  strategy?: ValidationMonitoringStrategy;
  /** Width of the throughput window in seconds. Default 60. */
  throughputWindowSeconds?: number;
  /** Validations started but never finished are forgotten after this many (bounded). Default 10,000. */
  maxInFlight?: number;
}

/** Metric names recorded by `ValidationMonitoringService`. */
/**
 * OTel names of the metrics `ValidationMonitoringService` records. `/metrics` shows them as
 * `validation_runs_total`, `validation_duration_seconds`, `validation_failures_total` and
 * `validation_in_flight`; the seed's names still read through `SEED_METRIC_NAMES`. The counter
 * of outcomes is `validation.runs`, not `validation`: a metric name should not also be the
 * namespace of other names (semantic-conventions naming rules).
 */
export const VALIDATION_METRICS = Object.freeze({
  total: 'validation.runs',
  duration: 'validation.duration',
  failures: 'validation.failures',
  inFlight: 'validation.in_flight',
});

export interface ValidationValidatorStats {
  readonly completed: number;
  readonly failed: number;
  readonly successRate: number;
  readonly meanDurationMs: number;
  readonly p95DurationMs: number;
}

/**
 * The seed's external `ValidationMonitoringService`: it subscribes to `validation.*` on the bus and
 * knows nothing of the validation code. It records success rate, durations per validator, failures
 * by reason and throughput into the collector, hands each outcome to its strategy, and republishes
 * them as `performance.operation.complete` / `performance.metric.recorded` events.
 *
 * @example
 * const service = new ValidationMonitoringService({ events: monitoring.events, collector: monitoring.collector });
 * service.start();
 * monitoring.events.publish('validation.completed', { validationId: '1', validator: 'schema', durationMs: 3 });
 * service.successRate(); // 1
 */
export class ValidationMonitoringService {
  private readonly _events: EventBus;
  private readonly _collector: MemoryCollector;
  private readonly _strategy: ValidationMonitoringStrategy | undefined;
  private readonly _windowMs: number;
  private readonly _maxInFlight: number;
  private readonly _inFlight = new Map<string, number>();
  /** Completion timestamps per second bucket, for throughput: [second, count] pairs, oldest first. */
  private readonly _buckets: [number, number][] = [];
  private _unsubscribe: (() => void) | undefined;

  constructor(options: ValidationMonitoringOptions) {
    this._events = options.events;
    this._collector = options.collector;
    this._strategy = options.strategy;
    this._windowMs = (options.throughputWindowSeconds ?? 60) * 1000;
    this._maxInFlight = options.maxInFlight ?? 10_000;
    // Declared here for their units; the records below go to these instruments by name.
    this._collector.counter(VALIDATION_METRICS.total, { description: 'Validations finished, by validator and outcome.', unit: '{run}' });
    this._collector.histogram(VALIDATION_METRICS.duration, { description: 'Validation duration by validator.', unit: 's' });
    this._collector.counter(VALIDATION_METRICS.failures, { description: 'Failed validations by validator and reason.', unit: '{failure}' });
    this._collector.gauge(VALIDATION_METRICS.inFlight, { description: 'Validations started and not finished.', unit: '{run}' });
  }

  /** Subscribes to the validation lifecycle events. Calling it twice subscribes once. */
  start(): this {
    this._unsubscribe ??= this._events.subscribe('validation.*', (e) => {
      if (e.type === 'validation.started') this._started(e);
      else if (e.type === 'validation.completed') this._finished(e, undefined);
      else this._finished(e, e.reason);
    });
    return this;
  }

  stop(): void {
    this._unsubscribe?.();
    this._unsubscribe = undefined;
  }

  /** Completed / (completed + failed), overall or for one validator; NaN before any outcome. */
  successRate(validator?: string): number {
    // One validator: two direct series reads (this runs on every outcome); all: a sum over series.
    const ok = validator === undefined
      ? this._collector.sumCounter(VALIDATION_METRICS.total, { outcome: 'success' })
      : (this._collector.getCounterValue(VALIDATION_METRICS.total, { validator, outcome: 'success' }) ?? 0);
    const failed = validator === undefined
      ? this._collector.sumCounter(VALIDATION_METRICS.total, { outcome: 'failure' })
      : (this._collector.getCounterValue(VALIDATION_METRICS.total, { validator, outcome: 'failure' }) ?? 0);
    return ok + failed === 0 ? NaN : ok / (ok + failed);
  }

  /** Outcomes per second over the last `throughputWindowSeconds`. */
  throughput(now = Date.now()): number {
    this._expire(now);
    let n = 0;
    for (const [, c] of this._buckets) n += c;
    return n / (this._windowMs / 1000);
  }

  /** Failures by reason, overall or for one validator. */
  failuresByReason(validator?: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this._collector.getSeries(VALIDATION_METRICS.failures)) {
      if (validator !== undefined && s.labels['validator'] !== validator) continue;
      const reason = String(s.labels['reason']);
      out[reason] = (out[reason] ?? 0) + (s.value ?? 0);
    }
    return out;
  }

  /** Validations started and not yet finished. */
  inFlight(): number {
    return this._inFlight.size;
  }

  /** Per-validator statistics. */
  validators(): Record<string, ValidationValidatorStats> {
    const out: Record<string, ValidationValidatorStats> = {};
    for (const s of this._collector.getSeries(VALIDATION_METRICS.duration)) {
      const v = String(s.labels['validator']);
      const h = s.histogram;
      if (h === undefined) continue;
      const completed = this._collector.getCounterValue(VALIDATION_METRICS.total, { validator: v, outcome: 'success' }) ?? 0;
      const failed = this._collector.getCounterValue(VALIDATION_METRICS.total, { validator: v, outcome: 'failure' }) ?? 0;
      out[v] = {
        completed,
        failed,
        successRate: completed + failed === 0 ? NaN : completed / (completed + failed),
        meanDurationMs: h.mean * 1000,
        p95DurationMs: h.p95 * 1000,
      };
    }
    return out;
  }

  private _started(e: ValidationStartedEvent): void {
    if (this._inFlight.size >= this._maxInFlight) {
      const oldest = this._inFlight.keys().next().value;
      if (oldest !== undefined) this._inFlight.delete(oldest);
    }
    this._inFlight.set(e.validationId, e.timestamp);
    this._collector.recordGauge(VALIDATION_METRICS.inFlight, this._inFlight.size);
  }

  private _finished(e: ValidationCompletedEvent | ValidationFailedEvent, reason: string | undefined): void {
    const started = this._inFlight.get(e.validationId);
    this._inFlight.delete(e.validationId);
    this._collector.recordGauge(VALIDATION_METRICS.inFlight, this._inFlight.size);
    const durationMs = Number.isFinite(e.durationMs) ? e.durationMs : started !== undefined ? e.timestamp - started : 0;
    const outcome = reason === undefined ? 'success' : 'failure';
    this._collector.incrementCounter(VALIDATION_METRICS.total, { validator: e.validator, outcome });
    this._collector.recordHistogram(VALIDATION_METRICS.duration, durationMs / 1000, { validator: e.validator });
    if (reason !== undefined) this._collector.incrementCounter(VALIDATION_METRICS.failures, { validator: e.validator, reason });
    this._count(e.timestamp);

    const name = `validation.${e.validator}`;
    const attributes: Attributes = { 'validation.validator': e.validator, 'validation.outcome': outcome, ...(reason ? { 'validation.failure_reason': reason } : {}) };
    const successRate = this.successRate(e.validator);
    this._strategy?.recordOperation(name, durationMs, attributes);
    this._strategy?.recordMetric(`${name}.success_rate`, successRate, attributes);
    if (this._strategy?.publishesEvents !== true) {
      const ids = { traceId: e.traceId, spanId: e.spanId };
      this._events.publish('performance.operation.complete', { name, durationMs, ...ids, attributes });
      this._events.publish('performance.metric.recorded', { name: `${name}.success_rate`, value: successRate, ...ids, attributes });
    }
  }

  private _count(timestamp: number): void {
    const second = Math.floor(timestamp / 1000);
    const last = this._buckets[this._buckets.length - 1];
    if (last !== undefined && last[0] === second) last[1]++;
    else this._buckets.push([second, 1]);
    this._expire(timestamp);
  }

  private _expire(now: number): void {
    const oldest = Math.floor((now - this._windowMs) / 1000);
    while (this._buckets.length > 0 && this._buckets[0]![0] <= oldest) this._buckets.shift();
  }
}
