import { requireFunction, requireOneOf } from '../../internal/configCheck.js';
import type { HealthStatus } from '../../events/types.js';
import type { HealthCheckResult, HealthChecker } from '../types.js';

/** What an invariant returns: whether it holds, and optionally what was observed. */
export type InvariantOutcome = boolean | { readonly holds: boolean; readonly observed?: number | string | boolean; readonly reason?: string; readonly details?: Readonly<Record<string, unknown>> };

export interface DataConsistencyHealthCheckerOptions {
  /** The status when the invariant does not hold. Default `unhealthy`. */
  violationStatus?: Exclude<HealthStatus, 'healthy'>;
  /** Says what the invariant means, for the failure reason. */
  description?: string;
}

/**
 * A business check on data consistency: a user-supplied invariant, such as a SQL query whose result
 * must hold (no orders without customers, ledger debits equal credits). An invariant that throws is
 * reported unhealthy with its message.
 *
 * @example
 * health.registerCheck('orphan_orders', new DataConsistencyHealthChecker(async () => {
 *   const { rows } = await pool.query('SELECT count(*)::int AS n FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE c.id IS NULL');
 *   return { holds: rows[0].n === 0, observed: rows[0].n };
 * }, { description: 'every order has a customer', violationStatus: 'degraded' }), { category: 'business', cacheTtlMs: 300_000 });
 */
export class DataConsistencyHealthChecker implements HealthChecker {
  private readonly _invariant: (signal: AbortSignal) => InvariantOutcome | Promise<InvariantOutcome>;
  private readonly _violation: Exclude<HealthStatus, 'healthy'>;
  private readonly _description: string | undefined;

  constructor(invariant: (signal: AbortSignal) => InvariantOutcome | Promise<InvariantOutcome>, options: DataConsistencyHealthCheckerOptions = {}) {
    requireFunction('invariant', invariant, 'a function returning whether the invariant holds');
    const violation = options.violationStatus ?? 'unhealthy';
    requireOneOf('violationStatus', violation, ['degraded', 'unhealthy'], 'degraded or unhealthy');
    this._invariant = invariant;
    this._violation = violation;
    this._description = options.description;
  }

  async check(signal: AbortSignal): Promise<HealthCheckResult> {
    const outcome = await this._invariant(signal);
    const holds = typeof outcome === 'boolean' ? outcome : outcome !== null && typeof outcome === 'object' && outcome.holds === true;
    const observed = typeof outcome === 'object' && outcome !== null ? outcome.observed : undefined;
    const details = typeof outcome === 'object' && outcome !== null ? outcome.details : undefined;
    if (holds) return { status: 'healthy', observedValue: observed, details };
    const given = typeof outcome === 'object' && outcome !== null ? outcome.reason : undefined;
    const what = this._description ?? 'invariant';
    const reason = given ?? `${what} does not hold${observed === undefined ? '' : ` (observed ${String(observed)})`}`;
    return { status: this._violation, reason, observedValue: observed, details };
  }
}
