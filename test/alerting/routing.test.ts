import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAlerting } from '../../src/alerting/createAlerting.js';
import type { Notification } from '../../src/alerting/receivers.js';
import { compileRoute, matchRoutes } from '../../src/alerting/routing.js';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { createMonitoring, type Monitoring } from '../../src/monitoring/createMonitoring.js';
import { waitFor } from '../helpers/wait.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const c of cleanup.splice(0).reverse()) await c();
});

function monitoring(): Monitoring {
  const m = createMonitoring({ mode: MonitoringMode.DIRECT }, { registerGlobal: false });
  cleanup.push(() => m.shutdown(2000));
  return m;
}

const fake = (now = 0) => vi.useFakeTimers({ now, toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });

describe('routing tree', () => {
  it('descends into the first matching child, and on through siblings with continue', () => {
    const route = compileRoute(
      {
        receiver: 'default',
        groupBy: ['alertname'],
        routes: [
          { matchers: ['severity="page"'], receiver: 'pager', continue: true, groupWait: '5s' },
          { matchers: { team: 'shop' }, receiver: 'shop', routes: [{ matchers: ['queue=~"mail|sms"'], receiver: 'messaging' }] },
          { matchers: { team: 'shop' }, receiver: 'never' },
        ],
      },
      new Set(['default', 'pager', 'shop', 'messaging', 'never']),
    );
    const to = (labels: Record<string, string>) => matchRoutes(route, labels).map((r) => r.receiver);
    expect(to({ alertname: 'A', severity: 'page', team: 'shop' })).toEqual(['pager', 'shop']);
    expect(to({ alertname: 'A', severity: 'page', team: 'shop', queue: 'sms' })).toEqual(['pager', 'messaging']);
    expect(to({ alertname: 'A', severity: 'warning' })).toEqual(['default']);
    expect(matchRoutes(route, { severity: 'page' })[0]!.groupWaitMs).toBe(5000);
    expect(matchRoutes(route, { team: 'shop' })[0]!.groupBy).toEqual(['alertname']);
    expect(() => compileRoute({ receiver: 'nobody' }, new Set(['default']))).toThrow(/route\.receiver: "nobody"/);
    expect(() => compileRoute({ receiver: 'default', routes: [{ groupWait: 'soon' }] }, new Set(['default']))).toThrow(/route\.routes\[0\]\.groupWait/);
  });
});

describe('dispatch: grouping, intervals, inhibition, silences, acknowledgement', () => {
  it('waits groupWait, batches changes per groupInterval, repeats per repeatInterval and sends resolutions', async () => {
    fake();
    const m = monitoring();
    const got: { at: number; n: Notification }[] = [];
    const alerting = createAlerting(m, {
      evaluationInterval: '10s',
      rules: [{ kind: 'threshold', name: 'QueueDeep', metric: 'queue_depth', op: '>', threshold: 100, severity: 'warning' }],
      receivers: [{ name: 'ops', fn: (n) => void got.push({ at: Date.now(), n }) }],
      route: { receiver: 'ops', groupBy: ['alertname'], groupWait: '30s', groupInterval: '1m', repeatInterval: '5m' },
    });
    const depth = (queue: string, v: number) => m.collector.recordGauge('queue_depth', v, { queue });
    depth('mail', 500);
    await vi.advanceTimersByTimeAsync(39_999); // fires at 10s; group waits until 40s
    expect(got).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(got.map((g) => [g.at, g.n.status, g.n.alerts.map((a) => a.labels.queue)])).toEqual([[40_000, 'firing', ['mail']]]);
    const first = got[0]!.n;
    expect(first).toMatchObject({ version: '4', receiver: 'ops', groupLabels: { alertname: 'QueueDeep' }, commonLabels: { alertname: 'QueueDeep', severity: 'warning', queue: 'mail' }, truncatedAlerts: 0 });
    expect(first.alerts[0]).toMatchObject({ status: 'firing', startsAt: '1970-01-01T00:00:10.000Z', endsAt: '0001-01-01T00:00:00Z' });
    expect(first.alerts[0]!.fingerprint).toBe(alerting.alerts()[0]!.fingerprint);

    depth('sms', 500); // fires at 50s; the group's next look is at 100s
    await vi.advanceTimersByTimeAsync(59_000);
    expect(got).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(got.map((g) => [g.at, g.n.alerts.map((a) => a.labels.queue).sort()])).toEqual([[40_000, ['mail']], [100_000, ['mail', 'sms']]]);

    // Unchanged: nothing until repeatInterval (5m after 100s = 400s, looked at on the 1m ticks: 400s).
    await vi.advanceTimersByTimeAsync(299_000);
    expect(got).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(got.map((g) => g.at)).toEqual([40_000, 100_000, 400_000]);

    depth('mail', 1); // resolves at 410s; sent at 460s with the still-firing sms
    await vi.advanceTimersByTimeAsync(60_000);
    const last = got[3]!;
    expect(last.at).toBe(460_000);
    expect(last.n.status).toBe('firing');
    expect(last.n.alerts.map((a) => [a.labels.queue, a.status])).toEqual([['sms', 'firing'], ['mail', 'resolved']]);
    expect(last.n.alerts[1]!.endsAt).toBe('1970-01-01T00:06:50.000Z');
    expect(alerting.stats().notifications).toMatchObject({ sent: 4, dropped: 0, failed: 0 });
  });

  it('leaves out silenced and inhibited alerts, and acknowledged ones are not repeated', async () => {
    fake();
    const m = monitoring();
    const got: Notification[] = [];
    const alerting = createAlerting(m, {
      evaluationInterval: '10s',
      rules: [
        { kind: 'threshold', name: 'QueueDeep', metric: 'queue_depth', op: '>', threshold: 100, severity: 'warning' },
        { kind: 'threshold', name: 'QueueDown', metric: 'queue_up', op: '==', threshold: 0, severity: 'critical' },
      ],
      inhibitRules: [{ sourceMatchers: { severity: 'critical' }, targetMatchers: { severity: 'warning' }, equal: ['queue'] }],
      receivers: [{ name: 'ops', fn: (n) => void got.push(n) }],
      route: { receiver: 'ops', groupBy: ['...'], groupWait: '0s', groupInterval: '30s', repeatInterval: '1m' },
    });
    m.collector.recordGauge('queue_depth', 500, { queue: 'mail' });
    m.collector.recordGauge('queue_depth', 500, { queue: 'sms' });
    m.collector.recordGauge('queue_depth', 500, { queue: 'push' });
    m.collector.recordGauge('queue_up', 0, { queue: 'mail' });
    const silence = alerting.createSilence({ matchers: ['queue="sms"'], duration: '10m', createdBy: 'ana', comment: 'sms provider maintenance' });
    await vi.advanceTimersByTimeAsync(10_001); // evaluation at 10s, groupWait 0 right after
    const sent = () => got.flatMap((n) => n.alerts.map((a) => `${a.labels.alertname}/${a.labels.queue}`)).sort();
    expect(sent()).toEqual(['QueueDeep/push', 'QueueDown/mail']);
    const mailDeep = alerting.alerts({ rule: 'QueueDeep' }).find((a) => a.labels.queue === 'mail')!;
    expect(mailDeep.inhibitedBy).toEqual([alerting.alerts({ rule: 'QueueDown' })[0]!.fingerprint]);
    expect(alerting.alerts({ rule: 'QueueDeep' }).find((a) => a.labels.queue === 'sms')!.silencedBy).toEqual([silence.id]);
    expect(alerting.alerts({ muted: false }).map((a) => a.labels.queue).sort()).toEqual(['mail', 'push']);

    // Acknowledge push: after repeatInterval only the unacknowledged alert is repeated.
    got.length = 0;
    expect(alerting.acknowledge(alerting.alerts({ rule: 'QueueDeep' }).find((a) => a.labels.queue === 'push')!.fingerprint, 'ana', 'on it')).toBe(true);
    await vi.advanceTimersByTimeAsync(70_000);
    expect(sent()).toEqual(['QueueDown/mail']);

    // Expiring the silence lets the sms alert through at the next look.
    got.length = 0;
    alerting.expireSilence(silence.id);
    await vi.advanceTimersByTimeAsync(40_000);
    expect(sent()).toEqual(['QueueDeep/sms']);
  });
});

describe('receivers', () => {
  it('webhook gets Alertmanager\'s payload, Slack its message; failures are retried with backoff', async () => {
    const bodies: { path: string; body: Record<string, unknown> }[] = [];
    let failuresLeft = 2;
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', () => {
        if (req.url === '/hook' && failuresLeft-- > 0) {
          res.writeHead(503).end();
          return;
        }
        bodies.push({ path: req.url!, body: JSON.parse(text) as Record<string, unknown> });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => server.close(() => r())));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const m = monitoring();
    const busNotes: unknown[] = [];
    m.events.subscribe('alert.notification', (e) => void busNotes.push(e));
    const alerting = createAlerting(m, {
      start: false,
      externalUrl: 'http://shop.local:3000',
      rules: [{ kind: 'threshold', name: 'QueueDeep', metric: 'queue_depth', op: '>', threshold: 100, severity: 'warning', annotations: { summary: '{{ $labels.queue }} at {{ $value }}' } }],
      receivers: [
        { name: 'ops', webhook: { url: `${base}/hook` }, slack: { url: `${base}/slack`, channel: '#ops' }, bus: true, backoff: '10ms', retries: 3 },
      ],
      route: { receiver: 'ops', groupBy: ['alertname'], groupWait: '0s', groupInterval: '50ms' },
    });
    m.collector.recordGauge('queue_depth', 500, { queue: 'mail' });
    m.collector.recordGauge('queue_depth', 1, { queue: '<!channel> & co' });
    alerting.evaluate();
    // Delivered once the receiver answered (the server records the body before it answers).
    await waitFor(() => bodies.length === 2 && busNotes.length === 1 && alerting.stats().notifications.sent === 3, 'webhook, slack and bus deliveries');
    const hook = bodies.find((b) => b.path === '/hook')!.body;
    expect(hook).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'ops',
      groupLabels: { alertname: 'QueueDeep' },
      externalURL: 'http://shop.local:3000',
      alerts: [{ status: 'firing', labels: { alertname: 'QueueDeep', queue: 'mail', severity: 'warning' }, annotations: { summary: 'mail at 500' }, endsAt: '0001-01-01T00:00:00Z' }],
    });
    expect((hook.alerts as { generatorURL: string }[])[0]!.generatorURL).toBe('http://shop.local:3000/alerts?rule=QueueDeep');
    const slack = bodies.find((b) => b.path === '/slack')!.body;
    expect(slack).toMatchObject({ channel: '#ops', text: '[FIRING:1] QueueDeep', attachments: [{ color: 'warning', title: 'QueueDeep (firing)', text: 'mail at 500' }] });
    expect(alerting.stats().notifications).toMatchObject({ sent: 3, retried: 2, failed: 0 });
    // Label values cannot become Slack mentions or links.
    m.collector.recordGauge('queue_depth', 900, { queue: '<!channel> & co' });
    alerting.evaluate();
    await waitFor(() => bodies.filter((b) => b.path === '/slack').length === 2, 'second slack message');
    const second = bodies.filter((b) => b.path === '/slack')[1]!.body as { attachments: { fields: { title: string; value: string }[] }[] };
    expect(JSON.stringify(second)).not.toContain('<!channel>');
    expect(second.attachments.flatMap((a) => a.fields.map((f) => f.value))).toContain('&lt;!channel&gt; &amp; co');
  });

  it('a dead endpoint costs a bounded queue and counted drops, never an exception in the app', async () => {
    const m = monitoring();
    const dropped: unknown[] = [];
    m.events.subscribe('monitoring.dropped', (e) => void dropped.push(e));
    const alerting = createAlerting(m, {
      start: false,
      rules: [{ kind: 'threshold', name: 'Q', metric: 'q', op: '>', threshold: 0 }],
      // Port 9 (discard) is closed on loopback: every attempt fails fast.
      receivers: [{ name: 'dead', webhook: { url: 'http://127.0.0.1:9/hook' }, retries: 1, backoff: '5s', maxQueue: 2, timeout: '1s' }],
      route: { receiver: 'dead', groupBy: ['...'], groupWait: '0s' },
    });
    for (let i = 0; i < 6; i++) m.collector.recordGauge('q', 1, { i: String(i) });
    expect(() => alerting.evaluate()).not.toThrow();
    await waitFor(() => alerting.stats().notifications.dropped >= 3, 'drops counted');
    expect(dropped.length).toBeGreaterThanOrEqual(3);
    // The drops are a metric too.
    const metric = await m.collector.readMetric('alerting.notifications');
    const byResult = new Map(metric!.series.map((p) => [p.labels.result, p.value]));
    expect(byResult.get('dropped')).toBeGreaterThanOrEqual(3);
    expect(byResult.get('sent')).toBe(0);
    await alerting.shutdown(3000);
    const s = alerting.stats().notifications;
    expect(s.sent).toBe(0);
    expect(s.failed + s.dropped).toBe(6);

  });
});
