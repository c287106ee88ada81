import { positiveIntOr, requireObject } from '../../internal/configCheck.js';
import { compileSource, type CollectorReader, type ValueSource } from '../sources.js';
import { checkThresholds, explain, grade, round, type Thresholds } from '../thresholds.js';
import type { HealthCheckResult, HealthChecker } from '../types.js';

export interface ErrorRateHealthCheckerOptions {
  /** The error count: a collector counter (summed over matching label sets) or a function. */
  errors: ValueSource;
  /** The total count the errors are a share of. */
  total: ValueSource;
  /** errors / total since the previous run, 0..1 (higher is worse). Default `{ degraded: 0.01, unhealthy: 0.05 }`. */
  rate?: Thresholds;
  /** Total events a window needs before it is graded. Default 20. */
  minSamples?: number;
  /** The collector `errors` and `total` are read from, when they name metrics. */
  collector?: CollectorReader;
}

/**
 * A system check on an error rate: errors / total over the window since the previous run, from two
 * counters (e.g. `http_requests_total{status="5xx"}` over `http_requests_total`). Windows with
 * fewer than `minSamples` events are reported without a grade, so a quiet minute with one failure
 * out of two requests does not page anyone.
 *
 * @example
 * health.registerCheck('errors', new ErrorRateHealthChecker({
 *   collector: monitoring.collector,
 *   errors: { metric: 'http_requests_total', labels: { outcome: 'error' } },
 *   total: { metric: 'http_requests_total' },
 * }), { category: 'system' });
 */
export class ErrorRateHealthChecker implements HealthChecker {
  private readonly _errors: () => number | Promise<number> | undefined;
  private readonly _total: () => number | Promise<number> | undefined;
  private readonly _rate: Thresholds | undefined;
  private readonly _minSamples: number;
  private _prevErrors: number | undefined;
  private _prevTotal: number | undefined;

  constructor(options: ErrorRateHealthCheckerOptions) {
    requireObject('options', options, '{ errors, total }');
    this._errors = compileSource('errors', options.errors, options.collector, 'counter');
    this._total = compileSource('total', options.total, options.collector, 'counter');
    this._rate = checkThresholds('rate', options.rate ?? { degraded: 0.01, unhealthy: 0.05 }, 'higher-is-worse');
    this._minSamples = positiveIntOr('minSamples', options.minSamples, 20);
  }

  async check(): Promise<HealthCheckResult> {
    const errorsNow = (await this._errors()) ?? 0;
    const totalNow = (await this._total()) ?? 0;
    const reset = this._prevTotal !== undefined && (totalNow < this._prevTotal || errorsNow < (this._prevErrors ?? 0));
    const errors = this._prevErrors === undefined || reset ? errorsNow : errorsNow - this._prevErrors;
    const total = this._prevTotal === undefined || reset ? totalNow : totalNow - this._prevTotal;
    this._prevErrors = errorsNow;
    this._prevTotal = totalNow;
    if (total < this._minSamples) return { status: 'healthy', details: { errors, total, note: 'not enough events in this window to grade' } };
    const rate = errors / total;
    const status = grade(rate, this._rate, 'higher-is-worse');
    return {
      status,
      reason: explain('error rate', rate, '', status, this._rate, 'higher-is-worse'),
      observedValue: round(rate),
      observedUnit: 'ratio',
      details: { errors, total },
    };
  }
}
