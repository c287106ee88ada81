import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import type { MonitoringEvent } from '../../src/events/types.js';
import { HEALTH_METRICS, type HealthCheckManager } from '../../src/health/HealthCheckManager.js';
import { IHealthCheck } from '../../src/health/IHealthCheck.js';
import { createHealthCheckManager } from '../../src/health/createHealthCheckManager.js';
import { createHealthHandler } from '../../src/health/createHealthHandler.js';
import { createMonitoring, type Monitoring } from '../../src/monitoring/createMonitoring.js';

describe('health gauges on a createMonitoring handle', () => {
  let monitoring: Monitoring;
  let health: HealthCheckManager;
  let exporter: PrometheusExporter;
  let server: Server;
  let base: string;
  const seen: MonitoringEvent[] = [];

  beforeAll(async () => {
    monitoring = createMonitoring(
      { mode: MonitoringMode.DIRECT, serviceName: 'health-test', healthCheckInterval: 60 },
      {
        registerGlobal: false,
        metricReaders: [
          (collector) => {
            exporter = new PrometheusExporter({ preventServerStart: true, metricProducers: [collector.producer] });
            return exporter;
          },
        ],
      },
    );
    monitoring.events.subscribe('health.*', (e) => {
      seen.push(e);
    });
    health = createHealthCheckManager(monitoring, { background: false });
    health.registerCheck('db', () => ({ status: 'healthy', observedValue: 1, observedUnit: 'ms' }), { tags: ['readiness'] });
    health.registerCheck('disk "/var"', () => ({ status: 'degraded', reason: 'low' }), { category: 'system', critical: false });
    const endpoint = createHealthHandler(health, { showDetails: true });
    server = createServer((req, res) => (req.url === '/metrics' ? exporter.getMetricsRequestHandler(req, res) : endpoint(req, res)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await health.shutdown();
    await monitoring.shutdown();
  });

  it('is the IHealthCheck of the handle and publishes on its bus', async () => {
    expect(monitoring.registry.resolve(IHealthCheck)).toBe(health);
    const report = await health.checkHealth();
    expect(report.status).toBe('degraded');
    expect(seen.filter((e) => e.type === 'health.check.completed').map((e) => (e.type === 'health.check.completed' ? e.check : '')).sort()).toEqual(['db', 'disk "/var"']);
  });

  it('shows the gauges through collector.read()', async () => {
    await health.checkHealth();
    const status = await monitoring.collector.readMetric(HEALTH_METRICS.checkStatus);
    expect(status?.scope).toBe('service-infrastructure/health');
    expect(Object.fromEntries(status!.series.map((s) => [s.labels['check'], s.value]))).toEqual({ db: 1, 'disk "/var"': 0.5 });
    expect((await monitoring.collector.readMetric(HEALTH_METRICS.status))?.series[0]?.value).toBe(0.5);
  });

  it('serves them on /metrics in a form promtool accepts, next to /health', async () => {
    const health503 = await fetch(`${base}/health`);
    expect(health503.status).toBe(200);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/^health_check_status\{check="db",category="component",critical="true"[^}]*\} 1$/m);
    expect(text).toMatch(/^health_check_status\{check="disk \\"\/var\\"",category="system",critical="false"[^}]*\} 0\.5$/m);
    expect(text).toMatch(/^health_status\{[^}]*\} 0\.5$/m);
    // OTel's own exporter-prometheus (0.223) puts the unit of `health.check.duration` in a `# UNIT`
    // line, not in the name; this SDK's endpoint names it health_check_duration_seconds.
    expect(text).toMatch(/^# UNIT health_check_duration s$/m);
    expect(text).toMatch(/^health_check_duration\{check="db"/m);
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(lint.error).toBeUndefined();
    expect(lint.status, `${lint.stdout}${lint.stderr}`).toBe(0);
  });
});
