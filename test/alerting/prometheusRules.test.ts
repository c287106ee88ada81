import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateRule } from '../../src/alerting/evaluate.js';
import { exportPrometheusRules } from '../../src/alerting/exportPrometheusRules.js';
import { applyEvaluation, type AlertRecord } from '../../src/alerting/lifecycle.js';
import { compileRules } from '../../src/alerting/rules.js';
import { SampleWindow, type SeriesReading } from '../../src/alerting/SampleWindow.js';
import type { AlertRule } from '../../src/alerting/types.js';
import { createAlerting } from '../../src/alerting/createAlerting.js';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { createPrometheusEndpoint } from '../../src/export/PrometheusEndpoint.js';
import { createMonitoring } from '../../src/monitoring/createMonitoring.js';

// The same rules and the same input series, through Prometheus (`promtool test rules` on the
// exported rule file) and through the SDK's evaluator: the SDK's firing alerts at every evaluation
// are written as the promtool test's expectations, so promtool passes only if Prometheus fires the
// same alerts, with the same labels and annotations, at the same times.

const STEP_S = 15;
const STEPS = 48; // 12 minutes
const BOUNDS = [0.1, 0.25, 0.5, 1];

const rules: AlertRule[] = [
  {
    kind: 'threshold', name: 'OrdersFailing', metric: 'orders_total', matchers: { outcome: 'failed' }, fn: 'increase', window: '1m', by: ['route'],
    op: '>', threshold: 5, for: '30s', severity: 'page',
    annotations: { summary: '{{ $labels.route }} failed {{ $value }} orders in a minute' },
  },
  {
    kind: 'threshold', name: 'ErrorRatio', metric: 'http_errors_total', fn: 'rate', window: '1m', by: ['route'], denominator: { metric: 'http_requests_total' },
    op: '>', threshold: 0.1, for: '1m', keepFiringFor: '30s', labels: { team: 'web' },
    annotations: { summary: '{{ $labels.route }}: {{ $value | humanizePercentage }} of requests fail' },
  },
  { kind: 'threshold', name: 'SlowRoute', metric: 'latency_seconds', fn: 'quantile', quantile: 0.9, window: '1m', by: ['route'], op: '>', threshold: 0.3, for: '15s' },
  { kind: 'threshold', name: 'QueueDeep', metric: 'queue_depth', op: '>', threshold: 100, annotations: { summary: 'depth {{ $value }}' } },
  { kind: 'threshold', name: 'QueuePeak', metric: 'queue_depth', matchers: ['queue=~"ma.*"'], fn: 'max_over_time', window: '2m', op: '>=', threshold: 400 },
  { kind: 'threshold', name: 'QueueLow', metric: 'queue_depth', fn: 'avg_over_time', window: '1m', op: '<', threshold: 20, for: '45s' },
  { kind: 'threshold', name: 'StockLow', metric: 'stock_level', fn: 'min_over_time', window: '1m', op: '<=', threshold: 3 },
  // Go prints floats as 2.5e+06 and 1.5e-05 where JavaScript does not: the annotations must still match.
  { kind: 'threshold', name: 'OddValues', metric: 'odd_value', op: '!=', threshold: 1, annotations: { v: '{{ $value }}', h: '{{ $value | humanize }}' } },
];

/** Value of every input series at each step. */
function inputs(): Map<string, { name: string; labels: Record<string, string>; values: number[] }> {
  const series = new Map<string, { name: string; labels: Record<string, string>; values: number[] }>();
  const add = (name: string, labels: Record<string, string>, f: (i: number) => number) => {
    const values: number[] = [];
    for (let i = 0; i <= STEPS; i++) values.push(f(i));
    series.set(name + JSON.stringify(labels), { name, labels, values });
  };
  const cumulative = (perStep: (i: number) => number) => (i: number) => {
    let v = 0;
    for (let k = 1; k <= i; k++) v += perStep(k);
    return v;
  };
  add('orders_total', { outcome: 'failed', route: '/a' }, cumulative((i) => (i >= 10 && i <= 20 ? 5 : 0)));
  add('orders_total', { outcome: 'failed', route: '/b' }, cumulative((i) => (i % 4 === 0 ? 1 : 0)));
  // A counter reset on /b at step 30, as after a restart.
  const paid = cumulative(() => 7);
  add('orders_total', { outcome: 'paid', route: '/b' }, (i) => (i < 30 ? paid(i) : paid(i - 30)));
  for (const route of ['/a', '/b']) {
    add('http_requests_total', { route, method: 'GET' }, cumulative(() => 100));
    add('http_errors_total', { route, method: 'GET' }, cumulative((i) => (route === '/a' && i >= 15 && i <= 25 ? 30 : route === '/a' ? 1 : 3)));
    const perStep = (i: number): number[] => (route === '/a' && i >= 20 && i <= 30 ? [0, 0, 10, 0, 0] : route === '/a' ? [10, 0, 0, 0, 0] : [0, 10, 0, 0, 0]);
    BOUNDS.concat([Infinity]).forEach((le, b) => {
      add('latency_seconds_bucket', { route, le: le === Infinity ? '+Inf' : String(le) }, cumulative((i) => perStep(i).slice(0, b + 1).reduce((x, y) => x + y, 0)));
    });
  }
  add('queue_depth', { queue: 'mail' }, (i) => (i >= 12 && i <= 14 ? 500 : i >= 30 && i <= 33 ? 150 : 50));
  add('queue_depth', { queue: 'sms' }, (i) => (i >= 36 ? 5 : 40));
  add('stock_level', { sku: 'x1' }, (i) => (i === 25 ? 2 : 10));
  const odd = [1, 2500000, 0.000015, 123456, 1234567.5, 0.0001, 1e21, 1];
  add('odd_value', { k: 'v' }, (i) => odd[i % odd.length]!);
  return series;
}

/** The SDK's firing alerts at each step, fed the same series. */
function sdkFiring(): Map<number, Map<string, { labels: Record<string, string>; annotations: Record<string, string> }[]>> {
  const planned = compileRules(rules);
  const window = new SampleWindow({ retentionMs: 300_000, maxSamples: 1000, maxSeries: 1000 });
  const alerts = new Map(planned.map((r) => [r.name, new Map<string, AlertRecord>()]));
  const all = [...inputs().values()];
  const out = new Map<number, Map<string, { labels: Record<string, string>; annotations: Record<string, string> }[]>>();
  for (let i = 0; i <= STEPS; i++) {
    const t = i * STEP_S * 1000;
    // Histograms reach the SDK as one reading with cumulative buckets, as the collector reports them.
    const byMetric = new Map<string, SeriesReading[]>();
    const hist = new Map<string, { labels: Record<string, string>; buckets: { le: number; count: number }[] }>();
    for (const s of all) {
      if (s.name === 'latency_seconds_bucket') {
        const { le, ...rest } = s.labels;
        const key = JSON.stringify(rest);
        let h = hist.get(key);
        if (h === undefined) hist.set(key, (h = { labels: rest, buckets: [] }));
        h.buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: s.values[i]! });
        continue;
      }
      let list = byMetric.get(s.name);
      if (list === undefined) byMetric.set(s.name, (list = []));
      list.push({ labels: s.labels, value: s.values[i]! });
    }
    byMetric.set('latency_seconds', [...hist.values()].map((h) => ({ labels: h.labels, histogram: { buckets: h.buckets, count: h.buckets[h.buckets.length - 1]!.count, sum: 0 } })));
    for (const [metric, readings] of byMetric) window.ingest(metric, readings, t);
    const at = new Map<string, { labels: Record<string, string>; annotations: Record<string, string> }[]>();
    for (const rule of planned) {
      const result = evaluateRule(rule, { window, now: t, health: new Map(), since: 0 });
      const records = alerts.get(rule.name)!;
      applyEvaluation(rule, records, result, t);
      at.set(rule.name, [...records.values()].filter((a) => a.state === 'firing').map((a) => ({ labels: { ...a.labels }, annotations: { ...a.annotations } })));
    }
    out.set(i, at);
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'promtool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the same rules in Prometheus', () => {
  it('exports rules promtool accepts, over the SDK\'s Prometheus names', () => {
    const { yaml, skipped } = exportPrometheusRules(
      [...rules, { kind: 'health', name: 'Degraded' }, { kind: 'threshold', name: 'Slow', metric: 'response_time_ms', fn: 'quantile', quantile: 0.99, window: '5m', op: '>', threshold: 500 }],
      { interval: '15s' },
    );
    writeFileSync(join(dir, 'check.yml'), yaml);
    const check = spawnSync('promtool', ['check', 'rules', join(dir, 'check.yml')], { encoding: 'utf8' });
    expect(check.stdout + check.stderr).toContain('SUCCESS: 9 rules found');
    expect(check.status).toBe(0);
    expect(skipped).toEqual(['Degraded']);
    expect(yaml).toContain('expr: sum by (route) (increase(orders_total{outcome="failed"}[1m])) > 5');
    expect(yaml).toContain('expr: (sum by (route) (rate(http_errors_total[1m]))) / (sum by (route) (rate(http_requests_total[1m]))) > 0.1');
    expect(yaml).toContain('expr: histogram_quantile(0.9, sum by (le, route) (rate(latency_seconds_bucket[1m]))) > 0.3');
    expect(yaml).toContain('keep_firing_for: 30s');
    // The SDK serves response_time_ms in seconds, so the exported threshold is converted too.
    expect(yaml).toContain('expr: histogram_quantile(0.99, rate(response_time_seconds_bucket[5m])) > 0.5');
  });

  it('writes a rule on a seed name against the name the scrape shows for it', () => {
    const { yaml } = exportPrometheusRules(
      [
        { kind: 'threshold', name: 'Errors', metric: 'http_server_errors_total', fn: 'rate', window: '5m', by: ['route'], denominator: { metric: 'http_server_requests_total' }, op: '>', threshold: 0.05 },
        { kind: 'threshold', name: 'Slow', metric: 'http_server_request_duration_seconds', fn: 'quantile', quantile: 0.99, window: '5m', op: '>', threshold: 0.5 },
        { kind: 'threshold', name: 'Phase', metric: 'performance_phase_duration_seconds', fn: 'quantile', quantile: 0.9, window: '5m', op: '>', threshold: 1 },
        { kind: 'threshold', name: 'Checks', metric: 'health_check_status', op: '<', threshold: 1 },
      ],
      { interval: '15s' },
    );
    // ServiceMetrics' request metrics moved to service.* (the seed's names are the HTTP semconv ones).
    expect(yaml).toContain('expr: (sum by (route) (rate(service_errors_total[5m]))) / (sum by (route) (rate(service_requests_total[5m]))) > 0.05');
    expect(yaml).toContain('expr: histogram_quantile(0.99, rate(service_request_duration_seconds_bucket[5m])) > 0.5');
    // The others render as they always did.
    expect(yaml).toContain('expr: histogram_quantile(0.9, rate(performance_phase_duration_seconds_bucket[5m])) > 1');
    expect(yaml).toContain('expr: health_check_status < 1');
  });

  it('fires the same alerts at the same times in promtool and in the SDK', () => {
    const { yaml } = exportPrometheusRules(rules, { interval: `${STEP_S}s` });
    writeFileSync(join(dir, 'rules.yml'), yaml);
    const firing = sdkFiring();
    const tests: Record<string, unknown>[] = [];
    const seen = new Map(rules.map((r) => [r.name, { fired: 0, quiet: 0 }]));
    for (const [i, byRule] of firing) {
      for (const [rule, list] of byRule) {
        seen.get(rule)![list.length > 0 ? 'fired' : 'quiet']++;
        tests.push({
          eval_time: `${i * STEP_S}s`,
          alertname: rule,
          exp_alerts: list.map((a) => {
            const { alertname: _, ...labels } = a.labels;
            return { exp_labels: labels, exp_annotations: a.annotations };
          }),
        });
      }
    }
    // Every rule both fires and is quiet at some point, so the comparison means something.
    for (const [rule, s] of seen) {
      expect(s.fired, `${rule} fires`).toBeGreaterThan(0);
      expect(s.quiet, `${rule} is quiet`).toBeGreaterThan(0);
    }
    const inputSeries = [...inputs().values()].map((s) => ({
      series: `${s.name}{${Object.entries(s.labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`,
      values: s.values.join(' '),
    }));
    writeFileSync(
      join(dir, 'test.yml'),
      stringify({ rule_files: ['rules.yml'], evaluation_interval: `${STEP_S}s`, tests: [{ interval: `${STEP_S}s`, input_series: inputSeries, alert_rule_test: tests }] }, { lineWidth: 0 }),
    );
    const run = spawnSync('promtool', ['test', 'rules', join(dir, 'test.yml')], { encoding: 'utf8', cwd: dir });
    expect(run.stdout + run.stderr).toContain('SUCCESS');
    expect(run.status).toBe(0);
  });

  it('names metrics as /metrics does from the collector itself, with no units given', async () => {
    const m = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'rules-export' }, { registerGlobal: false });
    try {
      const orders = m.collector.counter('shop.orders', { unit: '{order}' });
      orders.add(1, { outcome: 'failed' });
      m.coordinator.startPhase('checkout').end();
      m.coordinator.startPhase('pay').fail(new Error('card declined'));
      const alerting = createAlerting(m, {
        evaluationInterval: '15s',
        start: false,
        rules: [
          { kind: 'threshold', name: 'SlowCheckout', metric: 'performance.phase.duration', matchers: { phase: 'checkout' }, fn: 'quantile', quantile: 0.95, window: '5m', op: '>', threshold: 2 },
          // The seed name reads the same histogram.
          { kind: 'threshold', name: 'SlowAnyPhase', metric: 'performance_phase_duration_seconds', fn: 'quantile', quantile: 0.99, window: '5m', by: ['phase'], op: '>', threshold: 5 },
          // `last` on a counter: the type comes from the collector (a monotonic sum), not from the function.
          { kind: 'threshold', name: 'OrdersFailed', metric: 'shop.orders', matchers: { outcome: 'failed' }, op: '>', threshold: 100 },
          { kind: 'threshold', name: 'OrdersFailing', metric: 'shop.orders', matchers: { outcome: 'failed' }, fn: 'increase', window: '1m', op: '>', threshold: 0 },
          { kind: 'absence', name: 'NoPhases', metric: 'performance.phase.duration', window: '15m' },
          // Seed and OTel names of the same counter: both evaluate over the same series.
          { kind: 'threshold', name: 'PhaseErrorsSeed', metric: 'performance_phase_errors_total', op: '>=', threshold: 1 },
          { kind: 'threshold', name: 'PhaseErrorsOtel', metric: 'performance.phase.errors', op: '>=', threshold: 1 },
        ],
      });
      alerting.evaluate();
      expect(alerting.alerts({ state: 'firing' }).map((a) => [a.labels.alertname, a.labels.phase]).sort()).toEqual([
        ['PhaseErrorsOtel', 'pay'],
        ['PhaseErrorsSeed', 'pay'],
      ]);
      const { yaml } = await alerting.exportPrometheusRules();
      writeFileSync(join(dir, 'collector.yml'), yaml);
      const check = spawnSync('promtool', ['check', 'rules', join(dir, 'collector.yml')], { encoding: 'utf8' });
      expect(check.stdout + check.stderr).toContain('SUCCESS: 7 rules found');
      expect(check.status).toBe(0);
      expect(yaml).toContain('interval: 15s');
      expect(yaml).toContain('expr: histogram_quantile(0.95, rate(performance_phase_duration_seconds_bucket{phase="checkout"}[5m])) > 2');
      expect(yaml).toContain('expr: histogram_quantile(0.99, sum by (le, phase) (rate(performance_phase_duration_seconds_bucket[5m]))) > 5');
      expect(yaml).toContain('expr: shop_orders_total{outcome="failed"} > 100');
      expect(yaml).toContain('expr: increase(shop_orders_total{outcome="failed"}[1m]) > 0');
      expect(yaml).toContain('changes(performance_phase_duration_seconds_count[15m]) == 0');
      expect(yaml).toContain('expr: performance_phase_errors_total >= 1');
      expect(yaml.match(/expr: performance_phase_errors_total >= 1/g)).toHaveLength(2);

      // Every metric name the rules select is a sample name a real scrape of /metrics serves.
      const body = (await createPrometheusEndpoint(m).scrape()).body;
      const served = new Set(body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)![0]));
      const selected = [...yaml.matchAll(/\b([a-z_][a-z0-9_]*)(?=\{|\[| [<>=!])/g)].map((x) => x[1]!).filter((n) => !['rate', 'increase', 'changes', 'absent_over_time', 'by'].includes(n));
      expect(new Set(selected)).toEqual(new Set(['performance_phase_duration_seconds_bucket', 'performance_phase_duration_seconds_count', 'shop_orders_total', 'performance_phase_errors_total']));
      for (const name of selected) expect(served, name).toContain(name);
      expect(body).toMatch(/^performance_phase_duration_seconds_bucket\{.*phase="checkout".*\} 1$/m);
      expect(body).toMatch(/^shop_orders_total\{outcome="failed"\} 1$/m);

      // Without the collector's metadata the same rules miss: this is what `units`/`metrics` fix.
      const bare = exportPrometheusRules([{ kind: 'threshold', name: 'OrdersFailed', metric: 'shop.orders', op: '>', threshold: 100 }]).yaml;
      expect(bare).toContain('expr: shop_orders > 100');
      // An explicit unit still overrides the collector's.
      const overridden = await alerting.exportPrometheusRules({ units: { 'performance.phase.duration': 'ms' } });
      expect(overridden.yaml).toContain('expr: histogram_quantile(0.95, rate(performance_phase_duration_seconds_bucket{phase="checkout"}[5m])) > 0.002');
      expect(() => exportPrometheusRules([], { metrics: m.collector as never })).toThrow(/Invalid metrics: .*collector\.read\(\)/);
    } finally {
      await m.shutdown();
    }
  });
});
