import { positiveIntOr, requireFiniteAbove, requireMethods, requireNonEmptyString, requireObject } from '../../internal/configCheck.js';
import type { Labels } from '../../collectors/MetricStore.js';
import type { CollectorReader } from '../sources.js';
import { requireThresholds, explain, grade, round, scaled, type Thresholds } from '../thresholds.js';
import type { HealthCheckResult, HealthChecker } from '../types.js';

export interface SlaHealthCheckerOptions {
  /** A collector histogram of durations. */
  metric: string;
  /** The exact label set of the series; default the unlabelled series. */
  labels?: Labels;
  /** The promised duration, in the histogram's unit (e.g. 300 ms). */
  target: number;
  /** Share of observations within `target`, 0..1 (lower is worse), e.g. `{ degraded: 0.99, unhealthy: 0.95 }`. */
  compliance: Thresholds;
  /** Observations a window needs before it is graded. Default 20. */
  minSamples?: number;
}

/**
 * A business check on SLA compliance: the share of observations since the previous run that finished
 * within `target`, from the histogram's bucket counts (interpolated inside the bucket holding the
 * target, as Prometheus' `histogram_quantile` does; exact when `target` is a bucket bound).
 *
 * @example
 * health.registerCheck('checkout_sla', new SlaHealthChecker(monitoring.collector, {
 *   metric: 'checkout_duration_ms', target: 300, compliance: { degraded: 0.99, unhealthy: 0.95 },
 * }), { category: 'business' });
 */
export class SlaHealthChecker implements HealthChecker {
  private readonly _collector: CollectorReader;
  private readonly _metric: string;
  private readonly _labels: Labels | undefined;
  private readonly _target: number;
  private readonly _t: Thresholds | undefined;
  private readonly _minSamples: number;
  private _prevWithin = 0;
  private _prevCount = 0;

  constructor(collector: CollectorReader, options: SlaHealthCheckerOptions) {
    requireMethods('collector', collector, ['getHistogram'], 'a MemoryCollector');
    requireObject('options', options, '{ metric, target, compliance }');
    requireNonEmptyString('metric', options.metric, 'a histogram name');
    requireFiniteAbove('target', options.target, 0, 'a positive duration');
    this._collector = collector;
    this._metric = options.metric;
    this._labels = options.labels;
    this._target = options.target;
    this._t = requireThresholds('compliance', options.compliance, 'lower-is-worse');
    this._minSamples = positiveIntOr('minSamples', options.minSamples, 20);
  }

  check(): HealthCheckResult {
    const h = this._collector.getHistogram(this._metric, this._labels);
    const count = h?.count ?? 0;
    const within = h === undefined ? 0 : countWithin(h.buckets, this._target);
    const reset = count < this._prevCount;
    const windowCount = reset ? count : count - this._prevCount;
    const windowWithin = reset ? within : within - this._prevWithin;
    this._prevCount = count;
    this._prevWithin = within;
    if (windowCount < this._minSamples) {
      return { status: 'healthy', details: { metric: this._metric, observations: windowCount, note: 'not enough observations in this window to grade' } };
    }
    const compliance = Math.min(1, Math.max(0, windowWithin / windowCount));
    const status = grade(compliance, this._t, 'lower-is-worse');
    return {
      status,
      reason: explain(`share within ${this._target}`, compliance * 100, '%', status, scaled(this._t, 100), 'lower-is-worse'),
      observedValue: round(compliance),
      observedUnit: 'ratio',
      details: { metric: this._metric, target: this._target, observations: windowCount, withinTarget: round(windowWithin) },
    };
  }
}

/** Observations at or below `target` from cumulative buckets, interpolating inside its bucket. */
function countWithin(buckets: readonly { readonly le: number; readonly count: number }[], target: number): number {
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (target <= b.le) {
      if (b.le === Infinity || target === b.le) return target === b.le ? b.count : prevCount;
      const share = (target - prevLe) / (b.le - prevLe);
      return prevCount + (b.count - prevCount) * Math.max(0, share);
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevCount;
}
