import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCollector } from '../../src/collectors/MemoryCollector.js';
import { freePort } from '../helpers/freePort.js';

const run = promisify(execFile);

/** The collector's cells, served by OTel's PrometheusExporter (fed through `collector.producer`). */
describe('advanced metrics reach Prometheus through the OTel producer', () => {
  let collector: MemoryCollector;
  let exporter: PrometheusExporter;
  let provider: MeterProvider;
  let server: Server;
  let url: string;
  let prom: ChildProcess | undefined;
  let promDir: string;

  beforeAll(async () => {
    collector = new MemoryCollector({ standalone: false });
    exporter = new PrometheusExporter({ preventServerStart: true, metricProducers: [collector.producer] });
    provider = new MeterProvider({ readers: [collector, exporter] });
    collector.bindMeterProvider(provider);

    const hits = collector.counter('cache_hits_total').bind({ cache: 'users' });
    for (let i = 0; i < 42; i++) hits.inc();
    const latency = collector.histogram('db_query_seconds', { buckets: [0.01, 0.1, 1], sampleOneIn: 2 }).bind({ table: 'orders' });
    for (let i = 0; i < 100; i++) latency.record(0.05);
    const summary = collector.summary('checkout_seconds', { quantiles: [0.5, 0.99] });
    for (let i = 1; i <= 100; i++) summary.record(i / 100, { region: 'eu' });
    const users = collector.hyperLogLog('unique_users');
    for (let i = 0; i < 500; i++) users.add(`user-${i}`);
    collector.reservoir('render_seconds', { quantiles: [0.5] }).record(18);

    server = createServer((req, res) => exporter.getMetricsRequestHandler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`;
    promDir = mkdtempSync(join(tmpdir(), 'si-prom-'));
  });

  afterAll(async () => {
    if (prom !== undefined && prom.exitCode === null) {
      await new Promise<void>((resolve) => {
        prom!.once('exit', () => resolve());
        prom!.kill('SIGTERM');
      });
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await provider.shutdown();
    rmSync(promDir, { recursive: true, force: true });
  });

  it('serves counters, sampled histograms, summaries, reservoirs and HyperLogLog estimates that promtool accepts', async () => {
    const text = await (await fetch(url)).text();
    // The exporter adds otel_scope_* labels after ours; match the sample value per series.
    const value = (name: string, labels: string): number | undefined => {
      const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}`));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    expect(value('cache_hits_total', 'cache="users"')).toBe(42);
    // Sampled one in two and weighted by two: the count is still the number of records.
    expect(value('db_query_seconds_count', 'table="orders"')).toBe(100);
    expect(value('db_query_seconds_bucket', 'table="orders",otel_scope_name="service-infrastructure",otel_scope_version="0.1.0",le="0.1"')).toBe(100);
    expect(value('checkout_seconds_p99', 'region="eu"')).toBeCloseTo(0.99, 2);
    expect(value('checkout_seconds_window_observations', 'region="eu"')).toBe(100);
    expect(value('checkout_seconds_window_mean', 'region="eu"')).toBeCloseTo(0.505, 6);
    expect(Math.abs(value('unique_users', '')! - 500)).toBeLessThan(500 * 3 * 0.0081);
    expect(value('render_seconds_p50', '')).toBe(18);
    const file = join(promDir, 'metrics.txt');
    writeFileSync(file, text);
    const lint = await run('sh', ['-c', `promtool check metrics < ${file}`]).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );
    // promtool exits 0 and prints nothing for a clean exposition (lint findings exit 3).
    expect(lint.out).toBe('');
    expect(lint.code).toBe(0);
  });

  it('a real Prometheus scrapes them and answers queries', async () => {
    const port = await freePort();
    const target = new URL(url).host;
    writeFileSync(
      join(promDir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: ['${target}']\n`,
    );
    prom = spawn(
      'prometheus',
      [`--config.file=${join(promDir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(promDir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: 'ignore' },
    );
    const query = async (q: string): Promise<number | undefined> => {
      try {
        const body = (await (await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as {
          data?: { result?: { value: [number, string] }[] };
        };
        const v = body.data?.result?.[0]?.value[1];
        return v === undefined ? undefined : Number(v);
      } catch {
        return undefined;
      }
    };
    const deadline = Date.now() + 25_000;
    let hll: number | undefined;
    while (Date.now() < deadline && (hll = await query('unique_users')) === undefined) await new Promise((r) => setTimeout(r, 200));
    expect(hll).toBeGreaterThan(480);
    expect(hll).toBeLessThan(520);
    expect(await query('cache_hits_total{cache="users"}')).toBe(42);
    expect(await query('checkout_seconds_p50{region="eu"}')).toBeCloseTo(0.5, 1);
  });
});
