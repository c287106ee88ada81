import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAlerting } from '../../src/alerting/createAlerting.js';
import { IAlerting } from '../../src/alerting/IAlerting.js';
import type { AlertRule } from '../../src/alerting/types.js';
import { ConfigurationError } from '../../src/errors/MonitoringError.js';
import type { MonitoringEvent } from '../../src/events/types.js';
import { createPrometheusEndpoint } from '../../src/export/PrometheusEndpoint.js';
import { createMonitoring, type Monitoring } from '../../src/monitoring/createMonitoring.js';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { tempDirPerTest } from '../helpers/perTest.js';

const handles: Monitoring[] = [];
function monitoring(): Monitoring {
  const m = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'alert-test' }, { registerGlobal: false });
  handles.push(m);
  return m;
}

afterEach(async () => {
  vi.useRealTimers();
  for (const m of handles.splice(0)) await m.shutdown(2000);
});

const rulesDir = tempDirPerTest('alert-rules-');

type AlertEvent = Extract<MonitoringEvent, { type: 'alert.pending' | 'alert.firing' | 'alert.resolved' }>;
function recordAlerts(m: Monitoring): AlertEvent[] {
  const seen: AlertEvent[] = [];
  m.events.subscribe('alert.*', (e) => {
    if (e.type !== 'alert.notification') seen.push(e);
  });
  return seen;
}

const errorRule: AlertRule = {
  kind: 'threshold',
  name: 'OrdersFailing',
  metric: 'orders_total',
  matchers: { outcome: 'failed' },
  fn: 'increase',
  window: '1m',
  by: ['route'],
  op: '>',
  threshold: 2,
  for: '30s',
  severity: 'page',
  labels: { team: 'shop' },
  annotations: { summary: '{{ $labels.route }} failed {{ $value }} orders in a minute' },
};

describe('rule validation', () => {
  it('names the rule and the field of a bad rule', () => {
    const m = monitoring();
    const bad = (rule: Record<string, unknown>) => () => createAlerting(m, { rules: [rule as unknown as AlertRule], start: false });
    expect(bad({ ...errorRule, threshold: 'high' })).toThrow(/rules\[OrdersFailing\]\.threshold: "high"/);
    expect(bad({ ...errorRule, op: '=>' })).toThrow(/rules\[OrdersFailing\]\.op/);
    expect(bad({ ...errorRule, fn: 'quantile' })).toThrow(/rules\[OrdersFailing\]\.quantile/);
    expect(bad({ ...errorRule, window: '5 minutes' })).toThrow(/rules\[OrdersFailing\]\.window: "5 minutes"/);
    expect(bad({ ...errorRule, for: -1 })).toThrow(/rules\[OrdersFailing\]\.for/);
    expect(bad({ ...errorRule, matchers: ['route=~"(unclosed"'] })).toThrow(/rules\[OrdersFailing\]\.matchers\.route/);
    expect(bad({ ...errorRule, labels: { alertname: 'x' } })).toThrow(/rules\[OrdersFailing\]\.labels\.alertname/);
    expect(bad({ ...errorRule, name: 'has space' })).toThrow(/rules\[0\]\.name/);
    expect(bad({ kind: 'health', name: 'H', status: 'dead' })).toThrow(/rules\[H\]\.status: "dead"/);
    expect(bad({ kind: 'anomaly', name: 'A', metric: 'x', sensitivity: 0 })).toThrow(/rules\[A\]\.sensitivity/);
    expect(() => createAlerting(m, { rules: [errorRule, errorRule], start: false })).toThrow(/rules\[OrdersFailing\]\.name/);
    try {
      bad({ ...errorRule, threshold: 'high' })();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigurationError);
      expect((err as ConfigurationError).option).toBe('rules[OrdersFailing].threshold');
    }
  });

  it('reads rules from the YAML or JSON file MONITORING_ALERT_RULES names, and names the file when it is bad', () => {
    const dir = rulesDir();
    const yaml = join(dir, 'rules.yaml');
    writeFileSync(
      yaml,
      ['rules:', '  - name: OrdersFailing', '    metric: orders_total', '    fn: increase', '    window: 1m', '    op: ">"', '    threshold: 2', '    for: 30s', ''].join('\n'),
    );
    const json = join(dir, 'rules.json');
    writeFileSync(json, JSON.stringify([{ kind: 'health', name: 'SystemDegraded', for: '1m' }]));
    const m = monitoring();
    const fromYaml = createAlerting(m, { env: { MONITORING_ALERT_RULES: yaml }, start: false });
    expect(fromYaml.rules().map((r) => [r.name, r.kind, r.expression, r.forSeconds])).toEqual([['OrdersFailing', 'threshold', 'increase(orders_total[1m]) > 2', 30]]);
    const fromJson = createAlerting(m, { env: { MONITORING_ALERT_RULES: json }, start: false });
    expect(fromJson.rules().map((r) => r.name)).toEqual(['SystemDegraded']);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'rules: [ { name: x');
    expect(() => createAlerting(m, { env: { MONITORING_ALERT_RULES: broken }, start: false })).toThrow(/Invalid MONITORING_ALERT_RULES: ".*broken\.yaml" \(expected valid YAML or JSON/);
    writeFileSync(broken, 'rules:\n  - name: Bad\n    metric: x\n    op: ">"\n    threshold: nope\n');
    expect(() => createAlerting(m, { env: { MONITORING_ALERT_RULES: broken }, start: false })).toThrow(/rules\[Bad\]\.threshold/);
    expect(() => createAlerting(m, { env: { MONITORING_ALERT_RULES: join(dir, 'missing.yaml') }, start: false })).toThrow(/MONITORING_ALERT_RULES.*ENOENT/);
  });
});

describe('threshold rule lifecycle', () => {
  it('goes pending, firing and resolved per label set, as bus events and in ALERTS on /metrics', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-11-30T10:00:00Z'), toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const m = monitoring();
    const events = recordAlerts(m);
    const alerting = createAlerting(m, { rules: [errorRule], evaluationInterval: '10s' });
    const fail = (route: string, n = 1) => m.collector.incrementCounter('orders_total', { outcome: 'failed', route }, n);
    const paid = () => m.collector.incrementCounter('orders_total', { outcome: 'paid', route: '/orders' }, 5);

    fail('/orders', 0); // the series exists with 0 before the failures start
    fail('/cart', 0);
    await vi.advanceTimersByTimeAsync(20_000); // evaluations at 10s, 20s: nothing moves
    expect(alerting.alerts()).toEqual([]);
    fail('/orders', 10);
    paid();
    await vi.advanceTimersByTimeAsync(10_000); // t=30s: increase > 2 for /orders only → pending
    expect(alerting.alerts().map((a) => [a.labels.route, a.state])).toEqual([['/orders', 'pending']]);
    expect(events.map((e) => e.type)).toEqual(['alert.pending']);
    const pending = alerting.alerts()[0]!;
    expect(pending.labels).toEqual({ alertname: 'OrdersFailing', route: '/orders', severity: 'page', team: 'shop' });
    expect(pending.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    const scrape = createPrometheusEndpoint(m);
    expect((await scrape.scrape()).body).toMatch(/^ALERTS\{alertname="OrdersFailing",alertstate="pending",route="\/orders",severity="page",team="shop"\} 1$/m);

    for (let i = 0; i < 3; i++) {
      fail('/orders', 10);
      await vi.advanceTimersByTimeAsync(10_000);
    }
    // t=60s: held for 30s → firing, same fingerprint
    const firing = alerting.alerts({ state: 'firing' });
    expect(firing.map((a) => a.fingerprint)).toEqual([pending.fingerprint]);
    expect(firing[0]!.firedAt).toBe('2026-11-30T10:01:00.000Z');
    expect(firing[0]!.activeAt).toBe('2026-11-30T10:00:30.000Z');
    expect(firing[0]!.annotations.summary).toMatch(/^\/orders failed \d+(\.\d+)? orders in a minute$/);
    expect(events.map((e) => e.type)).toEqual(['alert.pending', 'alert.firing']);
    expect((await scrape.scrape()).body).toMatch(/^ALERTS\{alertname="OrdersFailing",alertstate="firing",route="\/orders",severity="page",team="shop"\} 1$/m);

    // No more failures: after the window passes, increase is 0 and the alert resolves.
    await vi.advanceTimersByTimeAsync(80_000);
    expect(alerting.alerts().map((a) => a.state)).toEqual(['resolved']);
    expect(events.map((e) => e.type)).toEqual(['alert.pending', 'alert.firing', 'alert.resolved']);
    const resolved = events[2]!;
    expect(resolved.alert.fingerprint).toBe(pending.fingerprint);
    expect(resolved.alert.resolvedAt).toBeDefined();
    // OTel keeps a gauge series once seen, so the series that left firing reads 0 (Prometheus drops it).
    const after = (await scrape.scrape()).body;
    expect(after).toMatch(/^ALERTS\{alertname="OrdersFailing",alertstate="firing",route="\/orders",severity="page",team="shop"\} 0$/m);
    expect(after).not.toMatch(/^ALERTS\{.*\} 1$/m);
    expect(alerting.rules()[0]).toMatchObject({ name: 'OrdersFailing', state: 'resolved', alerts: 0 });
    await scrape.shutdown();
  });

  it('drops a pending alert whose condition stops before `for`, and keeps firing for keepFiringFor', async () => {
    vi.useFakeTimers({ now: 0, toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const m = monitoring();
    const events = recordAlerts(m);
    const alerting = createAlerting(m, {
      evaluationInterval: '5s',
      rules: [
        { kind: 'threshold', name: 'QueueDeep', metric: 'queue_depth', op: '>', threshold: 100, for: '20s', keepFiringFor: '15s' },
      ],
    });
    const depth = (v: number) => m.collector.recordGauge('queue_depth', v, { queue: 'mail' });
    depth(500);
    await vi.advanceTimersByTimeAsync(10_000); // pending at 5s
    depth(10);
    await vi.advanceTimersByTimeAsync(5_000); // gone before it fired
    expect(alerting.alerts()).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(['alert.pending']);
    depth(500);
    await vi.advanceTimersByTimeAsync(25_000); // pending at 20s, firing at 40s
    expect(alerting.alerts({ state: 'firing' })).toHaveLength(1);
    depth(10);
    await vi.advanceTimersByTimeAsync(10_000); // condition gone at 45s, 50s: still firing (keepFiringFor 15s)
    expect(alerting.alerts({ state: 'firing' })).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10_000); // 60s: 15s since it stopped → resolved
    expect(alerting.alerts().map((a) => a.state)).toEqual(['resolved']);
    expect(events.map((e) => e.type)).toEqual(['alert.pending', 'alert.pending', 'alert.firing', 'alert.resolved']);
    expect(events[3]!.alert.value).toBe(500);
  });

  it('fires on the ratio of two metrics and on a histogram quantile, one alert per route', async () => {
    vi.useFakeTimers({ now: 0, toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const m = monitoring();
    const alerting = createAlerting(m, {
      evaluationInterval: '15s',
      rules: [
        {
          kind: 'threshold', name: 'ErrorRatio', metric: 'requests_errors_total', fn: 'rate', window: '1m', by: ['route'],
          denominator: { metric: 'requests_total' }, op: '>', threshold: 0.1,
          annotations: { summary: '{{ $labels.route }}: {{ $value | humanizePercentage }} errors' },
        },
        { kind: 'threshold', name: 'SlowRoute', metric: 'latency_ms', fn: 'quantile', quantile: 0.9, window: '1m', by: ['route'], op: '>', threshold: 200 },
      ],
    });
    m.collector.declare('latency_ms', 'histogram', { buckets: [50, 100, 250, 500, 1000] });
    for (let tick = 0; tick < 6; tick++) {
      for (const route of ['/a', '/b']) {
        m.collector.incrementCounter('requests_total', { route, method: 'GET' }, 100);
        m.collector.incrementCounter('requests_errors_total', { route, method: 'GET' }, route === '/a' ? 50 : 1);
        for (let i = 0; i < 20; i++) m.collector.recordHistogram('latency_ms', route === '/b' ? 400 : 20, { route });
      }
      await vi.advanceTimersByTimeAsync(15_000);
    }
    const byRule = (rule: string) => alerting.alerts({ rule }).map((a) => [a.labels.route, a.state, a.annotations.summary]);
    expect(byRule('ErrorRatio')).toEqual([['/a', 'firing', '/a: 50% errors']]);
    expect(byRule('SlowRoute')).toEqual([['/b', 'firing', undefined]]);
    const slow = alerting.alerts({ rule: 'SlowRoute' })[0]!;
    expect(slow.value).toBeGreaterThan(250);
    expect(slow.value).toBeLessThanOrEqual(500);
  });

  it('health rules follow health.status.changed, absence rules a counter that stopped', async () => {
    vi.useFakeTimers({ now: 0, toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const m = monitoring();
    const alerting = createAlerting(m, {
      evaluationInterval: '10s',
      rules: [
        { kind: 'health', name: 'DatabaseUnhealthy', check: 'database', status: 'unhealthy', for: '20s' },
        { kind: 'absence', name: 'NoHeartbeats', metric: 'heartbeats_total', window: '1m' },
      ],
    });
    m.events.publish('health.status.changed', { check: 'database', previous: 'healthy', current: 'degraded' });
    let beat = setInterval(() => m.collector.incrementCounter('heartbeats_total'), 5_000);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(alerting.alerts()).toEqual([]);
    m.events.publish('health.status.changed', { check: 'database', previous: 'degraded', current: 'unhealthy' });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(alerting.alerts().map((a) => [a.rule, a.state, a.labels.check])).toEqual([['DatabaseUnhealthy', 'firing', 'database']]);
    clearInterval(beat);
    await vi.advanceTimersByTimeAsync(70_000);
    expect(alerting.alerts({ rule: 'NoHeartbeats', state: 'firing' })).toHaveLength(1);
    m.events.publish('health.status.changed', { check: 'database', previous: 'unhealthy', current: 'healthy' });
    beat = setInterval(() => m.collector.incrementCounter('heartbeats_total'), 5_000);
    await vi.advanceTimersByTimeAsync(20_000);
    clearInterval(beat);
    expect(alerting.alerts({ state: 'firing' })).toEqual([]);
    expect(alerting.alerts({ state: 'resolved' }).map((a) => a.rule).sort()).toEqual(['DatabaseUnhealthy', 'NoHeartbeats']);
  });

  it('is registered on the handle and stopped by monitoring.shutdown()', async () => {
    const m = createMonitoring({ mode: MonitoringMode.DIRECT }, { registerGlobal: false });
    const alerting = createAlerting(m, { rules: [errorRule], evaluationInterval: '1s' });
    expect(m.registry.resolve(IAlerting)).toBe(alerting);
    await m.shutdown(2000);
    const before = alerting.stats().evaluations;
    alerting.evaluate();
    expect(alerting.stats().evaluations).toBe(before);
  });
});
