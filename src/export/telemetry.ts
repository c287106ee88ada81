import { randomUUID } from 'node:crypto';
import { diag, type TracerProvider } from '@opentelemetry/api';
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  resourceFromAttributes,
  type Resource,
  type ResourceDetector,
} from '@opentelemetry/resources';
import { ConsoleMetricExporter, MeterProvider, PeriodicExportingMetricReader, type MetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, type Sampler, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { MonitoringMode } from '../config/MonitoringMode.js';
import type { MonitoringSettings, OtlpProtocol, ResourceDetectorName } from '../config/MonitoringSettings.js';
import { ConfigurationError } from '../errors/MonitoringError.js';
import { MemoryCollector } from '../collectors/MemoryCollector.js';
import { lazyRequire } from '../internal/lazyRequire.js';
import { withTimeout } from '../internal/timeout.js';
import { ExportAgents } from './exportAgents.js';
import { sendExemplars } from './otlpExemplars.js';
import { RetryingSpanExporter } from './RetryingSpanExporter.js';
import { RecentSpanStore } from '../tracing/RecentSpanStore.js';
import { createSampler } from '../tracing/createSampler.js';
import { enableLeanSpans } from '../tracing/LeanTracer.js';
import { PooledIdGenerator } from '../tracing/PooledIdGenerator.js';
import { ensureContextManager, inCallersFrame } from '../tracing/contextManager.js';

/** The OTel providers and readers one monitoring setup owns. */
export interface Telemetry {
  readonly resource: Resource;
  readonly tracerProvider: NodeTracerProvider;
  readonly meterProvider: MeterProvider;
  readonly collector: MemoryCollector;
  readonly spanStore: RecentSpanStore;
  /** The tracer provider's sampler (from `settings.tracesSampler`). */
  readonly sampler: Sampler;
  /** Flushes spans and metrics to every exporter. */
  forceFlush(timeoutMs?: number): Promise<void>;
  shutdown(timeoutMs?: number): Promise<void>;
}

export interface TelemetryOptions {
  /** Extra span processors (after the in-memory store and the OTLP batch processor). */
  spanProcessors?: SpanProcessor[];
  /** Extra metric readers (Prometheus, say); they get the collector's cells as a producer. */
  metricReaders?: ((collector: MemoryCollector) => MetricReader)[];
  /**
   * Force OTLP export of both signals on or off, whatever `tracesExporter` / `metricsExporter`
   * (and their env vars) say about `otlp`. By default those decide, and without them OTLP is on in
   * EVENT_DRIVEN mode only.
   */
  otlp?: boolean;
}

// Loaded when a mode needs them, not on import: the four OTLP exporters bring protobuf, the OTLP
// transformer and the exporter base (~100 CommonJS modules) that DIRECT mode never uses.
const metricsJson = lazyRequire<typeof import('@opentelemetry/exporter-metrics-otlp-http')>('@opentelemetry/exporter-metrics-otlp-http');
const metricsProto = lazyRequire<typeof import('@opentelemetry/exporter-metrics-otlp-proto')>('@opentelemetry/exporter-metrics-otlp-proto');
const tracesJson = lazyRequire<typeof import('@opentelemetry/exporter-trace-otlp-http')>('@opentelemetry/exporter-trace-otlp-http');
const tracesProto = lazyRequire<typeof import('@opentelemetry/exporter-trace-otlp-proto')>('@opentelemetry/exporter-trace-otlp-proto');
const containerDetection = lazyRequire<typeof import('@opentelemetry/resource-detector-container')>('@opentelemetry/resource-detector-container');

/** One id per process: two replicas of a service are two series in any backend. */
const SERVICE_INSTANCE_ID = randomUUID();

// The process detector's command line can carry secrets (`--password=...`), and would become a
// label of Prometheus' target_info: left out.
const SECRET_PRONE_ATTRIBUTES = ['process.command_args', 'process.command_line'];

const processWithoutCommandLine: ResourceDetector = {
  detect(config) {
    const detected = processDetector.detect(config);
    const attributes = { ...detected.attributes };
    for (const key of SECRET_PRONE_ATTRIBUTES) delete attributes[key];
    return { ...detected, attributes };
  },
};

const DETECTORS: Readonly<Record<ResourceDetectorName, () => readonly ResourceDetector[]>> = {
  env: () => [envDetector],
  host: () => [hostDetector],
  os: () => [osDetector],
  process: () => [processWithoutCommandLine],
  container: () => [containerDetection().containerDetector],
  // service.instance.id is always set (below); the name is accepted as OTel's list has it.
  serviceinstance: () => [],
};

/**
 * The resource every signal carries: OTel's resource detectors chosen by
 * `settings.resourceDetectors` (env `OTEL_NODE_RESOURCE_DETECTORS`; host, os, process, container,
 * env by default), `service.instance.id` (a UUID per process unless `OTEL_RESOURCE_ATTRIBUTES`
 * sets one), `OTEL_RESOURCE_ATTRIBUTES`, `service.name` and the SDK's name and version.
 * Host id and container id are read asynchronously: `await resource.waitForAsyncAttributes?.()`
 * before reading `resource.attributes` right after startup (the exporters wait by themselves).
 */
export function createResource(settings: MonitoringSettings): Resource {
  const detected = detectResources({ detectors: settings.resourceDetectors.flatMap((d) => DETECTORS[d]()) });
  return defaultResource()
    .merge(detected)
    .merge(resourceFromAttributes({ 'service.instance.id': SERVICE_INSTANCE_ID, ...settings.resourceAttributes, [ATTR_SERVICE_NAME]: settings.serviceName }));
}

type Signal = 'TRACES' | 'METRICS';

/**
 * The URL and protocol of one signal's OTLP exporter. A per-signal `OTEL_EXPORTER_OTLP_{TRACES,METRICS}_ENDPOINT`
 * is used as is (the spec's rule: no path appended) by leaving `url` to the exporter, which reads
 * it; otherwise `settings.otlpEndpoint` + `/v1/traces` or `/v1/metrics`. Headers, timeout,
 * compression and certificates (`OTEL_EXPORTER_OTLP_[SIGNAL_]HEADERS`, `_TIMEOUT`,
 * `_COMPRESSION`, `_CERTIFICATE`, ...) are read by OTel's exporters themselves.
 */
function otlpTarget(settings: MonitoringSettings, signal: Signal): { url?: string; protocol: OtlpProtocol } {
  const name = `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`;
  const raw = process.env[name]?.trim().toLowerCase();
  if (raw !== undefined && raw !== '' && raw !== 'http/protobuf' && raw !== 'http/json') {
    throw new ConfigurationError(name, process.env[name], 'http/protobuf or http/json (grpc is not supported)');
  }
  const protocol = raw === 'http/protobuf' || raw === 'http/json' ? raw : settings.otlpProtocol;
  const own = process.env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`];
  if (own !== undefined && own.trim() !== '') return { protocol };
  return { url: `${settings.otlpEndpoint.replace(/\/+$/, '')}/v1/${signal.toLowerCase()}`, protocol };
}

/** Which exporters each signal gets: the settings' lists, else OTLP in EVENT_DRIVEN mode. */
function chosenExporters(settings: MonitoringSettings, otlp: boolean | undefined): { traces: Set<string>; metrics: Set<string> } {
  const byMode = settings.mode === MonitoringMode.EVENT_DRIVEN ? ['otlp'] : [];
  const traces = new Set<string>(settings.tracesExporter ?? byMode);
  const metrics = new Set<string>(settings.metricsExporter ?? byMode);
  if (otlp === true) {
    traces.add('otlp');
    metrics.add('otlp');
  } else if (otlp === false) {
    traces.delete('otlp');
    metrics.delete('otlp');
  }
  return { traces, metrics };
}

/**
 * The providers a coordinator runs on: the caller's (`tracerProvider` and `collector` given
 * together, as `createMonitoring` does), or new ones from `createTelemetry`, which the caller then
 * owns (`owned`) and shuts down. The one place that decides whether providers are built.
 * @internal
 */
export function telemetryFor(
  settings: MonitoringSettings,
  given: { tracerProvider?: TracerProvider | undefined; collector?: MemoryCollector | undefined; spanStore?: RecentSpanStore | undefined },
): { tracerProvider: TracerProvider; collector: MemoryCollector; spanStore: RecentSpanStore | undefined; owned: Telemetry | undefined } {
  if (given.tracerProvider !== undefined && given.collector !== undefined) {
    return { tracerProvider: given.tracerProvider, collector: given.collector, spanStore: given.spanStore, owned: undefined };
  }
  const owned = createTelemetry(settings);
  return { tracerProvider: owned.tracerProvider, collector: owned.collector, spanStore: owned.spanStore, owned };
}

/** Builds the tracer and meter providers for `settings`: in-memory always, OTLP in EVENT_DRIVEN mode. */
export function createTelemetry(settings: MonitoringSettings, options: TelemetryOptions = {}): Telemetry {
  // OTel's setup code may enter a context: the container resource detector reads its file inside
  // `context.with`. On a process's first call that runs before the SDK's context manager exists
  // (buildTelemetry installs it last), so it touches no AsyncLocalStorage: on Node 20 and 22 a
  // storage's first `run` turns on its async hook for the rest of the process, an init hook on
  // every async resource of an app that may never enter a context (docs/instrumentation.md,
  // "Setting up turned on Node 20 and 22's async hooks"). On later calls the manager exists, and
  // inCallersFrame puts the caller's frame back as it was (it says why that matters).
  return inCallersFrame(() => buildTelemetry(settings, options));
}

function buildTelemetry(settings: MonitoringSettings, options: TelemetryOptions): Telemetry {
  const resource = createResource(settings);
  const exporters = chosenExporters(settings, options.otlp);
  const agents = new ExportAgents();

  const collector = new MemoryCollector({
    standalone: false,
    maxCardinality: settings.maxCardinality,
    strict: settings.strict,
    detailed: settings.enableDetailedMetrics,
  });
  const readers: MetricReader[] = [collector];
  const periodic = (exporter: PushMetricExporter): MetricReader =>
    new PeriodicExportingMetricReader({
      exporter,
      exportIntervalMillis: settings.metricExportInterval,
      exportTimeoutMillis: Math.min(30_000, settings.metricExportInterval),
      metricProducers: [collector.producer],
    });
  if (exporters.metrics.has('otlp')) {
    const { url, protocol } = otlpTarget(settings, 'METRICS');
    const exporterOptions = { ...(url === undefined ? {} : { url }), httpAgentOptions: agents.factory('METRICS') };
    const metricExporter = protocol === 'http/json' ? new (metricsJson().OTLPMetricExporter)(exporterOptions) : new (metricsProto().OTLPMetricExporter)(exporterOptions);
    sendExemplars(metricExporter, protocol);
    readers.push(periodic(metricExporter));
  }
  if (exporters.metrics.has('console')) readers.push(periodic(new ConsoleMetricExporter()));
  for (const make of options.metricReaders ?? []) readers.push(make(collector));
  const meterProvider = new MeterProvider({ resource, readers });
  collector.bindMeterProvider(meterProvider);

  const spanStore = new RecentSpanStore(settings.maxSnapshots);
  const spanProcessors: SpanProcessor[] = [spanStore];
  let retrying: RetryingSpanExporter | undefined;
  if (exporters.traces.has('otlp')) {
    // The meter provider exists first so the batch processor and the exporter report their own
    // metrics into it: `otel.sdk.processor.span.processed{error.type="queue_full"}` counts spans
    // dropped on a full queue, `otel.sdk.exporter.span.exported{error.type}` failed exports.
    const { url, protocol } = otlpTarget(settings, 'TRACES');
    const exporterOptions = { ...(url === undefined ? {} : { url }), selfObsMeterProvider: meterProvider, httpAgentOptions: agents.factory('TRACES') };
    const otlpExporter = protocol === 'http/json' ? new (tracesJson().OTLPTraceExporter)(exporterOptions) : new (tracesProto().OTLPTraceExporter)(exporterOptions);
    // Batches that still failed after OTel's own retries wait in a bounded buffer and are retried
    // (docs/export.md, "Collector outage"). Metrics are not buffered: they are cumulative, so the
    // next export after an outage carries the totals.
    if (settings.exportBufferSpans > 0) {
      retrying = new RetryingSpanExporter(otlpExporter, {
        maxSpans: settings.exportBufferSpans,
        maxAgeMs: settings.exportBufferMaxAge,
        onDrop: (reason, spans, message) => collector.dropExported(reason, spans, message),
      });
    }
    const exporter = retrying ?? otlpExporter;
    // sdk-trace-base's shim types the config as BufferConfig, but hands all of it to sdk-trace's
    // BatchSpanProcessor, whose options include `selfObsMeterProvider`.
    const bspConfig = { maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMillis: 1000, selfObsMeterProvider: meterProvider };
    spanProcessors.push(new BatchSpanProcessor(exporter, bspConfig));
  }
  if (exporters.traces.has('console')) spanProcessors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
  spanProcessors.push(...(options.spanProcessors ?? []));
  const sampler = createSampler(settings);
  const idGenerator = new PooledIdGenerator();
  const tracerProvider = new NodeTracerProvider({ resource, sampler, spanProcessors, idGenerator });
  // Nothing here reads a span at its start but its context, so the HTTP instrumentation may start
  // its SERVER spans itself (decision 006); an app's own processors get the SDK's spans.
  if ((options.spanProcessors ?? []).length === 0) enableLeanSpans(tracerProvider, { resource, sampler, idGenerator, spanProcessors });
  // Last, after all of OTel's setup code (createTelemetry says why). Until then OTel's `with` just
  // calls its callback, so the detector's read is not marked as suppressed; nothing here has
  // registered a tracer provider that could trace it.
  ensureContextManager();

  let down: Promise<void> | undefined;
  return {
    resource,
    tracerProvider,
    meterProvider,
    collector,
    spanStore,
    sampler,
    async forceFlush(timeoutMs = 10_000) {
      const spans = tracerProvider.forceFlush().then(() => retrying?.forceFlush());
      await withTimeout(Promise.all([spans, meterProvider.forceFlush()]).then(() => undefined), timeoutMs, 'forceFlush');
    },
    shutdown(timeoutMs = 10_000) {
      // Shutdown never throws and never hangs past its timeout: an exporter whose collector is
      // down keeps retrying, but the application exits on time (what was not sent is lost then,
      // and counted as failed exports). At the deadline the export requests still open are cut
      // off, so their sockets do not hold the process open until the exporter's own timeout.
      down ??= withTimeout(
        Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]).then((results) => {
          for (const r of results) if (r.status === 'rejected') diag.warn(`[service-infrastructure] shutdown: ${String(r.reason)}`);
        }),
        timeoutMs,
        'telemetry shutdown',
      )
        .catch((err: unknown) => diag.warn(`[service-infrastructure] ${String((err as Error).message ?? err)}`))
        // Spans still waiting for a retry when time ran out are lost: counted and reported.
        .finally(() => {
          retrying?.discard('export_shutdown');
          agents.close();
        });
      return down;
    },
  };
}
