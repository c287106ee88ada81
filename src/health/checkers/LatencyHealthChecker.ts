import type { Labels } from '../../collectors/MetricStore.js';
import { ConfigurationError } from '../../errors/MonitoringError.js';
import type { CollectorReader } from '../sources.js';
import { checkThresholds, explain, grade, round, type Thresholds } from '../thresholds.js';
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
    if (collector === null || typeof collector !== 'object' || typeof collector.getHistogram !== 'function') {
      throw new ConfigurationError('collector', collector, 'a MemoryCollector');
    }
    if (options === null || typeof options !== 'object' || typeof options.metric !== 'string' || options.metric === '') {
      throw new ConfigurationError('metric', options?.metric, 'a histogram name');
    }
    this._collector = collector;
    this._metric = options.metric;
    this._labels = options.labels;
    this._q = options.quantile ?? 0.99;
    if (typeof this._q !== 'number' || !(this._q > 0 && this._q <= 1)) throw new ConfigurationError('quantile', options.quantile, 'a number in (0, 1]');
    this._t = checkThresholds('thresholds', options.thresholds, 'higher-is-worse');
    if (this._t === undefined) throw new ConfigurationError('thresholds', options.thresholds, '{ degraded?, unhealthy? }');
    this._minCount = options.minCount ?? 1;
    if (!Number.isInteger(this._minCount) || this._minCount < 1) throw new ConfigurationError('minCount', options.minCount, 'a positive integer');
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
