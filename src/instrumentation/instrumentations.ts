import { context } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { reportOnce } from '../internal/report.js';
import { ConfigurationError } from '../errors/MonitoringError.js';

const AUTO_PACKAGE = '@opentelemetry/auto-instrumentations-node';

/** Env var choosing OTel's library instrumentations under `register`: `all` (default), `none`, or a list. */
export const INSTRUMENTATIONS_ENV = 'MONITORING_INSTRUMENTATIONS';

/** What `MONITORING_INSTRUMENTATIONS` asked for. */
export type InstrumentationChoice = { readonly kind: 'all' } | { readonly kind: 'none' } | { readonly kind: 'list'; readonly names: readonly string[] };

const NAME = /^[a-z0-9][a-z0-9.-]*$/;

/**
 * Parses `MONITORING_INSTRUMENTATIONS`: `all`, `none`, or comma-separated short names as in
 * `OTEL_NODE_ENABLED_INSTRUMENTATIONS` (`http,pg,ioredis` for `@opentelemetry/instrumentation-http`, ...).
 * Throws a `ConfigurationError` naming the variable on anything else.
 */
export function parseInstrumentations(raw: string | undefined): InstrumentationChoice {
  const value = raw?.trim().toLowerCase() ?? '';
  if (value === '' || value === 'all') return { kind: 'all' };
  if (value === 'none' || value === 'off' || value === 'false') return { kind: 'none' };
  const names = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const n of names) if (!NAME.test(n)) throw new ConfigurationError(INSTRUMENTATIONS_ENV, raw, 'all, none, or instrumentation short names like http,pg,ioredis');
  return { kind: 'list', names: [...new Set(names)] };
}

/**
 * True inside OTel's suppress-tracing context, which the SDK's exporters run in (the periodic
 * metric reader and the batch span processor both export inside it). OTel's http instrumentation
 * skips the span there but still records `http.client.request.duration`, so without this hook
 * every OTLP POST would count as the app's outgoing traffic.
 */
const insideExporter = (): boolean => isTracingSuppressed(context.active());

/**
 * Our settings for OTel's instrumentations: the http instrumentation keeps outgoing requests
 * (client spans, `traceparent` injection) but not incoming ones, which the lean
 * `HttpServerInstrumentation` handles at a fraction of the cost, and ignores the exporters' own
 * requests; OTel's runtime-node metrics are replaced by `RuntimeMetrics`.
 */
export const INSTRUMENTATION_CONFIG: Readonly<Record<string, Record<string, unknown>>> = Object.freeze({
  '@opentelemetry/instrumentation-http': { disableIncomingRequestInstrumentation: true, ignoreOutgoingRequestHook: insideExporter },
  '@opentelemetry/instrumentation-undici': { ignoreRequestHook: insideExporter },
  '@opentelemetry/instrumentation-runtime-node': { enabled: false },
});

/**
 * Builds (and so enables) OTel's instrumentations for `choice`. `all` is
 * `@opentelemetry/auto-instrumentations-node`'s default set; a list imports only the named
 * packages, which starts much faster than loading all ~40 of them (see docs/instrumentation.md).
 */
export async function loadInstrumentations(choice: InstrumentationChoice): Promise<Instrumentation[]> {
  if (choice.kind === 'none') return [];
  if (choice.kind === 'all') {
    let auto: typeof import('@opentelemetry/auto-instrumentations-node');
    try {
      auto = await import('@opentelemetry/auto-instrumentations-node');
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
      // An optional peer dependency: asked for by name it must be there; by default its absence
      // only turns library instrumentation off (the SDK's own HTTP, runtime and system metrics stay).
      const asked = process.env[INSTRUMENTATIONS_ENV];
      if (asked !== undefined && asked.trim() !== '') {
        throw new ConfigurationError(INSTRUMENTATIONS_ENV, asked, `installed instrumentations: \`all\` needs the optional peer dependency ${AUTO_PACKAGE} (npm install ${AUTO_PACKAGE}@^0.81.2), or name them (http,pg,...) or none`);
      }
      reportOnce('instrumentations:missing', `${AUTO_PACKAGE} is not installed, so no library is instrumented; install it, or set ${INSTRUMENTATIONS_ENV} to a list or none`);
      return [];
    }
    const { getNodeAutoInstrumentations } = auto;
    return getNodeAutoInstrumentations(INSTRUMENTATION_CONFIG as Parameters<typeof getNodeAutoInstrumentations>[0]);
  }
  const out: Instrumentation[] = [];
  for (const name of choice.names) {
    const pkg = `@opentelemetry/instrumentation-${name}`;
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pkg)) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigurationError(INSTRUMENTATIONS_ENV, name, `the short name of an installed instrumentation (${pkg} could not be loaded: ${String(err)})`);
    }
    const Ctor = Object.entries(mod).find(([k, v]) => k.endsWith('Instrumentation') && typeof v === 'function')?.[1] as
      | (new (config?: Record<string, unknown>) => Instrumentation)
      | undefined;
    if (Ctor === undefined) throw new ConfigurationError(INSTRUMENTATIONS_ENV, name, `a package exporting an Instrumentation class (${pkg} has none)`);
    out.push(new Ctor(INSTRUMENTATION_CONFIG[pkg] ?? {}));
  }
  return out;
}
