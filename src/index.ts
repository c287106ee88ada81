// The public entry point: named exports only.
export { MonitoringMode } from './config/MonitoringMode.js';
export { MonitoringSettings, SETTINGS_ENV } from './config/MonitoringSettings.js';
export type { MonitoringSettingsOptions, OtlpProtocol } from './config/MonitoringSettings.js';

export {
  ConfigurationError,
  DependencyCycleError,
  InvalidCoordinatorError,
  InvalidRecordError,
  MonitoringError,
  TimeoutError,
  UnavailableError,
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
export { DirectPerformanceCoordinator, PERFORMANCE_METRICS } from './coordinators/DirectPerformanceCoordinator.js';
export type { CoordinatorOptions } from './coordinators/DirectPerformanceCoordinator.js';
export { EventDrivenPerformanceCoordinator } from './coordinators/EventDrivenPerformanceCoordinator.js';
export type { EventDrivenCoordinatorOptions } from './coordinators/EventDrivenPerformanceCoordinator.js';
export { NoopPerformanceCoordinator } from './coordinators/NoopPerformanceCoordinator.js';
export { PerformanceCoordinatorFactory } from './coordinators/PerformanceCoordinatorFactory.js';
export type { CoordinatorDependencies, CustomCoordinator } from './coordinators/PerformanceCoordinatorFactory.js';

export { IMetricsCollector } from './collectors/IMetricsCollector.js';
export { MemoryCollector } from './collectors/MemoryCollector.js';
export type { HistogramSummary, MemoryCollectorOptions } from './collectors/MemoryCollector.js';
export { histogramQuantile } from './collectors/MetricSnapshot.js';
export type {
  ExemplarSnapshot,
  HistogramData,
  HistogramMetricSnapshot,
  HistogramSeriesSnapshot,
  MetricSnapshot,
  SeriesSnapshot,
  ValueMetricSnapshot,
  ValueSeriesSnapshot,
} from './collectors/MetricSnapshot.js';
export { DEFAULT_BUCKETS, DROPPED_METRIC, MAX_LABEL_VALUE_LENGTH, SECONDS_BUCKETS } from './collectors/MetricStore.js';
export { SEED_METRIC_NAMES } from './collectors/metricNames.js';
/** Credential redaction applied wherever a reason leaves the process; add patterns of your own. */
export { addRedactionPattern } from './internal/addRedactionPattern.js';
export { redactSecrets } from './internal/redact.js';
export type { Labels, MetricKind, MetricOptions } from './collectors/MetricStore.js';

export { ServiceMetrics, SERVICE_METRICS } from './metrics/ServiceMetrics.js';
export type { RequestRecord } from './metrics/ServiceMetrics.js';

export { IHealthCheck } from './health/IHealthCheck.js';

export { RecentSpanStore } from './tracing/RecentSpanStore.js';
export { RateLimitingSampler } from './tracing/RateLimitingSampler.js';
export { createSampler } from './tracing/createSampler.js';
export { createTelemetry } from './export/telemetry.js';
export type { Telemetry, TelemetryOptions } from './export/telemetry.js';

export { createMonitoring } from './monitoring/createMonitoring.js';
export type { CreateMonitoringOptions, Monitoring } from './monitoring/createMonitoring.js';

// Health monitoring (issue 3): manager, checkers, HTTP endpoints.
export { HEALTH_METRICS, HealthCheckManager } from './health/HealthCheckManager.js';
export type { CheckHealthOptions, HealthCheckManagerOptions } from './health/HealthCheckManager.js';
export { createHealthCheckManager } from './health/createHealthCheckManager.js';
export type { HealthMonitoringHandle } from './health/createHealthCheckManager.js';
export { HEALTH_MEDIA_TYPE, createHealthHandler, toHealthResponse } from './health/createHealthHandler.js';
export type { HealthCheckEntry, HealthHandler, HealthHandlerOptions, HealthResponseBody } from './health/createHealthHandler.js';
export type {
  CheckOptions,
  CheckReport,
  HealthCategory,
  HealthCheckFunction,
  HealthCheckResult,
  HealthChecker,
  HealthReport,
  IetfHealthStatus,
} from './health/types.js';
export type { Thresholds } from './health/thresholds.js';
export type { CollectorReader, ValueSource } from './health/sources.js';
export { ComponentHealthChecker } from './health/checkers/ComponentHealthChecker.js';
export { CacheHealthChecker } from './health/checkers/CacheHealthChecker.js';
export type { CacheHealthCheckerOptions, CacheLike, CacheStats } from './health/checkers/CacheHealthChecker.js';
export { ConnectionPoolHealthChecker } from './health/checkers/ConnectionPoolHealthChecker.js';
export type { ConnectionPoolHealthCheckerOptions, PoolLike, PoolStats } from './health/checkers/ConnectionPoolHealthChecker.js';
export { RateLimiterHealthChecker } from './health/checkers/RateLimiterHealthChecker.js';
export type { RateLimiterHealthCheckerOptions, RateLimiterLike, RateLimiterStats } from './health/checkers/RateLimiterHealthChecker.js';
export { MemoryHealthChecker } from './health/checkers/MemoryHealthChecker.js';
export type { MemoryHealthCheckerOptions } from './health/checkers/MemoryHealthChecker.js';
export { EventLoopHealthChecker } from './health/checkers/EventLoopHealthChecker.js';
export type { EventLoopHealthCheckerOptions } from './health/checkers/EventLoopHealthChecker.js';
export { DiskSpaceHealthChecker } from './health/checkers/DiskSpaceHealthChecker.js';
export type { DiskSpaceHealthCheckerOptions } from './health/checkers/DiskSpaceHealthChecker.js';
export { HttpHealthChecker } from './health/checkers/HttpHealthChecker.js';
export type { HttpHealthCheckerOptions } from './health/checkers/HttpHealthChecker.js';
export { LatencyHealthChecker } from './health/checkers/LatencyHealthChecker.js';
export type { LatencyHealthCheckerOptions } from './health/checkers/LatencyHealthChecker.js';
export { ErrorRateHealthChecker } from './health/checkers/ErrorRateHealthChecker.js';
export type { ErrorRateHealthCheckerOptions } from './health/checkers/ErrorRateHealthChecker.js';
export { BacklogHealthChecker } from './health/checkers/BacklogHealthChecker.js';
export type { BacklogHealthCheckerOptions } from './health/checkers/BacklogHealthChecker.js';
export { SlaHealthChecker } from './health/checkers/SlaHealthChecker.js';
export type { SlaHealthCheckerOptions } from './health/checkers/SlaHealthChecker.js';
export { ThroughputHealthChecker } from './health/checkers/ThroughputHealthChecker.js';
export type { ThroughputHealthCheckerOptions } from './health/checkers/ThroughputHealthChecker.js';
export { DataConsistencyHealthChecker } from './health/checkers/DataConsistencyHealthChecker.js';
export type { DataConsistencyHealthCheckerOptions, InvariantOutcome } from './health/checkers/DataConsistencyHealthChecker.js';

// Export (issue 4a): Prometheus /metrics endpoint and serializer, OTLP exemplars.
export { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE, PrometheusSerializer } from './export/PrometheusSerializer.js';
export type { PrometheusSerializerOptions } from './export/PrometheusSerializer.js';
export { PrometheusEndpoint, createPrometheusEndpoint } from './export/PrometheusEndpoint.js';
export type { MetricSource, PrometheusEndpointOptions, PrometheusMonitoringSource, Scrape } from './export/PrometheusEndpoint.js';
export { exemplarsOf } from './collectors/exemplars.js';
export type { CellExemplar, ExemplarHistogramDataPoint } from './collectors/exemplars.js';

// Distributed monitoring (issue 5) lives in `service-infrastructure/redis`: the publisher,
// aggregator and query API, and the Redis-free rollup and wire helpers they share.

// Advanced metrics (issue 6): bound handles, buckets, sampling, exponential histograms,
// sliding-window summaries, forward-decay reservoirs, HyperLogLog (local and Redis), OTel views.
export { BoundCounter, BoundGauge, BoundHistogram, CounterMetric, GaugeMetric, HistogramMetric } from './collectors/handles.js';
export {
  BoundHyperLogLog,
  BoundRecorder,
  ExponentialHistogramMetric,
  HyperLogLogMetric,
  ReservoirMetric,
  SummaryMetric,
} from './collectors/advancedInstruments.js';
export type { ExponentialHistogramOptions, HyperLogLogOptions, ReservoirOptions, SummaryOptions } from './collectors/advancedInstruments.js';
export { exponentialBuckets, linearBuckets } from './collectors/MetricStore.js';
export { ExponentialHistogramSeries } from './collectors/ExponentialHistogramSeries.js';
export { SlidingWindowQuantiles } from './collectors/SlidingWindowQuantiles.js';
export { ForwardDecayReservoir } from './collectors/ForwardDecayReservoir.js';
export type { ReservoirSnapshot } from './collectors/ForwardDecayReservoir.js';
export { HyperLogLog } from './collectors/HyperLogLog.js';
export { RedisHyperLogLog } from './collectors/RedisHyperLogLog.js';
export type { HyperLogLogRedisClient, RedisHyperLogLogOptions } from './collectors/RedisHyperLogLog.js';
export { explicitBucketsView, exponentialHistogramView } from './collectors/views.js';
export type { InstrumentKind } from './collectors/InstrumentFamily.js';

// Instrumentation (issue 4b): HTTP server RED metrics and spans, runtime and system metrics, register.
export { HTTP_SERVER_METRICS, HttpServerInstrumentation, setHttpRoute } from './instrumentation/HttpServerInstrumentation.js';
export type { HttpServerInstrumentationOptions } from './instrumentation/HttpServerInstrumentation.js';
export { RUNTIME_METRICS, RuntimeMetrics } from './instrumentation/RuntimeMetrics.js';
export type { RuntimeMetricsOptions } from './instrumentation/RuntimeMetrics.js';
export { SYSTEM_METRICS, SystemMetrics } from './instrumentation/SystemMetrics.js';
export type { SystemMetricsOptions } from './instrumentation/SystemMetrics.js';
export type { InstrumentationChoice } from './instrumentation/instrumentations.js';
export { getRegisteredMonitoring } from './instrumentation/registered.js';

// Alerting (issue 14) lives in `service-infrastructure/alerting`: rules, lifecycle, routing,
// receivers, silences, Alertmanager push, Prometheus rule export and a JSON API. Its bus events are
// part of the event map, so their types stay here.
export type {
  AlertEventPayload,
  AlertFiringEvent,
  AlertNotificationEvent,
  AlertPendingEvent,
  AlertResolvedEvent,
} from './events/types.js';
