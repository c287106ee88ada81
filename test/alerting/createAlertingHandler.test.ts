import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAlerting } from '../../src/alerting/createAlerting.js';
import { createAlertingHandler } from '../../src/alerting/createAlertingHandler.js';
import type { Alert, RuleStatus, Silence } from '../../src/alerting/types.js';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { createMonitoring, type Monitoring } from '../../src/monitoring/createMonitoring.js';
import type { DashboardAlerting } from '../../src/dashboard/alerting.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function setup(): { m: Monitoring; alerting: ReturnType<typeof createAlerting> } {
  const m = createMonitoring({ mode: MonitoringMode.DIRECT }, { registerGlobal: false });
  cleanup.push(() => m.shutdown(2000));
  const alerting = createAlerting(m, {
    start: false,
    rules: [
      { kind: 'threshold', name: 'QueueDeep', metric: 'queue_depth', op: '>', threshold: 100, severity: 'warning', annotations: { summary: '{{ $labels.queue }} holds {{ $value }}' } },
      { kind: 'threshold', name: 'QueueStuck', metric: 'queue_depth', op: '>', threshold: 1000, for: '5m' },
    ],
  });
  return { m, alerting };
}

const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('alerting HTTP API', () => {
  it('lists rules and alerts by state, silences and acknowledges', async () => {
    const { m, alerting } = setup();
    m.collector.recordGauge('queue_depth', 5000, { queue: 'mail' });
    m.collector.recordGauge('queue_depth', 50, { queue: 'sms' });
    alerting.evaluate();
    const base = await serve(createAlertingHandler(alerting));

    const rules = (await (await fetch(`${base}/alerting/rules`)).json()) as { rules: RuleStatus[] };
    expect(rules.rules.map((r) => [r.name, r.state, r.alerts, r.expression])).toEqual([
      ['QueueDeep', 'firing', 1, 'queue_depth > 100'],
      ['QueueStuck', 'pending', 1, 'queue_depth > 1000'],
    ]);
    const firing = (await (await fetch(`${base}/alerting/alerts?state=firing`)).json()) as { alerts: Alert[] };
    expect(firing.alerts.map((a) => [a.rule, a.labels.queue, a.annotations.summary])).toEqual([['QueueDeep', 'mail', 'mail holds 5000']]);
    const pending = (await (await fetch(`${base}/alerting/alerts?state=pending`)).json()) as { alerts: Alert[] };
    expect(pending.alerts.map((a) => a.rule)).toEqual(['QueueStuck']);
    expect((await fetch(`${base}/alerting/alerts?state=bogus`)).status).toBe(400);
    const fp = firing.alerts[0]!.fingerprint;
    expect(((await (await fetch(`${base}/alerting/alerts/${fp}`)).json()) as Alert).fingerprint).toBe(fp);
    expect((await fetch(`${base}/alerting/alerts/0000000000000000`)).status).toBe(404);

    // Acknowledge, then undo.
    const acked = (await (await fetch(`${base}/alerting/alerts/${fp}/ack`, json({ by: 'ana', comment: 'looking' }))).json()) as Alert;
    expect(acked.acknowledgement).toMatchObject({ by: 'ana', comment: 'looking' });
    expect((await fetch(`${base}/alerting/alerts/${fp}/ack`, json({ comment: 'no author' }))).status).toBe(400);
    expect((await fetch(`${base}/alerting/alerts/${fp}/ack`, { method: 'DELETE' })).status).toBe(200);
    expect(alerting.alert(fp)!.acknowledgement).toBeUndefined();

    // A silence mutes the matching alert; expiring it unmutes.
    const created = await fetch(`${base}/alerting/silences`, json({ matchers: ['alertname="QueueDeep"', 'queue=~"ma.*"'], duration: '1h', createdBy: 'ana', comment: 'maintenance' }));
    expect(created.status).toBe(201);
    const silence = (await created.json()) as Silence;
    expect(silence).toMatchObject({ state: 'active', createdBy: 'ana', comment: 'maintenance' });
    expect(alerting.alert(fp)!.silencedBy).toEqual([silence.id]);
    const listed = (await (await fetch(`${base}/alerting/silences`)).json()) as { silences: Silence[] };
    expect(listed.silences.map((s) => s.id)).toEqual([silence.id]);
    const bad = await fetch(`${base}/alerting/silences`, json({ matchers: ['alertname="QueueDeep"'], createdBy: 'ana', comment: 'x' }));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'SI_ERR_CONFIG', option: 'silence.endsAt' });
    expect((await fetch(`${base}/alerting/silences/${silence.id}`, { method: 'DELETE' })).status).toBe(200);
    expect(alerting.alert(fp)!.silencedBy).toEqual([]);
    expect(alerting.silences()[0]!.state).toBe('expired');

    // Only JSON bodies, only known methods.
    expect((await fetch(`${base}/alerting/silences`, { method: 'POST', body: '{}', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect((await fetch(`${base}/alerting/rules`, { method: 'POST' })).status).toBe(405);
    const status = (await (await fetch(`${base}/alerting/status`)).json()) as { counts: Record<string, number> };
    expect(status.counts).toEqual({ pending: 1, firing: 1, resolved: 0 });
  });

  it('is what the dashboard\'s Alerts page takes', async () => {
    const { m, alerting } = setup();
    const forDashboard: DashboardAlerting = alerting;
    m.collector.recordGauge('queue_depth', 5000, { queue: 'mail' });
    alerting.evaluate();
    const [a] = await forDashboard.alerts();
    forDashboard.acknowledge!(a!.fingerprint, 'ana', 'on it');
    expect(alerting.alert(a!.fingerprint)!.acknowledgement).toMatchObject({ by: 'ana', comment: 'on it' });
    forDashboard.createSilence!({ matchers: [{ name: 'queue', op: '=', value: 'mail' }], duration: '1h', createdBy: 'ana', comment: 'x' });
    expect(alerting.alert(a!.fingerprint)!.silencedBy).toHaveLength(1);
  });

  it('serves other hosts only with the bearer token', async () => {
    const { alerting } = setup();
    const token = 'a-token-of-enough-length';
    const handler = createAlertingHandler(alerting, { token });
    // The request comes from loopback here; a non-loopback caller is simulated at the socket level by
    // the handler's own check, so exercise it with a fake remote address on a real request object.
    const base = await serve((req, res) => {
      Object.defineProperty(req.socket, 'remoteAddress', { value: '10.1.2.3', configurable: true });
      handler(req, res);
    });
    expect((await fetch(`${base}/alerting/rules`)).status).toBe(401);
    expect((await fetch(`${base}/alerting/rules`, { headers: { authorization: 'Bearer wrong-token-of-length' } })).status).toBe(401);
    expect((await fetch(`${base}/alerting/rules`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const open = createAlertingHandler(alerting);
    const base2 = await serve((req, res) => {
      Object.defineProperty(req.socket, 'remoteAddress', { value: '10.1.2.3', configurable: true });
      open(req, res);
    });
    expect((await fetch(`${base2}/alerting/rules`)).status).toBe(403);
    expect(() => createAlertingHandler(alerting, { token: 'short' })).toThrow(/alertingHandler\.token/);
  });
});
