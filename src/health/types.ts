import type { HealthStatus } from '../events/types.js';

/** The seed's three health-check categories. */
export type HealthCategory = 'component' | 'system' | 'business';

/** The draft-inadarei-api-health-check status for each `HealthStatus`. */
export type IetfHealthStatus = 'pass' | 'warn' | 'fail';

/** What one run of a checker reports. */
export interface HealthCheckResult {
  readonly status: HealthStatus;
  /** Why the check is not healthy; becomes the draft's `output`. */
  readonly reason?: string | undefined;
  /** The measured value that decided the status (latency, ratio, bytes free, ...). */
  readonly observedValue?: number | string | boolean | undefined;
  /** Unit of `observedValue` (`ms`, `percent`, `bytes`, ...). */
  readonly observedUnit?: string | undefined;
  /** Anything else worth showing (pool sizes, hit counts, the server's error code). */
  readonly details?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * Something that can check one part of the system. `signal` aborts when the manager gives up on the
 * run (its timeout passed), so a checker that can cancel its I/O should pass it on.
 */
export interface HealthChecker {
  check(signal: AbortSignal): Promise<HealthCheckResult> | HealthCheckResult;
  /** Releases what the checker holds (a timer, a histogram); called on unregister and shutdown. */
  close?(): void;
}

/**
 * A check written as a function. Besides a full result it may return a bare status, or a boolean
 * (true healthy, false unhealthy).
 */
export type HealthCheckFunction = (
  signal: AbortSignal,
) => Promise<HealthCheckResult | HealthStatus | boolean> | HealthCheckResult | HealthStatus | boolean;

/** Per-check options of `registerCheck`. */
export interface CheckOptions {
  /** A run that takes longer is reported unhealthy ("timed out after N ms"). Default 5000 ms. */
  timeoutMs?: number;
  /** Default `component`. */
  category?: HealthCategory;
  /**
   * A critical check that fails makes the system unhealthy; a non-critical one only degrades it.
   * Default true.
   */
  critical?: boolean;
  /** How long a result is served from cache by `checkHealth()`. Default: the background interval. */
  cacheTtlMs?: number;
  /** Groups the check belongs to, e.g. `liveness`, `readiness`; `/health/{group}` reports each. */
  tags?: readonly string[];
  /** A human-readable line for reports. */
  description?: string;
}

/** The latest result of one check, as `checkHealth()` reports it. */
export interface CheckReport {
  readonly name: string;
  readonly status: HealthStatus;
  readonly category: HealthCategory;
  readonly critical: boolean;
  readonly tags: readonly string[];
  readonly description: string | undefined;
  readonly reason: string | undefined;
  readonly observedValue: number | string | boolean | undefined;
  readonly observedUnit: string | undefined;
  readonly details: Readonly<Record<string, unknown>>;
  /** How long the run took (up to the timeout for a run that timed out). */
  readonly durationMs: number;
  /** Epoch milliseconds when the run finished. */
  readonly checkedAt: number;
  /** Epoch milliseconds of the last run that was not unhealthy; undefined if there was none. */
  readonly lastSuccess: number | undefined;
  /** Unhealthy runs in a row (0 after a healthy or degraded run). */
  readonly consecutiveFailures: number;
  /** True when the run hit its timeout. */
  readonly timedOut: boolean;
}

/** The aggregate of a set of checks (all of them, or one group). */
export interface HealthReport {
  readonly status: HealthStatus;
  readonly checks: Readonly<Record<string, CheckReport>>;
  /** Epoch milliseconds when this report was assembled. */
  readonly checkedAt: number;
  /** The group this report covers, or undefined for every check. */
  readonly group?: string | undefined;
}
