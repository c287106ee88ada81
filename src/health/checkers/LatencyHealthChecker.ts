import { positiveIntOr, requireMethods, requireNonEmptyString, requireNumber, requireObject } from '../../internal/configCheck.js';
import type { Labels } from '../../collectors/MetricStore.js';
import type { CollectorReader } from '../sources.js';
import { requireThresholds, explain, grade, round, type Thresholds } from '../thresholds.js';
import type { HealthCheckResult, HealthChecker } from '../types.js';

export interface LatencyHealthCheckerOptions {
  /** A histogram of the collector, e.g. `http_request_duration_ms` or a phase-duration metric. */
  metric: string;
  /** The exact label set of the series; default the unlabelled series. */
  labels?: Labels;
  /** The quantile to grade, 0..1. Default 0.99. */
  quantile?: number;
  /** Limits in the histogram's own unit (higher is worse). */
  thresholds: Thresholds;
  /** Observations the histogram needs before it is graded. Default 1. */
  minCount?: number;
}

/**
 * A system check on a performance threshold: a latency percentile read from a `MemoryCollector`
 * histogram (percentiles come from its DDSketch, within 1%). The percentile is over the series'
 * lifetime, as the collector keeps it.
 *
 * @example
 * health.registerCheck('latency', new LatencyHealthChecker(monitoring.collector, {
 *   metric: 'http_server_duration_ms', labels: { route: '/orders' }, quantile: 0.95, thresholds: { degraded: 250, unhealthy: 1000 },
 * }), { category: 'system', critical: false });
 */
export class LatencyHealthChecker implements HealthChecker {
  private readonly _collector: CollectorReader;
  private readonly _metric: string;
  private readonly _labels: Labels | undefined;
  private readonly _q: number;
  private readonly _t: Thresholds | undefined;
  private readonly _minCount: number;

  constructor(collector: CollectorReader, options: LatencyHealthCheckerOptions) {
    requireMethods('collector', collector, ['getHistogram'], 'a MemoryCollector');
    requireObject('options', options, '{ metric, thresholds }');
    requireNonEmptyString('metric', options.metric, 'a histogram name');
    this._collector = collector;
    this._metric = options.metric;
    this._labels = options.labels;
    this._q = options.quantile ?? 0.99;
    requireNumber('quantile', this._q, { above: 0, max: 1 }, 'a number in (0, 1]');
    this._t = requireThresholds('thresholds', options.thresholds, 'higher-is-worse');
    this._minCount = positiveIntOr('minCount', options.minCount, 1);
  }

  check(): HealthCheckResult {
    const h = this._collector.getHistogram(this._metric, this._labels);
    if (h === undefined || h.count < this._minCount) {
      return { status: 'healthy', details: { metric: this._metric, count: h?.count ?? 0, note: 'not enough observations to grade' } };
    }
    const value = h.percentile(this._q);
    const status = grade(value, this._t, 'higher-is-worse');
    const label = `p${round(this._q * 100)} of ${this._metric}`;
    return {
      status,
      reason: explain(label, value, '', status, this._t, 'higher-is-worse'),
      observedValue: round(value),
      details: { metric: this._metric, quantile: this._q, count: h.count, mean: round(h.mean), max: round(h.max) },
    };
  }
}
