import { requireNumber, requireObject } from '../internal/configCheck.js';
import { ConfigurationError } from '../errors/MonitoringError.js';
import type { HealthStatus } from '../events/types.js';

/**
 * Limits that turn a measurement into a status. For a measurement where higher is worse (latency,
 * utilisation, error rate) a value at or above `unhealthy` is unhealthy and at or above `degraded`
 * is degraded; where lower is worse (free space, hit ratio, throughput) the comparisons flip.
 * Either limit may be left out.
 */
export interface Thresholds {
  readonly degraded?: number;
  readonly unhealthy?: number;
}

/** @internal Which way a measurement gets worse. */
export type Direction = 'higher-is-worse' | 'lower-is-worse';

/** @internal Validates thresholds at setup; throws a ConfigurationError naming the option. */
export function checkThresholds(option: string, t: Thresholds | undefined, direction: Direction): Thresholds | undefined {
  if (t === undefined) return undefined;
  requireObject(option, t, 'an object { degraded?, unhealthy? }');
  for (const key of ['degraded', 'unhealthy'] as const) if (t[key] !== undefined) requireNumber(`${option}.${key}`, t[key]);
  const { degraded, unhealthy } = t;
  if (degraded !== undefined && unhealthy !== undefined) {
    const ordered = direction === 'higher-is-worse' ? degraded <= unhealthy : degraded >= unhealthy;
    if (!ordered) {
      throw new ConfigurationError(option, t, direction === 'higher-is-worse' ? 'degraded <= unhealthy' : 'degraded >= unhealthy');
    }
  }
  return Object.freeze({ ...t });
}

/** @internal `checkThresholds` for a limit the checker cannot do without. */
export function requireThresholds(option: string, t: Thresholds | undefined, direction: Direction): Thresholds {
  const checked = checkThresholds(option, t, direction);
  if (checked === undefined) throw new ConfigurationError(option, t, '{ degraded?, unhealthy? }');
  return checked;
}

/** @internal The status a measurement earns against its thresholds. */
export function grade(value: number, t: Thresholds | undefined, direction: Direction): HealthStatus {
  if (t === undefined) return 'healthy';
  if (direction === 'higher-is-worse') {
    if (t.unhealthy !== undefined && value >= t.unhealthy) return 'unhealthy';
    if (t.degraded !== undefined && value >= t.degraded) return 'degraded';
  } else {
    if (t.unhealthy !== undefined && value <= t.unhealthy) return 'unhealthy';
    if (t.degraded !== undefined && value <= t.degraded) return 'degraded';
  }
  return 'healthy';
}

/** @internal A reason line such as "p99 latency 812 ms >= 500 ms". */
export function explain(label: string, value: number, unit: string, status: HealthStatus, t: Thresholds | undefined, direction: Direction): string | undefined {
  if (status === 'healthy' || t === undefined) return undefined;
  const limit = status === 'unhealthy' ? t.unhealthy : t.degraded;
  const op = direction === 'higher-is-worse' ? '>=' : '<=';
  return `${label} ${round(value)}${unit} ${op} ${round(limit ?? NaN)}${unit}`;
}

/** @internal Rounds for display (3 significant decimals). */
export function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** @internal The same thresholds multiplied by `factor` (ratios shown as percentages). */
export function scaled(t: Thresholds | undefined, factor: number): Thresholds | undefined {
  if (t === undefined) return undefined;
  const out: { degraded?: number; unhealthy?: number } = {};
  if (t.degraded !== undefined) out.degraded = t.degraded * factor;
  if (t.unhealthy !== undefined) out.unhealthy = t.unhealthy * factor;
  return out;
}
