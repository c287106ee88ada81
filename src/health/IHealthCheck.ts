import type { HealthStatus } from '../events/types.js';
import { createToken } from '../registry/Token.js';

/** The overall result of a health check run. */
export interface HealthReport {
  readonly status: HealthStatus;
  readonly checks: Readonly<Record<string, unknown>>;
}

/** Anything that can report the health of the system (the seed's `IHealthCheck`). */
export interface IHealthCheck {
  checkHealth(): Promise<HealthReport>;
}

/** Registry token for `IHealthCheck`. */
export const IHealthCheck = createToken<IHealthCheck>('IHealthCheck');
