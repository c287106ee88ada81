import { afterEach, describe, expect, it } from 'vitest';
import { SEED_METRIC_NAMES, canonicalMetricName } from '../../src/collectors/metricNames.js';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { PHASE_DURATION_METRIC } from '../../src/coordinators/DirectPerformanceCoordinator.js';
import { createPrometheusEndpoint } from '../../src/export/PrometheusEndpoint.js';
import { createHealthCheckManager } from '../../src/health/createHealthCheckManager.js';
import { createMonitoring, type Monitoring } from '../../src/monitoring/createMonitoring.js';

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

  it('the Prometheus names derived from the OTel names are the seed names', async () => {
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
    const health = createHealthCheckManager(monitoring, { background: false });
    health.registerCheck('db', () => ({ status: 'healthy' }));
    await health.checkHealth();
    const endpoint = createPrometheusEndpoint(monitoring, { port: 0 });
    const { url } = await endpoint.listen();
    const text = await (await fetch(url)).text();
    await endpoint.shutdown();
    await health.shutdown();
    const families = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    // The Redis publisher's four need a Redis; the other seed names all show up as they were.
    const expected = Object.keys(SEED_METRIC_NAMES).filter((n) => !n.includes('_redis_'));
    expect(expected.filter((n) => !families.has(n))).toEqual([]);
  });
});
