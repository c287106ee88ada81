import { ConfigurationError } from '../errors/MonitoringError.js';

/** Env var choosing OTel's library instrumentations under `register`: `all` (default), `none`, or a list. */
export const INSTRUMENTATIONS_ENV = 'MONITORING_INSTRUMENTATIONS';

/** What `MONITORING_INSTRUMENTATIONS` (the `instrumentations` setting) asked for. */
export type InstrumentationChoice = { readonly kind: 'all' } | { readonly kind: 'none' } | { readonly kind: 'list'; readonly names: readonly string[] };

const NAME = /^[a-z0-9][a-z0-9.-]*$/;

/**
 * Parses the `instrumentations` setting: `all`, `none`, or comma-separated short names as in
 * `OTEL_NODE_ENABLED_INSTRUMENTATIONS` (`http,pg,ioredis` for `@opentelemetry/instrumentation-http`, ...).
 * Throws a `ConfigurationError` naming `option` (the env var by default) on anything else.
 */
export function parseInstrumentations(raw: string | undefined, option = INSTRUMENTATIONS_ENV): InstrumentationChoice {
  const value = raw?.trim().toLowerCase() ?? '';
  if (value === '' || value === 'all') return { kind: 'all' };
  if (value === 'none' || value === 'off' || value === 'false') return { kind: 'none' };
  const names = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const n of names) if (!NAME.test(n)) throw new ConfigurationError(option, raw, 'all, none, or instrumentation short names like http,pg,ioredis');
  return { kind: 'list', names: [...new Set(names)] };
}
