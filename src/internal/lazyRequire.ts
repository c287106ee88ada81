import { createRequire } from 'node:module';

// OTel's packages are CommonJS (`main` only, no `exports` map), so a plain ESM `import` of them and
// this `require` load the same module instances: nothing is loaded twice.
/** `require` for the package's ES modules: the built-ins in builtins.ts and the lazy dependencies below. @internal */
export const nodeRequire = createRequire(import.meta.url);

/**
 * A dependency loaded the first time something needs it, not when the package is imported: the
 * OTLP exporters (with protobuf and the transformer, ~100 CommonJS modules) only when a mode
 * exports over OTLP, host-metrics only when `SystemMetrics` starts. See docs/import-cost.md.
 *
 * @example
 * const proto = lazyRequire<typeof import('@opentelemetry/exporter-trace-otlp-proto')>('@opentelemetry/exporter-trace-otlp-proto');
 * new (proto().OTLPTraceExporter)({ url });
 * @internal
 */
export function lazyRequire<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= nodeRequire(name) as T);
}
