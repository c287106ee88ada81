import { diag, metrics, propagation, trace, type Meter, type Tracer } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { Sampler } from '@opentelemetry/sdk-trace-base';
import type { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { MonitoringSettings, type MonitoringSettingsOptions } from '../config/MonitoringSettings.js';
import { IMetricsCollector } from '../collectors/IMetricsCollector.js';
import type { MemoryCollector } from '../collectors/MemoryCollector.js';
import { IPerformanceCoordinator } from '../coordinators/IPerformanceCoordinator.js';
import { IHealthCheck } from '../health/IHealthCheck.js';
import { IAlerting } from '../alerting/IAlerting.js';
import { PerformanceCoordinatorFactory, type CustomCoordinator } from '../coordinators/PerformanceCoordinatorFactory.js';
import { EventBus } from '../events/EventBus.js';
import { createTelemetry, type TelemetryOptions } from '../export/telemetry.js';
import { once, withTimeout } from '../internal/timeout.js';
import { ServiceRegistry } from '../registry/ServiceRegistry.js';
import { IEventBus, IMonitoringSettings } from '../registry/tokens.js';
import type { RecentSpanStore } from '../tracing/RecentSpanStore.js';

export interface CreateMonitoringOptions extends TelemetryOptions {
  /** The coordinator for `CUSTOM` mode: a class or a factory receiving the dependencies. */
  coordinator?: CustomCoordinator;
  /** A bus to use instead of a new one. */
  events?: EventBus;
  /** A registry to fill instead of a new one. */
  registry?: ServiceRegistry;
  /**
   * Install the tracer and meter providers and the W3C propagators as OTel's globals, so
   * instrumentation libraries and `trace.getTracer()` use them. Default true; undone by `shutdown()`.
   */
  registerGlobal?: boolean;
}

/** Everything `createMonitoring` wired together. */
export interface Monitoring {
  readonly settings: MonitoringSettings;
  readonly coordinator: IPerformanceCoordinator;
  readonly collector: MemoryCollector;
  readonly events: EventBus;
  readonly registry: ServiceRegistry;
  readonly tracerProvider: NodeTracerProvider;
  readonly meterProvider: MeterProvider;
  /** The last `maxSnapshots` ended spans, in memory. */
  readonly spanStore: RecentSpanStore;
  /** The tracer provider's sampler; give it to `HttpServerInstrumentation` so dropped requests skip span creation. */
  readonly sampler: Sampler;
  getTracer(name?: string, version?: string): Tracer;
  getMeter(name?: string, version?: string): Meter;
  /** Flushes spans and metrics to every exporter and drains async event subscribers. */
  forceFlush(timeoutMs?: number): Promise<void>;
  /** Flushes and stops everything; safe to call twice. */
  shutdown(timeoutMs?: number): Promise<void>;
}

/**
 * Wires OTel tracer and meter providers, the `MemoryCollector`, the coordinator for the mode, the
 * event bus and the registry into one handle.
 *
 * @example
 * const monitoring = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'checkout' });
 * monitoring.coordinator.measure('handle-order', () => handle(order));
 * monitoring.collector.incrementCounter('orders_total', { region: 'eu' });
 * await monitoring.shutdown();
 */
export function createMonitoring(
  settings: MonitoringSettings | Partial<MonitoringSettingsOptions> = {},
  options: CreateMonitoringOptions = {},
): Monitoring {
  const resolved = settings instanceof MonitoringSettings ? settings : new MonitoringSettings(settings);
  const telemetry = createTelemetry(resolved, options);
  const events = options.events ?? new EventBus({ queueSize: resolved.eventQueueSize });
  const coordinator = PerformanceCoordinatorFactory.create(
    resolved,
    { tracerProvider: telemetry.tracerProvider, collector: telemetry.collector, events, spanStore: telemetry.spanStore },
    options.coordinator,
  );
  const registry = options.registry ?? new ServiceRegistry();
  registry
    .register(IMonitoringSettings, { useValue: resolved })
    .register(IPerformanceCoordinator, { useValue: coordinator })
    .register(IMetricsCollector, { useValue: telemetry.collector })
    .register(IEventBus, { useValue: events });

  const registerGlobal = options.registerGlobal ?? true;
  let ownsGlobals = false;
  if (registerGlobal) {
    const tracerOk = trace.setGlobalTracerProvider(telemetry.tracerProvider);
    const meterOk = metrics.setGlobalMeterProvider(telemetry.meterProvider);
    propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
    ownsGlobals = tracerOk && meterOk;
    if (!ownsGlobals) diag.debug('[service-infrastructure] OTel globals were already set; this monitoring instance is not global');
  }

  const shutdown = once(async (timeoutMs: number = 10_000) => {
    // One deadline for every step: each gets what is left of `timeoutMs` and is abandoned when it
    // runs out (a step that ignores its timeout, a custom coordinator say, cannot stretch the
    // total). Independent steps run together; the rest keep their order, as each feeds the next:
    // flush the coordinator, drain the event bus (its subscribers record), then end the providers,
    // whose last export gets what remains, and whose open requests are cut off at the deadline.
    const deadline = Date.now() + timeoutMs;
    const left = (): number => Math.max(0, deadline - Date.now());
    const step = (what: string, run: (ms: number) => Promise<unknown>): Promise<void> =>
      withTimeout(Promise.resolve().then(() => run(left())), left(), `shutdown: ${what}`).then(
        () => undefined,
        (err: unknown) => diag.warn(`[service-infrastructure] ${String((err as Error).message ?? err)}`),
      );
    try {
      // A health manager attached with createHealthCheckManager stops its background checks.
      const health = registry.tryResolve(IHealthCheck) as { shutdown?: (timeoutMs?: number) => Promise<void> } | undefined;
      await Promise.all([
        typeof health?.shutdown === 'function' ? step('health checks', (ms) => health.shutdown!(ms)) : undefined,
        step('coordinator flush', (ms) => coordinator.forceFlush(ms)),
      ]);
      // Alerting (createAlerting) stops evaluating and drains its notification queues before the bus closes.
      const alerting = registry.tryResolve(IAlerting);
      if (alerting !== undefined) await step('alerting', (ms) => alerting.shutdown(Math.min(ms, 5000)));
      await step('event bus', (ms) => events.shutdown(Math.min(ms, 5000)));
      await step('coordinator', (ms) => coordinator.shutdown(ms));
      await telemetry.shutdown(left());
    } finally {
      if (ownsGlobals) {
        trace.disable();
        metrics.disable();
        propagation.disable();
      }
    }
  });

  return {
    settings: resolved,
    coordinator,
    collector: telemetry.collector,
    events,
    registry,
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
    spanStore: telemetry.spanStore,
    sampler: telemetry.sampler,
    getTracer: (name = 'service-infrastructure', version?: string) => telemetry.tracerProvider.getTracer(name, version),
    getMeter: (name = 'service-infrastructure', version?: string) => telemetry.meterProvider.getMeter(name, version),
    async forceFlush(timeoutMs = 10_000) {
      await events.flush(timeoutMs);
      await telemetry.forceFlush(timeoutMs);
    },
    shutdown: (timeoutMs?: number) => shutdown(timeoutMs ?? 10_000),
  };
}
