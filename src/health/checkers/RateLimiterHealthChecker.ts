import { positiveIntOr, requireMethods } from '../../internal/configCheck.js';
import type { HealthStatus } from '../../events/types.js';
import { worse } from '../result.js';
import { checkThresholds, explain, grade, round, type Thresholds } from '../thresholds.js';
import type { HealthCheckResult, HealthChecker } from '../types.js';

/** A rate limiter's counters: `allowed` and `rejected` are cumulative. */
export interface RateLimiterStats {
  readonly allowed: number;
  readonly rejected: number;
  /** Capacity left in the current window (tokens, requests). */
  readonly remaining?: number | undefined;
  /** The window's full capacity. */
  readonly limit?: number | undefined;
}

/** A limiter exposing `getStats()`, or a function returning the stats. */
export type RateLimiterLike = { getStats(): RateLimiterStats | Promise<RateLimiterStats> } | (() => RateLimiterStats | Promise<RateLimiterStats>);

export interface RateLimiterHealthCheckerOptions {
  /** Rejected / (allowed + rejected) since the previous run, 0..1 (higher is worse). Default `{ degraded: 0.1, unhealthy: 0.5 }`. */
  rejectionRate?: Thresholds;
  /** remaining / limit, 0..1 (lower is worse). Default `{ degraded: 0.1 }`. */
  remainingRatio?: Thresholds;
  /** Decisions a window needs before its rejection rate is graded. Default 20. */
  minSamples?: number;
}

/**
 * Checks a rate limiter: the share of requests it rejected since the previous run, and the capacity
 * it has left. A limiter rejecting half its traffic is working as built but the service is not
 * serving its users, which is what this reports.
 *
 * @example
 * health.registerCheck('rate_limiter', new RateLimiterHealthChecker(() => limiter.stats()), { critical: false });
 */
export class RateLimiterHealthChecker implements HealthChecker {
  private readonly _read: () => RateLimiterStats | Promise<RateLimiterStats>;
  private readonly _rejection: Thresholds | undefined;
  private readonly _remaining: Thresholds | undefined;
  private readonly _minSamples: number;
  private _previous: RateLimiterStats | undefined;

  constructor(limiter: RateLimiterLike, options: RateLimiterHealthCheckerOptions = {}) {
    if (typeof limiter === 'function') this._read = limiter;
    else {
      requireMethods('limiter', limiter, ['getStats'], 'an object with getStats() or a function returning stats');
      this._read = () => limiter.getStats();
    }
    this._rejection = checkThresholds('rejectionRate', options.rejectionRate ?? { degraded: 0.1, unhealthy: 0.5 }, 'higher-is-worse');
    this._remaining = checkThresholds('remainingRatio', options.remainingRatio ?? { degraded: 0.1 }, 'lower-is-worse');
    this._minSamples = positiveIntOr('minSamples', options.minSamples, 20);
  }

  async check(): Promise<HealthCheckResult> {
    const stats = await this._read();
    if (stats === null || typeof stats !== 'object' || !Number.isFinite(stats.allowed) || !Number.isFinite(stats.rejected)) {
      return { status: 'unhealthy', reason: 'rate limiter returned no usable stats' };
    }
    const prev = this._previous;
    const reset = prev !== undefined && (stats.allowed < prev.allowed || stats.rejected < prev.rejected);
    const allowed = prev === undefined || reset ? stats.allowed : stats.allowed - prev.allowed;
    const rejected = prev === undefined || reset ? stats.rejected : stats.rejected - prev.rejected;
    this._previous = stats;
    const details: Record<string, unknown> = { allowed, rejected, remaining: stats.remaining, limit: stats.limit };
    let status: HealthStatus = 'healthy';
    let reason: string | undefined;
    let rate: number | undefined;
    if (allowed + rejected >= this._minSamples) {
      rate = rejected / (allowed + rejected);
      details['rejectionRate'] = round(rate);
      status = grade(rate, this._rejection, 'higher-is-worse');
      reason = explain('rejection rate', rate, '', status, this._rejection, 'higher-is-worse');
    }
    if (stats.remaining !== undefined && stats.limit !== undefined && stats.limit > 0) {
      const left = stats.remaining / stats.limit;
      details['remainingRatio'] = round(left);
      const s = grade(left, this._remaining, 'lower-is-worse');
      if (worse(status, s) !== status) reason = explain('remaining capacity', left, '', s, this._remaining, 'lower-is-worse');
      status = worse(status, s);
    }
    return { status, reason, observedValue: rate === undefined ? undefined : round(rate), observedUnit: rate === undefined ? undefined : 'ratio', details };
  }
}
