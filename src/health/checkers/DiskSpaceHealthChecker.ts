import { requireNonEmptyString } from '../../internal/configCheck.js';
import { statfs } from 'node:fs/promises';
import type { HealthStatus } from '../../events/types.js';
import { worse } from '../result.js';
import { checkThresholds, explain, grade, round, scaled, type Thresholds } from '../thresholds.js';
import type { HealthCheckResult, HealthChecker } from '../types.js';

export interface DiskSpaceHealthCheckerOptions {
  /** A path on the file system to watch. Default `/` (or the working directory's root on Windows). */
  path?: string;
  /** Free / total, 0..1 (lower is worse). Default `{ degraded: 0.1, unhealthy: 0.05 }`. */
  freeRatio?: Thresholds;
  /** Free bytes available to this process (lower is worse). Default: none. */
  freeBytes?: Thresholds;
}

/**
 * A system check on free disk space (`statfs`), as a ratio and optionally in bytes. Spring Boot's
 * `diskSpace` indicator, with a degraded stage before the hard limit.
 *
 * @example
 * health.registerCheck('disk', new DiskSpaceHealthChecker({ path: '/var/lib/app', freeBytes: { unhealthy: 1e9 } }), { category: 'system' });
 */
export class DiskSpaceHealthChecker implements HealthChecker {
  private readonly _path: string;
  private readonly _ratio: Thresholds | undefined;
  private readonly _bytes: Thresholds | undefined;

  constructor(options: DiskSpaceHealthCheckerOptions = {}) {
    this._path = options.path ?? '/';
    requireNonEmptyString('path', this._path, 'a file system path');
    this._ratio = checkThresholds('freeRatio', options.freeRatio ?? { degraded: 0.1, unhealthy: 0.05 }, 'lower-is-worse');
    this._bytes = checkThresholds('freeBytes', options.freeBytes, 'lower-is-worse');
  }

  async check(): Promise<HealthCheckResult> {
    const fs = await statfs(this._path);
    const total = fs.blocks * fs.bsize;
    const free = fs.bavail * fs.bsize;
    const ratio = total > 0 ? free / total : 0;
    let status: HealthStatus = grade(ratio, this._ratio, 'lower-is-worse');
    let reason = explain(`free space on ${this._path}`, ratio * 100, '%', status, scaled(this._ratio, 100), 'lower-is-worse');
    const byBytes = grade(free, this._bytes, 'lower-is-worse');
    if (worse(status, byBytes) !== status) reason = explain(`free bytes on ${this._path}`, free, '', byBytes, this._bytes, 'lower-is-worse');
    status = worse(status, byBytes);
    return { status, reason, observedValue: free, observedUnit: 'bytes', details: { path: this._path, totalBytes: total, freeBytes: free, freeRatio: round(ratio) } };
  }
}
