import { requireFunction } from '../../internal/configCheck.js';
import { normalize } from '../result.js';
import type { HealthCheckFunction, HealthCheckResult, HealthChecker } from '../types.js';

/**
 * Wraps any async function as a checker. The function may return a full `HealthCheckResult`, a
 * status string or a boolean; it receives an `AbortSignal` that fires when the run times out.
 *
 * @example
 * health.registerCheck('search', new ComponentHealthChecker(async (signal) => {
 *   const res = await fetch('http://127.0.0.1:9200/_cluster/health', { signal });
 *   const body = await res.json();
 *   return { status: body.status === 'red' ? 'unhealthy' : body.status === 'yellow' ? 'degraded' : 'healthy',
 *            details: { shards: body.active_shards } };
 * }));
 */
export class ComponentHealthChecker implements HealthChecker {
  private readonly _fn: HealthCheckFunction;

  constructor(fn: HealthCheckFunction) {
    requireFunction('fn', fn, 'a function returning a health result');
    this._fn = fn;
  }

  async check(signal: AbortSignal): Promise<HealthCheckResult> {
    return normalize(await this._fn(signal));
  }
}
