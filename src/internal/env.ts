import { ConfigurationError } from '../errors/MonitoringError.js';

/**
 * An on/off environment variable: `1`/`true`/`yes`/`on` or `0`/`false`/`no`/`off` (any case,
 * surrounding spaces ignored); undefined when unset or empty; anything else throws at setup,
 * naming the variable and the value.
 * @internal
 */
export function envBoolean(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return undefined;
  if (raw === '1' || raw === 'true' || raw === 'yes' || raw === 'on') return true;
  if (raw === '0' || raw === 'false' || raw === 'no' || raw === 'off') return false;
  throw new ConfigurationError(name, env[name], 'true or false');
}
