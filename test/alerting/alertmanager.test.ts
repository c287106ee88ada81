import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlerting } from '../../src/alerting/createAlerting.js';
import type { Alerting } from '../../src/alerting/Alerting.js';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { createMonitoring, type Monitoring } from '../../src/monitoring/createMonitoring.js';
import { freePort } from '../helpers/freePort.js';
import { waitFor } from '../helpers/wait.js';

// A real Alertmanager (Debian's prometheus-alertmanager, with amtool), on free ports, clustering off.
// The SDK pushes its alerts to it; the test reads them back with amtool and the v2 API.

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  fingerprint: string;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[] };
}

let dir: string;
let am: ChildProcess | undefined;
let amLog = '';
let url: string;
let monitoring: Monitoring;
let alerting: Alerting;

function amtool(...args: string[]): string {
  const r = spawnSync('amtool', [...args, `--alertmanager.url=${url}`], { encoding: 'utf8', timeout: 15_000 });
  if (r.status !== 0) throw new Error(`amtool ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

async function amAlerts(): Promise<AmAlert[]> {
  const res = await fetch(`${url}/api/v2/alerts?filter=${encodeURIComponent('alertname="QueueDeep"')}`);
  return (await res.json()) as AmAlert[];
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'alertmanager-'));
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    ['route:', '  receiver: blackhole', '  group_wait: 1s', '  group_interval: 1s', '  repeat_interval: 1h', 'receivers:', '  - name: blackhole', ''].join('\n'),
  );
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  am = spawn(
    'prometheus-alertmanager',
    [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  am.stdout!.on('data', (d) => (amLog += d));
  am.stderr!.on('data', (d) => (amLog += d));
  await waitFor(async () => (await fetch(`${url}/-/ready`)).ok, `alertmanager ready (log: ${amLog.slice(-500)})`, 30_000, 100);

  monitoring = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'am-test' }, { registerGlobal: false });
  alerting = createAlerting(monitoring, {
    evaluationInterval: '1s',
    externalUrl: 'http://shop.local:3000',
    rules: [
      {
        kind: 'threshold', name: 'QueueDeep', metric: 'queue_depth', op: '>', threshold: 100, for: '1s', severity: 'warning',
        annotations: { summary: '{{ $labels.queue }} holds {{ $value }} messages' },
      },
    ],
    // A long resend delay: firing alerts carry endsAt 4 minutes ahead, so an alert that disappears
    // from Alertmanager within the test did so because the resolution arrived, not by timing out.
    alertmanager: { url, resendDelay: '1m' },
  });
});

afterAll(async () => {
  await monitoring?.shutdown(3000);
  if (am !== undefined && am.exitCode === null) {
    am.kill('SIGTERM');
    await new Promise((r) => am!.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('Alertmanager', () => {
  it('receives the alert, honours an amtool silence, and sees the resolution', async () => {
    monitoring.collector.recordGauge('queue_depth', 500, { queue: 'mail' });
    monitoring.collector.recordGauge('queue_depth', 700, { queue: 'sms' });
    const firing = await waitFor(async () => {
      const list = await amAlerts();
      return list.length === 2 ? list : undefined;
    }, 'two alerts in Alertmanager');
    const mail = firing.find((a) => a.labels.queue === 'mail')!;
    expect(mail.labels).toEqual({ alertname: 'QueueDeep', queue: 'mail', severity: 'warning' });
    expect(mail.annotations).toEqual({ summary: 'mail holds 500 messages' });
    expect(mail.status.state).toBe('active');
    // Same fingerprint in the SDK and in Alertmanager.
    const sdkMail = alerting.alerts({ state: 'firing' }).find((a) => a.labels.queue === 'mail')!;
    expect(mail.fingerprint).toBe(sdkMail.fingerprint);
    expect(Date.parse(mail.startsAt)).toBe(Date.parse(sdkMail.firedAt!));
    expect(Date.parse(mail.endsAt) - Date.now()).toBeGreaterThan(3 * 60_000);

    // amtool lists both; a silence made with amtool suppresses mail.
    const listed = JSON.parse(amtool('alert', 'query', 'alertname=QueueDeep', '-o', 'json')) as AmAlert[];
    expect(listed.map((a) => a.labels.queue).sort()).toEqual(['mail', 'sms']);
    const silenceId = amtool('silence', 'add', 'alertname=QueueDeep', 'queue=mail', '--author=ana', '--comment=broker maintenance', '--duration=1h').trim();
    expect(silenceId).toMatch(/^[0-9a-f-]{36}$/);
    await waitFor(async () => (await amAlerts()).find((a) => a.labels.queue === 'mail')?.status.state === 'suppressed', 'mail suppressed');
    const suppressed = (await amAlerts()).find((a) => a.labels.queue === 'mail')!;
    expect(suppressed.status.silencedBy).toEqual([silenceId]);
    const unsilenced = JSON.parse(amtool('alert', 'query', 'alertname=QueueDeep', '-o', 'json')) as AmAlert[];
    expect(unsilenced.map((a) => a.labels.queue)).toEqual(['sms']);

    // The queue drains: the SDK resolves the alert and tells Alertmanager, which stops listing it.
    monitoring.collector.recordGauge('queue_depth', 3, { queue: 'sms' });
    await waitFor(async () => (await amAlerts()).every((a) => a.labels.queue !== 'sms'), 'sms resolved in Alertmanager');
    expect(alerting.alerts({ state: 'resolved' }).map((a) => a.labels.queue)).toEqual(['sms']);
    expect(JSON.parse(amtool('alert', 'query', 'alertname=QueueDeep', '-o', 'json'))).toEqual([]);
    expect((await amAlerts()).map((a) => a.labels.queue)).toEqual(['mail']);
  });

  it('re-sends a still-firing alert every resendDelay, moving its endsAt forward', async () => {
    const m = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'am-resend' }, { registerGlobal: false });
    try {
      createAlerting(m, {
        evaluationInterval: '200ms',
        rules: [{ kind: 'threshold', name: 'Heartbeat', metric: 'up_flag', op: '==', threshold: 1 }],
        alertmanager: { url, resendDelay: '1s' },
      });
      m.collector.recordGauge('up_flag', 1);
      const get = async () => ((await (await fetch(`${url}/api/v2/alerts?filter=${encodeURIComponent('alertname="Heartbeat"')}`)).json()) as AmAlert[])[0];
      const first = await waitFor(get, 'Heartbeat in Alertmanager');
      const later = await waitFor(async () => {
        const a = await get();
        return a !== undefined && Date.parse(a.updatedAt) > Date.parse(first.updatedAt) ? a : undefined;
      }, 'a resend');
      expect(later.startsAt).toBe(first.startsAt);
      expect(Date.parse(later.endsAt)).toBeGreaterThan(Date.parse(first.endsAt));
    } finally {
      await m.shutdown(3000);
    }
  });
});
