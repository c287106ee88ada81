import { requireFunction, requireMethods, requireNonBlankString } from '../../internal/configCheck.js';
import type { HealthStatus } from '../../events/types.js';
import { worse } from '../result.js';
import { checkThresholds, explain, grade, round, scaled, type Thresholds } from '../thresholds.js';
import type { HealthCheckResult, HealthChecker } from '../types.js';

/** A pool's occupancy. */
export interface PoolStats {
  /** Connections open (idle + checked out). */
  readonly total: number;
  readonly idle: number;
  /** Callers queued for a connection. */
  readonly waiting: number;
  /** The pool's size limit, when known. */
  readonly max?: number | undefined;
}

/**
 * The pool shape the checker needs: `query(sql)`. A `pg` Pool also exposes `totalCount`,
 * `idleCount`, `waitingCount` and `options.max`, which the checker reads for utilisation.
 */
export interface PoolLike {
  query(sql: string): Promise<unknown>;
  readonly totalCount?: number;
  readonly idleCount?: number;
  readonly waitingCount?: number;
  readonly options?: { readonly max?: number | undefined };
}

export interface ConnectionPoolHealthCheckerOptions {
  /** The probe query. Default `SELECT 1`. */
  query?: string;
  /** In-use / max limits, 0..1 (higher is worse). Default `{ degraded: 0.9 }`. */
  utilisation?: Thresholds;
  /** Waiting-caller limits (higher is worse). Default `{ degraded: 1 }`. */
  waiting?: Thresholds;
  /** Where occupancy comes from, for pools that are not `pg`'s. */
  stats?: () => PoolStats;
}

/**
 * Checks a connection pool: connectivity through a real query, and utilisation and waiting callers
 * against thresholds. When every connection is checked out the probe query is not sent (it would
 * only queue behind the callers it is meant to observe): the pool is reported by its occupancy, which
 * makes it degraded under the default thresholds. A failed query makes it unhealthy with the
 * server's message (e.g. `password authentication failed for user "app"`) and error code.
 *
 * @example
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
 * health.registerCheck('database', new ConnectionPoolHealthChecker(pool, { utilisation: { degraded: 0.8, unhealthy: 1 } }));
 */
export class ConnectionPoolHealthChecker implements HealthChecker {
  private readonly _pool: PoolLike;
  private readonly _query: string;
  private readonly _utilisation: Thresholds | undefined;
  private readonly _waiting: Thresholds | undefined;
  private readonly _stats: () => PoolStats | undefined;

  constructor(pool: PoolLike, options: ConnectionPoolHealthCheckerOptions = {}) {
    requireMethods('pool', pool, ['query']);
    this._pool = pool;
    this._query = options.query ?? 'SELECT 1';
    requireNonBlankString('query', this._query, 'a SQL string');
    this._utilisation = checkThresholds('utilisation', options.utilisation ?? { degraded: 0.9 }, 'higher-is-worse');
    this._waiting = checkThresholds('waiting', options.waiting ?? { degraded: 1 }, 'higher-is-worse');
    if (options.stats !== undefined) requireFunction('stats', options.stats);
    this._stats = options.stats ?? (() => pgStats(pool));
  }

  async check(): Promise<HealthCheckResult> {
    // Occupancy is read before the probe so the probe's own connection is not counted as load.
    const stats = this._stats();
    let status: HealthStatus = 'healthy';
    let reason: string | undefined;
    const details: Record<string, unknown> = {};
    let utilisation: number | undefined;
    if (stats !== undefined) {
      const inUse = stats.total - stats.idle;
      Object.assign(details, { total: stats.total, idle: stats.idle, inUse, waiting: stats.waiting, max: stats.max });
      if (stats.max !== undefined && stats.max > 0) {
        utilisation = inUse / stats.max;
        details['utilisation'] = round(utilisation);
        status = grade(utilisation, this._utilisation, 'higher-is-worse');
        reason = explain('utilisation', utilisation * 100, '%', status, scaled(this._utilisation, 100), 'higher-is-worse');
      }
      const waitStatus = grade(stats.waiting, this._waiting, 'higher-is-worse');
      if (worse(status, waitStatus) !== status) reason = explain('waiting clients', stats.waiting, '', waitStatus, this._waiting, 'higher-is-worse');
      status = worse(status, waitStatus);
      if (stats.max !== undefined && inUse >= stats.max && stats.idle === 0) {
        return {
          status: worse(status, 'degraded'),
          reason: `pool exhausted: ${inUse}/${stats.max} connections in use, ${stats.waiting} waiting (probe query not sent)`,
          observedValue: round(utilisation ?? 1),
          observedUnit: 'ratio',
          details,
        };
      }
    }
    const started = performance.now();
    await this._pool.query(this._query);
    details['queryMs'] = round(performance.now() - started);
    return { status, reason, observedValue: utilisation === undefined ? undefined : round(utilisation), observedUnit: utilisation === undefined ? undefined : 'ratio', details };
  }
}

function pgStats(pool: PoolLike): PoolStats | undefined {
  if (typeof pool.totalCount !== 'number' || typeof pool.idleCount !== 'number') return undefined;
  return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount ?? 0, max: pool.options?.max ?? 10 };
}
