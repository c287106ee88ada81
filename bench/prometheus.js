// Serialising 10,000 histogram series for /metrics, side by side in one process:
//   otel        OTel SDK histogram -> reader.collect() -> @opentelemetry/exporter-prometheus' PrometheusSerializer
//   prom-client prom-client Histogram -> register.metrics()
//   ours        MemoryCollector cells -> collector.collect() (OTel data, the one export route) -> our PrometheusSerializer (buffers)
//   ours/otel   our PrometheusSerializer over the very data the `otel` case collected (same input)
//   served      a real GET /metrics (by curl, another process) of the `ours` data through PrometheusEndpoint
// Each round runs every case once, in rotating order; the table shows medians over the rounds.
// "max block" is the longest gap seen by a 1 ms setInterval probe while the case ran, minus 1 ms.
//
// Run: npm run build && node bench/prometheus.js [rounds=7] [series=10000]
import { performance } from 'node:perf_hooks';
import { createServer } from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AggregationType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { PrometheusSerializer as OtelSerializer } from '@opentelemetry/exporter-prometheus';
import client from 'prom-client';
import { MemoryCollector, PrometheusEndpoint, PrometheusSerializer } from '../dist/index.js';

const execFileP = promisify(execFile);
const ROUNDS = Number(process.argv[2] ?? 7);
const SERIES = Number(process.argv[3] ?? 10_000);
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const methods = ['GET', 'POST', 'PUT', 'DELETE'];
const statuses = ['200', '201', '400', '404', '500'];

function labelsOf(i) {
  return { route: `/api/v1/items/${Math.floor(i / 20)}`, method: methods[i % 4], status: statuses[Math.floor(i / 4) % 5] };
}

// --- the three metric stores, each with SERIES label sets of one histogram ---
class PlainReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}
const otelReader = new PlainReader();
const otelProvider = new MeterProvider({
  readers: [otelReader],
  views: [{ instrumentName: 'http_request_duration_seconds', aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: BUCKETS } }, aggregationCardinalityLimit: SERIES + 10 }],
});
// OTel's default per-instrument cardinality limit is 2000: raise it so the case really has SERIES series.
const otelHist = otelProvider.getMeter('bench').createHistogram('http_request_duration_seconds', { unit: 's', advice: { explicitBucketBoundaries: BUCKETS } });

const registry = new client.Registry();
const promHist = new client.Histogram({ name: 'http_request_duration_seconds', help: 'Request duration.', labelNames: ['route', 'method', 'status'], buckets: BUCKETS, registers: [registry] });

const collector = new MemoryCollector({ maxCardinality: SERIES + 10 });
collector.declare('http_request_duration_seconds', 'histogram', { unit: 's', buckets: BUCKETS, description: 'Request duration.' });

for (let i = 0; i < SERIES; i++) {
  const l = labelsOf(i);
  for (let k = 0; k < 3; k++) {
    const v = ((i * 7 + k * 13) % 1000) / 400;
    otelHist.record(v, l);
    promHist.observe(l, v);
    collector.recordHistogram('http_request_duration_seconds', v, l);
  }
}

const otelSerializer = new OtelSerializer();
const ours = new PrometheusSerializer();
const endpoint = new PrometheusEndpoint(collector, { host: '127.0.0.1', port: 0 });
const server = createServer(endpoint.handler);
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/metrics`;

let otelCollected;
const cases = {
  // No work: the probe's own noise floor on this (shared) machine, for reading "max block".
  idle: () => new Promise((r) => setTimeout(() => r(0), 150)),
  otel: async () => {
    const { resourceMetrics } = await otelReader.collect();
    otelCollected = resourceMetrics;
    return otelSerializer.serialize(resourceMetrics).length;
  },
  'prom-client': async () => (await registry.metrics()).length,
  // What the endpoint does: collect() (the cells through their MetricProducer, beside any OTel
  // instrument), output as buffers ready for res.write().
  ours: async () => {
    const { resourceMetrics } = await collector.collect();
    let bytes = 0;
    for (const chunk of ours.chunks(resourceMetrics, false)) bytes += chunk.length;
    return bytes;
  },
  'ours/otel': async () => {
    otelCollected ??= (await otelReader.collect()).resourceMetrics;
    let bytes = 0;
    for (const chunk of ours.chunks(otelCollected)) bytes += chunk.length;
    return bytes;
  },
  // The scraper is another process (curl), so only the server's own work shows in "max block".
  served: async () => {
    const { stdout } = await execFileP('curl', ['-s', '-o', '/dev/null', '-w', '%{size_download}', url]);
    return Number(stdout);
  },
};

async function measure(fn) {
  let last = performance.now();
  let maxGap = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    if (now - last > maxGap) maxGap = now - last;
    last = now;
  }, 1);
  // Let the probe start ticking before the work begins.
  await new Promise((r) => setTimeout(r, 5));
  last = performance.now();
  maxGap = 0;
  const t0 = performance.now();
  const bytes = await fn();
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 2));
  clearInterval(probe);
  return { ms, block: Math.max(0, maxGap - 1), bytes };
}

const names = Object.keys(cases);
const results = Object.fromEntries(names.map((n) => [n, { ms: [], block: [], bytes: 0 }]));
for (const n of names) await measure(cases[n]); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  for (let j = 0; j < names.length; j++) {
    const n = names[(j + r) % names.length];
    const m = await measure(cases[n]);
    results[n].ms.push(m.ms);
    results[n].block.push(m.block);
    results[n].bytes = m.bytes;
  }
}
server.close();

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const base = median(results['prom-client'].ms);
const sorted = (a) => [...a].sort((x, y) => x - y).map((v) => v.toFixed(0)).join(' ');
console.log(`# ${SERIES} histogram series x ${BUCKETS.length + 1} buckets, 3 labels; ${ROUNDS} rounds, medians; node ${process.version}; ${new Date().toISOString()}`);
console.log('case          total ms   max block ms   vs prom-client   bytes   (max block per round, sorted)');
for (const n of names) {
  const ms = median(results[n].ms);
  console.log(
    `${n.padEnd(12)} ${ms.toFixed(1).padStart(9)} ${median(results[n].block).toFixed(1).padStart(14)} ${(ms / base).toFixed(2).padStart(15)}x ${String(results[n].bytes).padStart(9)}   (${sorted(results[n].block)})`,
  );
}
