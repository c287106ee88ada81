import { afterEach, describe, expect, it } from 'vitest';
import { SEED_METRIC_NAMES, canonicalMetricName } from '../../src/collectors/metricNames.js';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { PHASE_DURATION_METRIC } from '../../src/coordinators/DirectPerformanceCoordinator.js';
import { createPrometheusEndpoint } from '../../src/export/PrometheusEndpoint.js';
import { createHealthCheckManager } from '../../src/health/createHealthCheckManager.js';
import { ValidationMonitoringService } from '../../src/events/ValidationMonitoringService.js';
import { ServiceMetrics } from '../../src/metrics/ServiceMetrics.js';
import { createMonitoring, type Monitoring } from '../../src/monitoring/createMonitoring.js';

// The seed names /metrics no longer shows: ServiceMetrics' request metrics (the seed's names are
// what the HTTP instrumentation's semantic-convention instruments render as, so these moved to
// service.*), and validation_total (the OTel name `validation.runs`: `validation` alone would be a
// metric named like the namespace of the other validation.* metrics).
const MOVED: Readonly<Record<string, string>> = {
  validation_total: 'validation_runs_total',
  http_server_requests_total: 'service_requests_total',
  http_server_request_duration_seconds: 'service_request_duration_seconds',
  http_server_errors_total: 'service_errors_total',
  http_server_active_requests: 'service_active_requests',
};

let monitoring: Monitoring | undefined;
afterEach(async () => {
  await monitoring?.shutdown();
  monitoring = undefined;
});

describe('OTel instrument names and the seed names', () => {
  it('records under the OTel name and unit; the seed name reads the same series', async () => {
    monitoring = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'names' }, { registerGlobal: false });
    monitoring.coordinator.measure('checkout', () => undefined);
    expect(PHASE_DURATION_METRIC).toBe('performance.phase.duration');
    const otel = await monitoring.collector.readMetric('performance.phase.duration');
    expect(otel?.unit).toBe('s');
    const bySeedName = await monitoring.collector.readMetric('performance_phase_duration_seconds');
    expect([bySeedName?.name, bySeedName?.unit, bySeedName?.series.map((x) => x.labels)]).toEqual(['performance.phase.duration', 's', [{ phase: 'checkout' }]]);
    expect(monitoring.collector.getHistogram('performance_phase_duration_seconds', { phase: 'checkout' })?.count).toBe(1);
    expect(monitoring.collector.getSeries('performance_phase_duration_seconds').map((x) => [x.labels, x.histogram?.count])).toEqual([[{ phase: 'checkout' }, 1]]);
    expect(canonicalMetricName('orders_total')).toBe('orders_total');
    expect(canonicalMetricName('toString')).toBe('toString');
  });

  it('the Prometheus names derived from the OTel names are the seed names, but for the moved ones', async () => {
    monitoring = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'names' }, { registerGlobal: false });
    const c = monitoring.coordinator;
    c.measure('checkout', () => undefined);
    try {
      c.measure('fails', () => {
        throw new Error('x');
      });
    } catch {
      // counted in performance.phase.errors
    }
    c.recordOperation('db-query', 12);
    c.recordMetric('queue-depth', 3);
    monitoring.collector.incrementCounter('bad name'); // dropped and counted
    const service = new ServiceMetrics(monitoring.collector);
    service.startRequest('GET', '/users/:id')(500);
    service.recordCacheHit('users');
    const validation = new ValidationMonitoringService({ events: monitoring.events, collector: monitoring.collector }).start();
    monitoring.events.publish('validation.started', { validationId: 'v1', validator: 'schema' });
    monitoring.events.publish('validation.failed', { validationId: 'v1', validator: 'schema', durationMs: 2, reason: 'missing_field' });
    const health = createHealthCheckManager(monitoring, { background: false });
    health.registerCheck('db', () => ({ status: 'healthy' }));
    await health.checkHealth();
    const endpoint = createPrometheusEndpoint(monitoring, { port: 0 });
    const { url } = await endpoint.listen();
    const text = await (await fetch(url)).text();
    await endpoint.shutdown();
    await health.shutdown();
    validation.stop();
    const families = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    // The Redis publisher's four need a Redis; the other seed names all show up as they were.
    const expected = Object.keys(SEED_METRIC_NAMES)
      .filter((n) => !n.includes('_redis_'))
      .map((n) => MOVED[n] ?? n);
    expect(expected.filter((n) => !families.has(n))).toEqual([]);
    // The old names are gone (no HTTP server instrumentation ran here to render the semconv ones).
    expect(Object.keys(MOVED).filter((n) => families.has(n))).toEqual([]);
    expect(text).toMatch(/^service_request_duration_seconds_count\{method="GET",route="\/users\/:id"\} 1$/m);
    expect(text).toMatch(/^validation_runs_total\{outcome="failure",validator="schema"\} 1$/m);
    // The seed names still read the same series in memory.
    expect(monitoring.collector.getCounterValue('http_server_errors_total', { method: 'GET', route: '/users/:id' })).toBe(1);
    expect(monitoring.collector.getHistogram('validation_duration_seconds', { validator: 'schema' })?.count).toBe(1);
    expect(monitoring.collector.getGaugeValue('cache_hit_ratio', { cache: 'users' })).toBe(1);
  });
});
