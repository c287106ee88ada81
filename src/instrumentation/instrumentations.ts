import { context } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { reportOnce } from '../internal/report.js';
import { INSTRUMENTATIONS_ENV, type InstrumentationChoice } from '../config/instrumentationChoice.js';
import { ConfigurationError } from '../errors/MonitoringError.js';

const AUTO_PACKAGE = '@opentelemetry/auto-instrumentations-node';

export { INSTRUMENTATIONS_ENV, parseInstrumentations, type InstrumentationChoice } from '../config/instrumentationChoice.js';

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
 * `asked` is the setting as the user wrote it: `all` asked for by name needs the package installed,
 * while by default its absence only turns library instrumentation off.
 */
export async function loadInstrumentations(choice: InstrumentationChoice, asked?: string): Promise<Instrumentation[]> {
  if (choice.kind === 'none') return [];
  if (choice.kind === 'all') {
    let auto: typeof import('@opentelemetry/auto-instrumentations-node');
    try {
      auto = await import('@opentelemetry/auto-instrumentations-node');
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
      // An optional peer dependency: asked for by name it must be there; by default its absence
      // only turns library instrumentation off (the SDK's own HTTP, runtime and system metrics stay).
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
