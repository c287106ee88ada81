import { context, diag } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPMetricExporter as OTLPMetricExporterJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPMetricExporterProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as OTLPTraceExporterJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceExporterProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type MetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, type Sampler, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { MonitoringMode } from '../config/MonitoringMode.js';
import type { MonitoringSettings } from '../config/MonitoringSettings.js';
import { MemoryCollector } from '../collectors/MemoryCollector.js';
import { withTimeout } from '../internal/timeout.js';
import { sendExemplars } from './otlpExemplars.js';
import { RecentSpanStore } from '../tracing/RecentSpanStore.js';
import { createSampler } from '../tracing/createSampler.js';

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
  /** Force OTLP export on or off; by default on in EVENT_DRIVEN mode only. */
  otlp?: boolean;
}

/** The resource every signal carries: `service.name`, `OTEL_RESOURCE_ATTRIBUTES`, SDK name/version. */
export function createResource(settings: MonitoringSettings): Resource {
  return defaultResource().merge(
    resourceFromAttributes({ ...settings.resourceAttributes, [ATTR_SERVICE_NAME]: settings.serviceName }),
  );
}

let contextManagerInstalled = false;

/**
 * Installs an AsyncLocalStorage context manager as OTel's global one when none is installed yet,
 * so phases nest across awaits. Leaves an existing one (from the app or `@opentelemetry/sdk-node`) alone.
 */
export function ensureContextManager(): void {
  if (contextManagerInstalled) return;
  contextManagerInstalled = true;
  const manager = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(manager)) manager.disable();
}

/** Builds the tracer and meter providers for `settings`: in-memory always, OTLP in EVENT_DRIVEN mode. */
export function createTelemetry(settings: MonitoringSettings, options: TelemetryOptions = {}): Telemetry {
  ensureContextManager();
  const resource = createResource(settings);
  const otlp = options.otlp ?? settings.mode === MonitoringMode.EVENT_DRIVEN;
  const json = settings.otlpProtocol === 'http/json';
  const base = settings.otlpEndpoint.replace(/\/+$/, '');

  const collector = new MemoryCollector({
    standalone: false,
    maxCardinality: settings.maxCardinality,
    strict: settings.strict,
    detailed: settings.enableDetailedMetrics,
  });
  const readers: MetricReader[] = [collector];
  if (otlp) {
    const exporterOptions = { url: `${base}/v1/metrics` };
    const metricExporter = json ? new OTLPMetricExporterJson(exporterOptions) : new OTLPMetricExporterProto(exporterOptions);
    sendExemplars(metricExporter, settings.otlpProtocol);
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: metricExporter,
        exportIntervalMillis: settings.metricExportInterval,
        exportTimeoutMillis: Math.min(30_000, settings.metricExportInterval),
        metricProducers: [collector.producer],
      }),
    );
  }
  for (const make of options.metricReaders ?? []) readers.push(make(collector));
  const meterProvider = new MeterProvider({ resource, readers });
  collector.bindMeterProvider(meterProvider);

  const spanStore = new RecentSpanStore(settings.maxSnapshots);
  const spanProcessors: SpanProcessor[] = [spanStore];
  if (otlp) {
    // The meter provider exists first so the batch processor and the exporter report their own
    // metrics into it: `otel.sdk.processor.span.processed{error.type="queue_full"}` counts spans
    // dropped on a full queue, `otel.sdk.exporter.span.exported{error.type}` failed exports.
    const exporterOptions = { url: `${base}/v1/traces`, selfObsMeterProvider: meterProvider };
    const exporter = json ? new OTLPTraceExporterJson(exporterOptions) : new OTLPTraceExporterProto(exporterOptions);
    // sdk-trace-base's shim types the config as BufferConfig, but hands all of it to sdk-trace's
    // BatchSpanProcessor, whose options include `selfObsMeterProvider`.
    const bspConfig = { maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMillis: 1000, selfObsMeterProvider: meterProvider };
    spanProcessors.push(new BatchSpanProcessor(exporter, bspConfig));
  }
  spanProcessors.push(...(options.spanProcessors ?? []));
  const sampler = createSampler(settings);
  const tracerProvider = new NodeTracerProvider({ resource, sampler, spanProcessors });

  let down: Promise<void> | undefined;
  return {
    resource,
    tracerProvider,
    meterProvider,
    collector,
    spanStore,
    sampler,
    async forceFlush(timeoutMs = 10_000) {
      await withTimeout(Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush()]).then(() => undefined), timeoutMs, 'forceFlush');
    },
    shutdown(timeoutMs = 10_000) {
      // Shutdown never throws and never hangs past its timeout: an exporter whose collector is
      // down keeps retrying, but the application exits on time (what was not sent is lost then).
      down ??= withTimeout(
        Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]).then((results) => {
          for (const r of results) if (r.status === 'rejected') diag.warn(`[service-infrastructure] shutdown: ${String(r.reason)}`);
        }),
        timeoutMs,
        'telemetry shutdown',
      ).catch((err: unknown) => diag.warn(`[service-infrastructure] ${String((err as Error).message ?? err)}`));
      return down;
    },
  };
}
