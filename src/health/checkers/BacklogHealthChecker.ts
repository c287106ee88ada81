import { requireObject } from '../../internal/configCheck.js';
import { compileSource, type CollectorReader, type ValueSource } from '../sources.js';
import { requireThresholds, explain, grade, type Thresholds } from '../thresholds.js';
import type { HealthCheckResult, HealthChecker } from '../types.js';

export interface BacklogHealthCheckerOptions {
  /** The queue depth: a collector gauge (exact labels) or a function (e.g. a Redis `XLEN`). */
  depth: ValueSource;
  /** Depth limits (higher is worse). */
  thresholds: Thresholds;
  /** The collector `depth` is read from, when it names a metric. */
  collector?: CollectorReader;
}

/**
 * A business check on a processing backlog: how many jobs, messages or orders wait. The depth comes
 * from a gauge the app records in the collector or from any function.
 *
 * @example
 * health.registerCheck('order_backlog', new BacklogHealthChecker({
 *   depth: () => redis.xlen('orders'), thresholds: { degraded: 1_000, unhealthy: 10_000 },
 * }), { category: 'business', critical: false });
 */
export class BacklogHealthChecker implements HealthChecker {
  private readonly _depth: () => number | Promise<number> | undefined;
  private readonly _t: Thresholds | undefined;

  constructor(options: BacklogHealthCheckerOptions) {
    requireObject('options', options, '{ depth, thresholds }');
    this._depth = compileSource('depth', options.depth, options.collector, 'gauge');
    this._t = requireThresholds('thresholds', options.thresholds, 'higher-is-worse');
  }

  async check(): Promise<HealthCheckResult> {
    const depth = await this._depth();
    if (depth === undefined) return { status: 'healthy', details: { note: 'backlog gauge not recorded yet' } };
    if (typeof depth !== 'number' || !Number.isFinite(depth)) return { status: 'unhealthy', reason: `backlog depth is not a number: ${String(depth)}` };
    const status = grade(depth, this._t, 'higher-is-worse');
    return { status, reason: explain('backlog', depth, ' items', status, this._t, 'higher-is-worse'), observedValue: depth, observedUnit: 'items' };
  }
}
