import { requireNumber, requirePositiveInt } from '../../internal/configCheck.js';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { checkThresholds, explain, grade, round, type Thresholds } from '../thresholds.js';
import type { HealthCheckResult, HealthChecker } from '../types.js';

export interface EventLoopHealthCheckerOptions {
  /** Percentile of the loop delay to grade, 0..100. Default 99. */
  percentile?: number;
  /** Delay limits in ms (higher is worse). Default `{ degraded: 100, unhealthy: 1000 }`. */
  delayMs?: Thresholds;
  /** Sampling resolution of Node's delay monitor, in ms. Default 10. */
  resolutionMs?: number;
}

/**
 * A system check on event-loop delay, from Node's `monitorEventLoopDelay` histogram, over the window
 * since the previous run (the histogram is reset after each one). A blocked loop delays every
 * request, so this is the first thing to look at when latency rises with flat traffic.
 *
 * @example
 * health.registerCheck('event_loop', new EventLoopHealthChecker({ delayMs: { degraded: 50 } }), { category: 'system' });
 */
export class EventLoopHealthChecker implements HealthChecker {
  private readonly _percentile: number;
  private readonly _delay: Thresholds | undefined;
  private readonly _histogram: IntervalHistogram;

  constructor(options: EventLoopHealthCheckerOptions = {}) {
    this._percentile = options.percentile ?? 99;
    requireNumber('percentile', this._percentile, { above: 0, max: 100 }, 'a number in (0, 100]');
    this._delay = checkThresholds('delayMs', options.delayMs ?? { degraded: 100, unhealthy: 1000 }, 'higher-is-worse');
    const resolution = options.resolutionMs ?? 10;
    requirePositiveInt('resolutionMs', resolution);
    this._histogram = monitorEventLoopDelay({ resolution });
    this._histogram.enable();
  }

  check(): HealthCheckResult {
    const h = this._histogram;
    if (h.count === 0) return { status: 'healthy', details: { samples: 0 } };
    const delay = h.percentile(this._percentile) / 1e6;
    const details = { samples: h.count, meanMs: round(h.mean / 1e6), maxMs: round(h.max / 1e6), percentile: this._percentile };
    h.reset();
    const status = grade(delay, this._delay, 'higher-is-worse');
    return {
      status,
      reason: explain(`p${this._percentile} event-loop delay`, delay, ' ms', status, this._delay, 'higher-is-worse'),
      observedValue: round(delay),
      observedUnit: 'ms',
      details,
    };
  }

  /** Stops Node's delay monitor. */
  close(): void {
    this._histogram.disable();
  }
}
