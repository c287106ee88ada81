import { getHeapStatistics } from 'node:v8';
import type { HealthStatus } from '../../events/types.js';
import { worse } from '../result.js';
import { checkThresholds, explain, grade, round, type Thresholds } from '../thresholds.js';
import type { HealthCheckResult, HealthChecker } from '../types.js';

export interface MemoryHealthCheckerOptions {
  /** heapUsed / heap size limit, 0..1 (higher is worse). Default `{ degraded: 0.85, unhealthy: 0.95 }`. */
  heapRatio?: Thresholds;
  /** Resident set size in bytes (higher is worse). Default: none. */
  rssBytes?: Thresholds;
}

/**
 * A system check on the process' memory: V8 heap use against its limit (`--max-old-space-size`),
 * and optionally resident memory. A heap near its limit means long GC pauses and then a crash.
 *
 * @example
 * health.registerCheck('memory', new MemoryHealthChecker({ rssBytes: { degraded: 1.5e9 } }), { category: 'system', critical: false });
 */
export class MemoryHealthChecker implements HealthChecker {
  private readonly _heap: Thresholds | undefined;
  private readonly _rss: Thresholds | undefined;

  constructor(options: MemoryHealthCheckerOptions = {}) {
    this._heap = checkThresholds('heapRatio', options.heapRatio ?? { degraded: 0.85, unhealthy: 0.95 }, 'higher-is-worse');
    this._rss = checkThresholds('rssBytes', options.rssBytes, 'higher-is-worse');
  }

  check(): HealthCheckResult {
    const heap = getHeapStatistics();
    const rss = process.memoryUsage.rss();
    const ratio = heap.used_heap_size / heap.heap_size_limit;
    let status: HealthStatus = grade(ratio, this._heap, 'higher-is-worse');
    let reason = explain('heap used', ratio, '', status, this._heap, 'higher-is-worse');
    const rssStatus = grade(rss, this._rss, 'higher-is-worse');
    if (worse(status, rssStatus) !== status) reason = explain('rss', rss, ' bytes', rssStatus, this._rss, 'higher-is-worse');
    status = worse(status, rssStatus);
    return {
      status,
      reason,
      observedValue: round(ratio),
      observedUnit: 'ratio',
      details: { heapUsedBytes: heap.used_heap_size, heapLimitBytes: heap.heap_size_limit, rssBytes: rss },
    };
  }
}
