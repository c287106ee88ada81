import { afterEach, describe, expect, it } from 'vitest';
import { createAlerting } from '../../src/alerting/createAlerting.js';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { createHealthCheckManager } from '../../src/health/createHealthCheckManager.js';
import { createMonitoring } from '../../src/monitoring/createMonitoring.js';
import { OtlpReceiver } from '../helpers/otlpReceiver.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe('ALERTS over OTLP, health rules from a real HealthCheckManager', () => {
  it('exports the ALERTS gauge over OTLP and fires a health rule when a check fails', async () => {
    const r = new OtlpReceiver();
    await r.start();
    cleanups.push(() => r.stop());
    const m = createMonitoring(
      { mode: MonitoringMode.EVENT_DRIVEN, serviceName: 'alerts-otlp', otlpEndpoint: r.url, otlpProtocol: 'http/protobuf', metricExportInterval: 60_000 },
      { registerGlobal: false },
    );
    cleanups.push(() => m.shutdown(5000));
    const health = createHealthCheckManager(m, { background: false });
    let up = true;
    health.registerCheck('database', async () => ({ status: up ? 'healthy' : 'unhealthy', reason: up ? undefined : 'connection refused' }));
    const alerting = createAlerting(m, {
      start: false,
      rules: [{ kind: 'health', name: 'DatabaseDown', check: 'database', status: 'unhealthy', severity: 'page', annotations: { summary: '{{ $labels.check }} is down' } }],
    });
    await health.checkHealth();
    alerting.evaluate();
    expect(alerting.alerts()).toEqual([]);
    up = false;
    await health.checkHealth({ fresh: true });
    alerting.evaluate();
    const [alert] = alerting.alerts({ state: 'firing' });
    expect(alert).toMatchObject({ rule: 'DatabaseDown', labels: { alertname: 'DatabaseDown', check: 'database', severity: 'page' }, annotations: { summary: 'database is down' } });

    await m.forceFlush(5000);
    const point = await waitFor(() => r.points.find((p) => p.metric === 'ALERTS'), 'ALERTS over OTLP');
    expect(point.kind).toBe('gauge');
    expect(point.value).toBe(1);
    expect(point.attributes).toEqual({ alertname: 'DatabaseDown', alertstate: 'firing', check: 'database', severity: 'page' });
  });
});
