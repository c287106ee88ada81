/**
 * `node --import service-infrastructure/register app.js`: instruments an unmodified app,
 * configured only by environment variables (`MonitoringSettings` reads them: `OTEL_SERVICE_NAME`,
 * `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_TRACES_SAMPLER`, `MONITORING_MODE`, ...).
 *
 * What it does, in order:
 * 1. builds monitoring from the environment and installs OTel's globals (tracer and meter
 *    providers, W3C trace-context + baggage propagators);
 * 2. enables the lean `node:http` server path (RED metrics + SERVER spans from
 *    `diagnostics_channel`), runtime and system metrics, and OTel's library instrumentations
 *    chosen by `MONITORING_INSTRUMENTATIONS` (http client, pg, ioredis, ...);
 * 3. registers import-in-the-middle's loader hook (OTel's `@opentelemetry/instrumentation/hook.mjs`)
 *    limited to the modules those instrumentations name, so ESM apps' imports can be patched;
 * 4. flushes and shuts down on SIGTERM, SIGINT and `beforeExit`, within `MONITORING_SHUTDOWN_TIMEOUT_MS`
 *    (default 2000); after `beforeExit` it then exits, so a short-lived script is not kept alive by
 *    an exporter retrying an unreachable collector.
 *
 * The settings `register` uses (`httpServer`, `runtimeMetrics`, `systemMetrics`, `diskPaths`,
 * `httpIgnorePaths`, `shutdownTimeoutMs`) are `MonitoringSettings` fields like the rest. Extra
 * variables read here: `MONITORING_INSTRUMENTATIONS` (`all` | `none` | `http,pg,...`),
 * `OTEL_LOG_LEVEL` (OTel diag to the console).
 *
 * @module
 */
import { register } from 'node:module';
import { register as registerSyncHooks, supportsSyncHooks } from 'import-in-the-middle/register-hooks.mjs';
import { DiagConsoleLogger, diag } from '@opentelemetry/api';
import { diagLogLevelFromString } from '@opentelemetry/core';
import { registerInstrumentations, type Instrumentation, type InstrumentationBase } from '@opentelemetry/instrumentation';
import { MonitoringSettings } from './config/MonitoringSettings.js';
import { HttpServerInstrumentation } from './instrumentation/HttpServerInstrumentation.js';
import { loadInstrumentations, parseInstrumentations } from './instrumentation/instrumentations.js';
import { RuntimeMetrics } from './instrumentation/RuntimeMetrics.js';
import { SystemMetrics } from './instrumentation/SystemMetrics.js';
import { getRegisteredMonitoring, setRegisteredMonitoring } from './instrumentation/registered.js';
import { createMonitoring } from './monitoring/createMonitoring.js';
import { createPrometheusEndpoint } from './export/PrometheusEndpoint.js';

function moduleNames(instrumentations: readonly Instrumentation[]): string[] {
  const names = new Set<string>();
  for (const i of instrumentations) {
    for (const def of (i as Partial<InstrumentationBase>).getModuleDefinitions?.() ?? []) {
      names.add(def.name);
      for (const file of def.files) names.add(file.name);
    }
  }
  return [...names];
}

async function start(): Promise<void> {
  if (getRegisteredMonitoring() !== undefined) return; // imported twice
  const logLevel = process.env['OTEL_LOG_LEVEL'];
  if (logLevel !== undefined && logLevel !== '') diag.setLogger(new DiagConsoleLogger(), { logLevel: diagLogLevelFromString(logLevel) ?? 0 });

  // Configuration first: a bad variable stops the app here, with the variable's name.
  const settings = new MonitoringSettings(); // MONITORING_HTTP_SERVER, _DISK_PATHS, ... included
  const choice = parseInstrumentations(settings.instrumentations);
  const { httpServer, runtimeMetrics: runtime, systemMetrics: system, diskPaths, httpIgnorePaths: ignorePaths, shutdownTimeoutMs: exitTimeoutMs } = settings;

  const monitoring = createMonitoring(settings);
  setRegisteredMonitoring(monitoring);
  const stops: (() => void)[] = [];
  if (httpServer) {
    const http = new HttpServerInstrumentation({
      collector: monitoring.collector,
      tracerProvider: monitoring.tracerProvider,
      sampler: monitoring.sampler,
      ...(ignorePaths !== undefined ? { ignorePaths } : {}),
    }).enable();
    stops.push(() => http.disable());
  }
  if (settings.metricsExporter?.includes('prometheus') === true) {
    // OTEL_METRICS_EXPORTER=prometheus, as sdk-node does it: the scrape endpoint opens by itself.
    const endpoint = createPrometheusEndpoint(monitoring);
    const { url } = await endpoint.listen();
    diag.info(`[service-infrastructure] Prometheus metrics at ${url}`);
    stops.push(() => void endpoint.shutdown());
  }
  if (runtime) {
    const r = new RuntimeMetrics({ collector: monitoring.collector }).start();
    stops.push(() => r.stop());
  }
  if (system) {
    const s = new SystemMetrics({ collector: monitoring.collector, meterProvider: monitoring.meterProvider, diskPaths }).start();
    stops.push(() => s.stop());
  }
  const instrumentations = await loadInstrumentations(choice, settings.instrumentations);
  // ESM apps: import-in-the-middle's loader hook wraps the modules the instrumentations name, so
  // they can patch them as they would a CommonJS `require`. It must be registered before the
  // app's modules load, which holds under --import. `include` limits it to those modules: the
  // rest of the app loads untouched (wrapping every module costs startup time).
  const include = moduleNames(instrumentations);
  // Where Node can run it, the loader is registered as in-thread synchronous hooks
  // (module.registerHooks): Node 26 deprecates module.register (DEP0205) and prints a warning on
  // the app's stderr for it. Older lines keep the off-thread loader.
  if (include.length > 0) {
    if (supportsSyncHooks()) registerSyncHooks({ include });
    else register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include } });
  }
  const unregister = registerInstrumentations({
    instrumentations,
    tracerProvider: monitoring.tracerProvider,
    meterProvider: monitoring.meterProvider,
  });
  stops.push(unregister);

  let closing: Promise<void> | undefined;
  const shutdown = (): Promise<void> =>
    (closing ??= (async () => {
      // Shut down first: the final metric export runs inside it and must still see the
      // observable gauges the stops below would unregister.
      try {
        await monitoring.shutdown(exitTimeoutMs);
      } catch (err) {
        diag.warn(`[service-infrastructure] shutdown: ${String(err)}`);
      }
      for (const stop of stops) stop();
      setRegisteredMonitoring(undefined);
    })());

  // On a signal: flush, then let the signal do what it would have done without us, unless the
  // app listens for it itself (then the app decides when to exit; an app that calls
  // process.exit() in its handler cuts the flush short, see docs/instrumentation.md).
  const onSignal = (signal: NodeJS.Signals): void => {
    // Counted now, before the app's own `once` listeners remove themselves.
    const appListens = process.listenerCount(signal) > 0;
    void shutdown().finally(() => {
      if (!appListens) process.kill(process.pid, signal);
    });
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  // A process that ends by itself: flush within the bound, then exit. Without the exit, an
  // exporter still retrying an unreachable collector (its sockets and backoff timers) kept a
  // one-line script alive for ~10 s; what was not sent by the deadline is lost, as on a signal.
  process.once('beforeExit', () => {
    void shutdown().finally(() => process.exit());
  });
  diag.debug(`[service-infrastructure] registered: ${instrumentations.length} OTel instrumentations, http server ${httpServer}, runtime ${runtime}, system ${system}`);
}

await start();
