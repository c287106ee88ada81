import { createToken } from '../registry/Token.js';
import type { HealthReport } from './types.js';

export type { HealthReport } from './types.js';

/** Anything that can report the health of the system (the seed's `IHealthCheck`). */
export interface IHealthCheck {
  checkHealth(): Promise<HealthReport>;
}

/** Registry token for `IHealthCheck`. */
export const IHealthCheck = createToken<IHealthCheck>('IHealthCheck');
