/**
 * The seed's (Prometheus-style) names of the SDK's own instruments, and the OTel names they have
 * now. Instruments are named the OTel way (dotted, unit in the `unit` field); the Prometheus names
 * are derived from those by `PrometheusSerializer` (unit suffix, `_total` on counters), so every
 * name on the left is still what `/metrics` shows. `MemoryCollector`'s reads (`getHistogram`,
 * `getCounterValue`, `getSeries`, `readMetric`, ...) accept either name.
 *
 * | seed name | OTel name | unit |
 * |---|---|---|
 * | `performance_phase_duration_seconds` | `performance.phase.duration` | `s` |
 * | `performance_phase_errors_total` | `performance.phase.errors` | `{error}` |
 * | `performance_operation_duration_seconds` | `performance.operation.duration` | `s` |
 * | `performance_metric_value` | `performance.metric.value` | – |
 * | `health_check_status` | `health.check.status` | – |
 * | `health_check_duration_seconds` | `health.check.duration` | `s` |
 * | `health_status` | `health.status` | – |
 * | `service_infrastructure_records_dropped_total` | `service_infrastructure.records.dropped` | `{record}` |
 * | `service_infrastructure_redis_events_sent_total` | `service_infrastructure.redis.events.sent` | `{event}` |
 * | `service_infrastructure_redis_events_dropped_total` | `service_infrastructure.redis.events.dropped` | `{event}` |
 * | `service_infrastructure_redis_flush_failures_total` | `service_infrastructure.redis.flush.failures` | `{failure}` |
 * | `service_infrastructure_redis_events_buffered` | `service_infrastructure.redis.events.buffered` | `{event}` |
 * | `http_server_requests_total` | `service.requests` | `{request}` |
 * | `http_server_request_duration_seconds` | `service.request.duration` | `s` |
 * | `http_server_errors_total` | `service.errors` | `{error}` |
 * | `http_server_active_requests` | `service.active_requests` | `{request}` |
 * | `cache_requests_total` | `cache.requests` | `{request}` |
 * | `cache_hit_ratio` | `cache.hit_ratio` | `1` |
 * | `validation_total` | `validation.runs` | `{run}` |
 * | `validation_duration_seconds` | `validation.duration` | `s` |
 * | `validation_failures_total` | `validation.failures` | `{failure}` |
 * | `validation_in_flight` | `validation.in_flight` | `{run}` |
 *
 * `ServiceMetrics`' four request metrics (first four of the last ten rows) are the exception to
 * "`/metrics` shows the seed name": they are `service_requests_total`, ... there, because the seed's
 * `http_server_request_duration_seconds` and `http_server_active_requests` are what the semantic-
 * convention instruments of the HTTP instrumentation render as (see `SERVICE_METRICS`).
 *
 * @example
 * SEED_METRIC_NAMES['performance_phase_duration_seconds']; // 'performance.phase.duration'
 * collector.getHistogram('performance_phase_duration_seconds', { phase: 'checkout' }); // same as the OTel name
 */
export const SEED_METRIC_NAMES: Readonly<Record<string, string>> = Object.freeze({
  performance_phase_duration_seconds: 'performance.phase.duration',
  performance_phase_errors_total: 'performance.phase.errors',
  performance_operation_duration_seconds: 'performance.operation.duration',
  performance_metric_value: 'performance.metric.value',
  health_check_status: 'health.check.status',
  health_check_duration_seconds: 'health.check.duration',
  health_status: 'health.status',
  service_infrastructure_records_dropped_total: 'service_infrastructure.records.dropped',
  service_infrastructure_redis_events_sent_total: 'service_infrastructure.redis.events.sent',
  service_infrastructure_redis_events_dropped_total: 'service_infrastructure.redis.events.dropped',
  service_infrastructure_redis_flush_failures_total: 'service_infrastructure.redis.flush.failures',
  service_infrastructure_redis_events_buffered: 'service_infrastructure.redis.events.buffered',
  http_server_requests_total: 'service.requests',
  http_server_request_duration_seconds: 'service.request.duration',
  http_server_errors_total: 'service.errors',
  http_server_active_requests: 'service.active_requests',
  cache_requests_total: 'cache.requests',
  cache_hit_ratio: 'cache.hit_ratio',
  validation_total: 'validation.runs',
  validation_duration_seconds: 'validation.duration',
  validation_failures_total: 'validation.failures',
  validation_in_flight: 'validation.in_flight',
});

/** The OTel name of a seed name; any other name unchanged. */
export function canonicalMetricName(name: string): string {
  return Object.hasOwn(SEED_METRIC_NAMES, name) ? SEED_METRIC_NAMES[name]! : name;
}

/**
 * @internal The unit of each OTel name in {@link SEED_METRIC_NAMES}, for code that derives a
 * seed name's Prometheus name (alert rules written against a seed name).
 */
export const SEED_METRIC_UNITS: Readonly<Record<string, string>> = Object.freeze({
  'performance.phase.duration': 's',
  'performance.phase.errors': '{error}',
  'performance.operation.duration': 's',
  'performance.metric.value': '',
  'health.check.status': '',
  'health.check.duration': 's',
  'health.status': '',
  'service_infrastructure.records.dropped': '{record}',
  'service_infrastructure.redis.events.sent': '{event}',
  'service_infrastructure.redis.events.dropped': '{event}',
  'service_infrastructure.redis.flush.failures': '{failure}',
  'service_infrastructure.redis.events.buffered': '{event}',
  'service.requests': '{request}',
  'service.request.duration': 's',
  'service.errors': '{error}',
  'service.active_requests': '{request}',
  'cache.requests': '{request}',
  'cache.hit_ratio': '1',
  'validation.runs': '{run}',
  'validation.duration': 's',
  'validation.failures': '{failure}',
  'validation.in_flight': '{run}',
});
