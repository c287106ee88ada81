import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketQuantile } from '../../src/collectors/series.js';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { createPrometheusEndpoint, type PrometheusEndpoint } from '../../src/export/PrometheusEndpoint.js';
import { createMonitoring, type Monitoring } from '../../src/monitoring/createMonitoring.js';
import { createHealthCheckManager } from '../../src/health/createHealthCheckManager.js';
import type { HealthCheckManager } from '../../src/health/HealthCheckManager.js';
import { freePort } from '../helpers/freePort.js';

// A real Prometheus scrapes the app every second; the test asks Prometheus' HTTP API what it stored.

const BUCKETS = [0.1, 0.2, 0.5, 1];
const LATENCIES = [0.05, 0.15, 0.15, 0.3, 0.3, 0.3, 0.7, 0.7, 2];

/** Installs Debian's prometheus when it is missing (as scripts/test.sh does on a fresh machine). */
function ensurePrometheus(): void {
  if (spawnSync('prometheus', ['--version']).status === 0) return;
  const opts = { stdio: 'inherit' as const, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
  const run = (args: string[]) => (process.getuid?.() === 0 ? spawnSync(args[0]!, args.slice(1), opts) : spawnSync('sudo', args, opts));
  run(['apt-get', 'update', '-qq']);
  if (run(['apt-get', 'install', '-y', '-qq', 'prometheus']).status !== 0) throw new Error('prometheus is missing and apt-get install prometheus failed');
}

let monitoring: Monitoring;
let endpoint: PrometheusEndpoint;
let prometheus: ChildProcess | undefined;
let promLog = '';
let dir: string;
let api: string;
let traceIds: string[] = [];
let health: HealthCheckManager;

async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  return body.status === 'success' ? body.data.result : [];
}

/** Polls `expr` until it returns a sample, or fails after the deadline with Prometheus' log. */
async function poll(expr: string, deadlineMs = 30_000): Promise<number> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      const r = await query(expr);
      if (r.length > 0) return Number(r[0]!.value[1]);
    } catch {
      // Prometheus not up yet.
    }
    if (Date.now() > until) throw new Error(`no result for ${expr} within ${deadlineMs} ms; prometheus log:\n${promLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  ensurePrometheus();
  monitoring = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'prom-e2e' }, { registerGlobal: false });
  const c = monitoring.collector;
  c.incrementCounter('orders_total', { region: 'eu' }, 5);
  c.incrementCounter('orders_total', { region: 'us' }, 2);
  c.recordGauge('queue_depth', 42);
  c.recordGauge('memory_usage_mb', 3);
  c.declare('checkout_latency_seconds', 'histogram', { buckets: BUCKETS, description: 'Checkout latency.' });
  for (const v of LATENCIES) c.recordHistogram('checkout_latency_seconds', v);
  for (let i = 0; i < 3; i++) {
    monitoring.coordinator.measure('charge', (phase) => {
      traceIds.push(phase.traceId);
    });
  }
  // Health checks report through observable gauges; one healthy, one failing non-critical check.
  health = createHealthCheckManager(monitoring);
  health.registerCheck('database', { check: async () => ({ status: 'healthy' }) });
  health.registerCheck('search', { check: async () => ({ status: 'unhealthy', reason: 'index offline' }) }, { critical: false });
  await health.checkHealth();
  endpoint = createPrometheusEndpoint(monitoring, { port: 0 });
  const { port: appPort } = await endpoint.listen();

  dir = mkdtempSync(join(tmpdir(), 'prom-e2e-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: app',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${appPort}']`,
      '',
    ].join('\n'),
  );
  const promPort = await freePort();
  api = `http://127.0.0.1:${promPort}`;
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--enable-feature=exemplar-storage',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prometheus.stdout!.on('data', (d: Buffer) => (promLog += d.toString()));
  prometheus.stderr!.on('data', (d: Buffer) => (promLog += d.toString()));
}, 120_000);

afterAll(async () => {
  if (prometheus !== undefined && prometheus.exitCode === null) {
    const exited = new Promise((r) => prometheus!.once('exit', r));
    prometheus.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (prometheus.exitCode === null) prometheus.kill('SIGKILL');
  }
  await endpoint?.shutdown();
  await monitoring?.shutdown();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('Prometheus end to end', () => {
  it('scrapes the app: the target is up', async () => {
    expect(await poll('up{job="app"} == 1')).toBe(1);
  });

  it('stores the counters the app recorded', async () => {
    expect(await poll('orders_total{region="eu"}')).toBe(5);
    expect(await poll('sum(orders_total)')).toBe(7);
  });

  it('computes histogram_quantile over the app histogram as the app does', async () => {
    const read = await monitoring.collector.readMetric('checkout_latency_seconds');
    const series = read?.kind === 'histogram' ? read.series[0] : undefined;
    expect(series).toBeDefined();
    for (const q of [0.5, 0.9]) {
      const expected = bucketQuantile(q, BUCKETS, series!.histogram.counts, series!.histogram.count);
      expect(await poll(`histogram_quantile(${q}, checkout_latency_seconds_bucket)`)).toBeCloseTo(expected, 9);
    }
    expect(await poll('checkout_latency_seconds_count')).toBe(LATENCIES.length);
    expect(await poll('checkout_latency_seconds_sum')).toBeCloseTo(LATENCIES.reduce((a, b) => a + b, 0), 9);
  });

  it('stores the gauges the app recorded, in base units', async () => {
    expect(await poll('queue_depth')).toBe(42);
    expect(await poll('memory_usage_bytes')).toBe(3 * 1024 * 1024);
    // Gauges follow the app: a new value shows up on a later scrape.
    monitoring.collector.recordGauge('queue_depth', 7);
    expect(await poll('queue_depth == 7')).toBe(7);
  });

  it('stores the health gauges the checks reported', async () => {
    expect(await poll('health_check_status{check="database"}')).toBe(1);
    expect(await poll('health_check_status{check="search"}')).toBe(0);
    // A failing non-critical check degrades the system: 0.5.
    expect(await poll('health_status')).toBe(0.5);
    expect(await poll('health_check_duration_seconds{check="database"}')).toBeGreaterThanOrEqual(0);
  });

  it('keeps the resource as target_info and the exemplars of sampled phases', async () => {
    const r = await poll('target_info{service_name="prom-e2e"}');
    expect(r).toBe(1);
    const until = Date.now() + 30_000;
    let found: string[] = [];
    while (found.length === 0 && Date.now() < until) {
      const now = Date.now() / 1000;
      const res = await fetch(`${api}/api/v1/query_exemplars?query=performance_phase_duration_seconds_bucket&start=${now - 600}&end=${now + 60}`);
      const body = (await res.json()) as { data?: { exemplars: { labels: Record<string, string> }[] }[] };
      found = (body.data ?? []).flatMap((s) => s.exemplars.map((e) => e.labels['trace_id'] ?? ''));
      if (found.length === 0) await new Promise((res2) => setTimeout(res2, 250));
    }
    expect(found.length).toBeGreaterThan(0);
    // The bucket keeps the last sampled phase that landed in it.
    expect(traceIds).toContain(found[found.length - 1]);
  });
});
