// The public entry point: named exports only.
export { MonitoringMode } from './config/MonitoringMode.js';
export { MonitoringSettings, SETTINGS_ENV, TRACES_SAMPLERS } from './config/MonitoringSettings.js';
export type { MonitoringSettingsOptions, OtlpProtocol } from './config/MonitoringSettings.js';

export {
  ConfigurationError,
  DependencyCycleError,
  InvalidCoordinatorError,
  InvalidRecordError,
  MonitoringError,
  TimeoutError,
  UnregisteredTokenError,
} from './errors/MonitoringError.js';

export { ServiceRegistry } from './registry/ServiceRegistry.js';
export type { Injectable, Lifetime, Provider, RegisterOptions } from './registry/ServiceRegistry.js';
export { createToken } from './registry/Token.js';
export type { Token } from './registry/Token.js';
export { IEventBus, IMonitoringSettings } from './registry/tokens.js';

export { EventBus } from './events/EventBus.js';
export type { EventBusOptions, EventBusStats, EventHandler, SubscribeOptions } from './events/EventBus.js';
export type {
  BaseEvent,
  EventInput,
  EventPattern,
  EventType,
  EventsMatching,
  HealthCheckCompletedEvent,
  HealthComponentDegradedEvent,
  HealthStatus,
  HealthStatusChangedEvent,
  MetricRecordedEvent,
  MonitoringDroppedEvent,
  MonitoringEvent,
  MonitoringEventMap,
  OperationCompleteEvent,
  PhaseEndEvent,
  PhaseStartEvent,
  ValidationCompletedEvent,
  ValidationFailedEvent,
  ValidationStartedEvent,
} from './events/types.js';
export { ValidationMonitoringService, VALIDATION_METRICS } from './events/ValidationMonitoringService.js';
export type {
  ValidationMonitoringOptions,
  ValidationMonitoringStrategy,
  ValidationValidatorStats,
} from './events/ValidationMonitoringService.js';

export { IPerformanceCoordinator } from './coordinators/IPerformanceCoordinator.js';
export type { PerformanceRecord, PerformanceSnapshot, PhaseHandle, TimingStats } from './coordinators/IPerformanceCoordinator.js';
export {
  DirectPerformanceCoordinator,
  METRIC_VALUE_METRIC,
  OPERATION_DURATION_METRIC,
  PHASE_DURATION_METRIC,
  PHASE_ERRORS_METRIC,
} from './coordinators/DirectPerformanceCoordinator.js';
export type { CoordinatorOptions } from './coordinators/DirectPerformanceCoordinator.js';
export { EventDrivenPerformanceCoordinator } from './coordinators/EventDrivenPerformanceCoordinator.js';
export type { EventDrivenCoordinatorOptions } from './coordinators/EventDrivenPerformanceCoordinator.js';
export { NoopPerformanceCoordinator } from './coordinators/NoopPerformanceCoordinator.js';
export { PerformanceCoordinatorFactory } from './coordinators/PerformanceCoordinatorFactory.js';
export type { CoordinatorDependencies, CustomCoordinator } from './coordinators/PerformanceCoordinatorFactory.js';

export { IMetricsCollector } from './collectors/IMetricsCollector.js';
export { MemoryCollector, histogramQuantile } from './collectors/MemoryCollector.js';
export type { HistogramSummary, MemoryCollectorOptions, MetricSnapshot, SeriesSnapshot } from './collectors/MemoryCollector.js';
export { DEFAULT_BUCKETS, DROPPED_METRIC, SECONDS_BUCKETS } from './collectors/MetricStore.js';
export type { Labels, MetricKind, MetricOptions } from './collectors/MetricStore.js';
export { SKETCH_RELATIVE_ACCURACY } from './collectors/series.js';

export { ServiceMetrics, SERVICE_METRICS } from './metrics/ServiceMetrics.js';
export type { RequestRecord } from './metrics/ServiceMetrics.js';

export { IHealthCheck } from './health/IHealthCheck.js';
export type { HealthReport } from './health/IHealthCheck.js';

export { RecentSpanStore } from './tracing/RecentSpanStore.js';
export { RateLimitingSampler } from './tracing/RateLimitingSampler.js';
export { createSampler } from './tracing/createSampler.js';
export { createResource, createTelemetry, ensureContextManager } from './export/telemetry.js';
export type { Telemetry, TelemetryOptions } from './export/telemetry.js';

export { createMonitoring } from './monitoring/createMonitoring.js';
export type { CreateMonitoringOptions, Monitoring } from './monitoring/createMonitoring.js';

// Instrumentation (issue 4b): HTTP server RED metrics and spans, runtime and system metrics, register.
export {
  HTTP_DURATION_BUCKETS,
  HTTP_SERVER_ACTIVE_METRIC,
  HTTP_SERVER_DURATION_METRIC,
  HttpServerInstrumentation,
} from './instrumentation/HttpServerInstrumentation.js';
export type { HttpServerInstrumentationOptions } from './instrumentation/HttpServerInstrumentation.js';
export {
  ACTIVE_RESOURCES_METRIC,
  EVENT_LOOP_DELAY_METRIC,
  EVENT_LOOP_UTILIZATION_METRIC,
  GC_DURATION_METRIC,
  HEAP_AVAILABLE_METRIC,
  HEAP_LIMIT_METRIC,
  HEAP_USED_METRIC,
  RUNTIME_BUCKETS,
  RuntimeMetrics,
} from './instrumentation/RuntimeMetrics.js';
export type { RuntimeMetricsOptions } from './instrumentation/RuntimeMetrics.js';
export { FILESYSTEM_USAGE_METRIC, FILESYSTEM_UTILIZATION_METRIC, SystemMetrics } from './instrumentation/SystemMetrics.js';
export type { SystemMetricsOptions } from './instrumentation/SystemMetrics.js';
export { INSTRUMENTATIONS_ENV, parseInstrumentations } from './instrumentation/instrumentations.js';
export type { InstrumentationChoice } from './instrumentation/instrumentations.js';
export { getRegisteredMonitoring } from './instrumentation/registered.js';
