import { requireFunction, requireObject } from '../../internal/configCheck.js';
import { compileSource, type CollectorReader, type ValueSource } from '../sources.js';
import { requireThresholds, explain, grade, round, type Thresholds } from '../thresholds.js';
import type { HealthCheckResult, HealthChecker } from '../types.js';

export interface ThroughputHealthCheckerOptions {
  /** A cumulative count of work done: a collector counter or a function. */
  count: ValueSource;
  /** Per-second limits (lower is worse), e.g. `{ degraded: 50, unhealthy: 5 }` orders/s. */
  perSecond: Thresholds;
  /** The collector `count` is read from, when it names a metric. */
  collector?: CollectorReader;
  /** Clock in ms, for tests. Default `performance.now`. */
  now?: () => number;
}

/**
 * A business check on a throughput target: the rate at which a counter grew since the previous run
 * (the first window starts when the checker is built).
 *
 * @example
 * health.registerCheck('orders_throughput', new ThroughputHealthChecker({
 *   collector: monitoring.collector, count: { metric: 'orders_processed_total' }, perSecond: { degraded: 10 },
 * }), { category: 'business', critical: false });
 */
export class ThroughputHealthChecker implements HealthChecker {
  private readonly _count: () => number | Promise<number> | undefined;
  private readonly _t: Thresholds | undefined;
  private readonly _now: () => number;
  private _prevCount: number | undefined;
  private _prevTime: number;

  constructor(options: ThroughputHealthCheckerOptions) {
    requireObject('options', options, '{ count, perSecond }');
    this._count = compileSource('count', options.count, options.collector, 'counter');
    this._t = requireThresholds('perSecond', options.perSecond, 'lower-is-worse');
    if (options.now !== undefined) requireFunction('now', options.now);
    this._now = options.now ?? (() => performance.now());
    this._prevTime = this._now();
    // The baseline is read at construction so the first run already has a window to measure.
    const initial = this._count();
    if (typeof initial === 'number') this._prevCount = initial;
    else if (initial !== undefined) void initial.then((v) => (this._prevCount ??= v), () => undefined);
  }

  async check(): Promise<HealthCheckResult> {
    const count = (await this._count()) ?? 0;
    const now = this._now();
    const seconds = (now - this._prevTime) / 1000;
    const prev = this._prevCount;
    this._prevCount = count;
    this._prevTime = now;
    if (prev === undefined || seconds <= 0) return { status: 'healthy', details: { count, note: 'first sample' } };
    const done = count >= prev ? count - prev : count;
    const rate = done / seconds;
    const status = grade(rate, this._t, 'lower-is-worse');
    return {
      status,
      reason: explain('throughput', rate, '/s', status, this._t, 'lower-is-worse'),
      observedValue: round(rate),
      observedUnit: 'per_second',
      details: { done, windowSeconds: round(seconds) },
    };
  }
}
