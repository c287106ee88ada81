// Distributed monitoring benchmark (issue 5).
//
//   npm run build && node bench/distributed.js [--rounds 5] [--events 100000]
//
// Starts its own redis-server (no persistence) on a free port, then measures, in one run:
//  1. the application's hot-path cost of one event, ns/op: a bus.publish() with and without the
//     RedisEventPublisher subscribed, the publisher's handler alone, next to what a naive direct
//     ioredis XADD per event and the peers' record calls (OTel counter, prom-client counter) cost;
//  2. throughput in events/s: publisher → Redis (pipelined XADD), and publisher → Redis →
//     aggregator(s) in worker threads → rollups in Redis, until the query API sees every event.
// Cases are interleaved and repeated; medians are printed. On a shared machine expect noise.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setImmediate as yieldLoop, setTimeout as sleep } from 'node:timers/promises';
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';
import { Redis } from 'ioredis';
import { EventBus } from 'service-infrastructure';
import { RedisAggregator, RedisEventPublisher, RedisRollupQuery } from 'service-infrastructure/redis';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function freePort() {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function startRedis() {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => {
    let out = '';
    proc.stdout.on('data', (c) => {
      out += c;
      if (out.includes('Ready to accept connections')) resolve();
    });
  });
  return { url: `redis://127.0.0.1:${port}`, stop: () => proc.kill('SIGKILL') };
}

const ATTRS = { route: '/checkout', method: 'POST', status: '200' };

async function hotPath(redisUrl, rounds) {
  const N = 20_000;
  const { MeterProvider, PeriodicExportingMetricReader, InMemoryMetricExporter, AggregationTemporality } = await import('@opentelemetry/sdk-metrics');
  const prom = await import('prom-client');

  const plainBus = new EventBus();
  const noopBus = new EventBus();
  noopBus.subscribe('*', () => {}, { async: false });
  const bus = new EventBus();
  const publisher = new RedisEventPublisher({ bus, redis: redisUrl, serviceName: 'bench', instanceId: 'bench-hot', stream: 'bench:hot', bufferSize: N * 2, maxLen: 100_000 });
  const raw = new Redis(redisUrl);
  await Promise.all([new Promise((r) => raw.once('ready', r)), sleep(200)]);
  // A reader is attached so the SDK really aggregates (without one, add() has no storage to update).
  const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const otelCounter = meterProvider.getMeter('bench').createCounter('otel_counter');
  const registry = new prom.Registry();
  const promCounter = new prom.Counter({ name: 'prom_counter', help: 'h', labelNames: ['route', 'method', 'status'], registers: [registry] });
  const event = { type: 'performance.metric.recorded', name: 'latency_ms', value: 12.5, timestamp: Date.now(), attributes: ATTRS, traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
  const input = { name: 'latency_ms', value: 12.5, attributes: ATTRS, traceId: event.traceId, spanId: event.spanId };
  const onEvent = publisher._onEvent; // the handler the bus calls: what the publisher adds per event

  // Each case runs `chunk` calls at a time, the cases taking turns chunk by chunk (so load spikes
  // on this shared machine hit them alike), with the publisher's flush between chunks outside
  // the timing: events stay buffered about as long as in an app flushing every 20 ms.
  const chunk = 2000;
  const cases = {
    'bus.publish, no subscriber': (n) => { for (let i = 0; i < n; i++) plainBus.publish('performance.metric.recorded', input); },
    'bus.publish, no-op subscriber': (n) => { for (let i = 0; i < n; i++) noopBus.publish('performance.metric.recorded', input); },
    'bus.publish + RedisEventPublisher': (n) => { for (let i = 0; i < n; i++) bus.publish('performance.metric.recorded', input); },
    'RedisEventPublisher handler alone': (n) => { for (let i = 0; i < n; i++) onEvent(event); },
    'naive: ioredis XADD per event': (n) => { for (let i = 0; i < n; i++) raw.xadd('bench:naive', 'MAXLEN', '~', 100000, '*', 'v', '1', 'd', JSON.stringify(event)).catch(() => {}); },
    'OTel counter.add, 3 attributes': (n) => { for (let i = 0; i < n; i++) otelCounter.add(1, ATTRS); },
    'prom-client counter.inc, 3 labels': (n) => { for (let i = 0; i < n; i++) promCounter.inc(ATTRS); },
  };
  const results = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let r = 0; r < rounds + 1; r++) {
    const total = Object.fromEntries(Object.keys(cases).map((k) => [k, 0]));
    for (let c = 0; c < N / chunk; c++) {
      for (const [name, fn] of Object.entries(cases)) {
        const t0 = process.hrtime.bigint();
        fn(chunk);
        total[name] += Number(process.hrtime.bigint() - t0);
        await publisher.forceFlush(10_000);
        await raw.ping();
        await yieldLoop();
      }
    }
    if (r > 0) for (const name of Object.keys(cases)) results[name].push(total[name] / N); // round 0 warms up
  }
  const stats = publisher.stats();
  await publisher.shutdown();
  await meterProvider.shutdown();
  raw.disconnect();
  console.log(`\n1) hot path per event (median of ${rounds} rounds × ${N} calls; lower is better)`);
  const floor = median(results['bus.publish, no subscriber']);
  for (const [name, xs] of Object.entries(results)) {
    console.log(`   ${name.padEnd(38)} ${median(xs).toFixed(1).padStart(8)} ns/op   ×${(median(xs) / floor).toFixed(2)} of bare bus.publish`);
  }
  // The bus builds the event object for any subscriber; what the publisher itself adds is the
  // difference to a bus with a no-op subscriber (and, measured directly, its handler alone).
  const added = median(results['bus.publish + RedisEventPublisher']) - median(results['bus.publish, no-op subscriber']);
  console.log(`   → publisher adds ${added.toFixed(1)} ns to a bus.publish that has a subscriber anyway; its handler alone ${median(results['RedisEventPublisher handler alone']).toFixed(1)} ns (target < 1000 ns); dropped ${stats.dropped}, sent ${stats.sent}`);
}

async function throughput(redisUrl, events, rounds) {
  console.log(`\n2) throughput, ${events} events per run (median of ${rounds} runs; higher is better)`);
  const admin = new Redis(redisUrl);
  const results = { raw: [], publish: [], agg1: [], agg2: [] };
  const sample = JSON.stringify({ id: 'raw-1', service: 'bench', instance: 'raw', event: { type: 'performance.metric.recorded', name: 'latency_ms', value: 12.5, timestamp: Date.now(), attributes: { route: '/a' } } });
  for (let r = 0; r < rounds; r++) {
    {
      // Ceiling: pre-serialised entries, pipelined XADD in batches of 1000, one batch in flight.
      const t0 = performance.now();
      for (let b = 0; b < events; b += 1000) {
        const p = admin.pipeline();
        for (let i = b; i < Math.min(events, b + 1000); i++) p.xadd('raw:events', 'MAXLEN', '~', events * 2, '*', 'v', '1', 'd', sample);
        await p.exec();
      }
      results.raw.push(events / ((performance.now() - t0) / 1000));
      await admin.del('raw:events');
    }
    for (const aggregators of [1, 2]) {
      const tag = `tp${r}-${aggregators}`;
      const stream = `${tag}:events`;
      const workers = Array.from({ length: aggregators }, (_, i) =>
        new Worker(new URL(import.meta.url), { workerData: { redis: redisUrl, stream, group: 'g', prefix: tag, consumer: `agg-${i}` } }));
      await sleep(300); // workers start and create the group
      const bus = new EventBus();
      const publisher = new RedisEventPublisher({ bus, redis: redisUrl, serviceName: 'bench', instanceId: `p-${tag}`, stream, bufferSize: events, batchSize: 1000, flushIntervalMs: 0, maxLen: events * 2 });
      const query = new RedisRollupQuery({ redis: redisUrl, prefix: tag });
      await sleep(100);
      const t0 = performance.now();
      for (let i = 0; i < events; i++) {
        bus.publish('performance.metric.recorded', { name: 'latency_ms', value: 1 + (i % 1000), attributes: i % 2 ? { route: '/a' } : { route: '/b' } });
        if (i % 5000 === 4999) await yieldLoop();
      }
      await publisher.forceFlush(60_000);
      const tPublished = performance.now();
      const now = Date.now();
      for (;;) {
        const s = await query.summary({ metric: 'latency_ms', windowSeconds: 60, from: now - 3_600_000, to: now + 60_000 });
        if (s.count >= events) break;
        await sleep(20);
      }
      const tAggregated = performance.now();
      if (aggregators === 1) results.publish.push(events / ((tPublished - t0) / 1000));
      results[`agg${aggregators}`].push(events / ((tAggregated - t0) / 1000));
      const stats = await Promise.all(workers.map((w) => new Promise((resolve) => { w.once('message', resolve); w.postMessage('stop'); })));
      await Promise.all(workers.map((w) => w.terminate()));
      if (stats.some((s) => s.duplicates > 0 || s.malformed > 0)) console.log('   unexpected:', stats);
      await publisher.shutdown();
      await query.shutdown();
      await admin.del(stream);
    }
  }
  admin.disconnect();
  const fmt = (xs) => `${Math.round(median(xs)).toLocaleString('en-US').padStart(9)} events/s   (runs: ${xs.map((x) => Math.round(x)).join(', ')})`;
  console.log(`   raw ioredis pipelined XADD (ceiling)           ${fmt(results.raw)}`);
  console.log(`   publisher → Redis (aggregator busy alongside)  ${fmt(results.publish)}`);
  console.log(`   publisher → Redis → 1 aggregator → rollups    ${fmt(results.agg1)}`);
  console.log(`   publisher → Redis → 2 aggregators → rollups   ${fmt(results.agg2)}`);
}

async function main() {
  const rounds = arg('rounds', 5);
  const events = arg('events', 100_000);
  const redis = await startRedis();
  console.log(`distributed bench: node ${process.version}, ${new Date().toISOString()}, redis at ${redis.url}`);
  try {
    await hotPath(redis.url, rounds);
    await throughput(redis.url, events, Math.max(1, Math.min(rounds, 3)));
  } finally {
    redis.stop();
  }
  process.exit(0);
}

if (!isMainThread) {
  // Aggregator worker: consumes until told to stop, then reports its stats.
  const agg = new RedisAggregator({ ...workerData, blockMs: 100 }).start();
  parentPort.on('message', async () => {
    await agg.shutdown(5000);
    parentPort.postMessage(agg.stats());
  });
} else {
  await main();
}
