import { createToken } from '../registry/Token.js';

/** What `monitoring.shutdown()` needs from an attached alerting engine. */
export interface IAlerting {
  shutdown(timeoutMs?: number): Promise<void>;
}

/** Registry token under which `createAlerting` registers its engine. */
export const IAlerting = createToken<IAlerting>('IAlerting');
