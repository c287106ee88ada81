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
});

/** The OTel name of a seed name; any other name unchanged. */
export function canonicalMetricName(name: string): string {
  return Object.hasOwn(SEED_METRIC_NAMES, name) ? SEED_METRIC_NAMES[name]! : name;
}
