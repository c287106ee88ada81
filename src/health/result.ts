import type { HealthStatus } from '../events/types.js';
import type { HealthCheckResult } from './types.js';

/** @internal */
export function isHealthStatus(value: unknown): value is HealthStatus {
  return value === 'healthy' || value === 'degraded' || value === 'unhealthy';
}

/**
 * @internal Turns whatever a checker returned into a result: a full result passes through, a bare
 * status or boolean is wrapped, anything else counts as unhealthy rather than as a pass.
 */
export function normalize(value: unknown): HealthCheckResult {
  if (value === true) return { status: 'healthy' };
  if (value === false) return { status: 'unhealthy', reason: 'check returned false' };
  if (isHealthStatus(value)) return value === 'healthy' ? { status: value } : { status: value, reason: `check reported ${value}` };
  if (value !== null && typeof value === 'object' && isHealthStatus((value as HealthCheckResult).status)) return value as HealthCheckResult;
  return { status: 'unhealthy', reason: `check returned an invalid result: ${describe(value)}` };
}

/** @internal A thrown error as an unhealthy result: its message is the reason, its code a detail. */
export function failure(err: unknown): HealthCheckResult {
  const message = err instanceof Error ? describe(err.message) || describe(err.name) : describe(err);
  const code = (err as { code?: unknown } | null)?.code;
  const details: Record<string, unknown> = { error: err instanceof Error ? err.name : typeof err };
  if (typeof code === 'string' || typeof code === 'number') details['code'] = code;
  return { status: 'unhealthy', reason: message, details };
}

/** @internal The worse of two statuses. */
export function worse(a: HealthStatus, b: HealthStatus): HealthStatus {
  if (a === 'unhealthy' || b === 'unhealthy') return 'unhealthy';
  if (a === 'degraded' || b === 'degraded') return 'degraded';
  return 'healthy';
}

/** @internal Text for any value a checker produced; never throws (null-prototype objects, cycles, BigInt). */
export function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    try {
      return String(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
}
