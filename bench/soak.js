// Soak test, run by hand: node bench/soak.js --minutes 10
//
// Starts bench/soak-app.js (the demo's order handler in EVENT_DRIVEN mode) and, for the given
// time, loads it with wrk on loopback while the faults the SDK must ride out come and go:
//   - the OTLP receiver goes down for 20 s of every 60 s (port closed, connections cut);
//   - Redis is killed (SIGKILL) every 90 s and restarted 15 s later;
//   - a scraper sends GET /metrics and never reads (a new one every 30 s);
//   - a health check that never answers is registered in the app.
// At the end the faults stop, the app flushes, and the report shows RSS and heap min/max, event
// loop delay p99, unhandled rejections, and spans and events produced against delivered + counted
// drops. Needs: npm run build, redis-server and wrk on PATH (Debian: redis-server, wrk).
import { spawn } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer } from 'node:net';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

const args = process.argv.slice(2);
const minutes = Number(args[args.indexOf('--minutes') + 1] ?? 10);
if (!(minutes > 0)) throw new Error('usage: node bench/soak.js --minutes N');
const durationMs = minutes * 60_000;
const connections = Number(process.env.SOAK_CONNECTIONS ?? 16);

const freePort = () => new Promise((resolve, reject) => {
  const s = createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

// --- OTLP receiver that counts spans, and can go down and come back on the same port ----------
const root = createRequire(import.meta.url)('otlp-proto-decoder/build/src/generated/root.js');
const TraceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const receiver = { spans: 0, requests: 0, downs: 0, server: undefined, sockets: new Set() };
const otlpPort = await freePort();
async function receiverUp() {
  const server = createHttpServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        receiver.requests++;
        const msg = TraceRequest.decode(Buffer.concat(chunks));
        for (const rs of msg.resourceSpans) for (const ss of rs.scopeSpans) receiver.spans += ss.spans.length;
      }
      res.setHeader('content-type', 'application/x-protobuf');
      res.end();
    });
  });
  server.on('connection', (s) => {
    receiver.sockets.add(s);
    s.on('close', () => receiver.sockets.delete(s));
  });
  await new Promise((r) => server.listen(otlpPort, '127.0.0.1', r));
  receiver.server = server;
}
async function receiverDown(fault = true) {
  const server = receiver.server;
  receiver.server = undefined;
  if (!server) return;
  if (fault) receiver.downs++;
  for (const s of receiver.sockets) s.destroy();
  await new Promise((r) => server.close(r));
}

// --- Redis that can be killed and restarted -------------------------------------------------------
const redisPort = await freePort();
const redisDir = mkdtempSync(join(tmpdir(), 'si-soak-'));
let redisProc;
let redisKills = 0;
async function redisUp() {
  redisProc = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', redisDir], { stdio: 'ignore' });
  const probe = new Redis({ port: redisPort, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: 0 });
  probe.on('error', () => {});
  for (let i = 0; i < 200; i++) {
    try {
      await probe.connect().catch(() => {});
      if ((await probe.ping()) === 'PONG') break;
    } catch {
      await sleep(50);
    }
  }
  probe.disconnect();
}
async function redisKill() {
  redisKills++;
  const p = redisProc;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await exited;
}

// --- The app ---------------------------------------------------------------------------------------
await receiverUp();
await redisUp();
const appPort = await freePort();
const app = spawn(process.execPath, [new URL('./soak-app.js', import.meta.url).pathname, JSON.stringify({ port: appPort, otlp: `http://127.0.0.1:${otlpPort}`, redis: `redis://127.0.0.1:${redisPort}` })], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((resolve) => app.stdout.on('data', (c) => String(c).includes('ready') && resolve()));
const base = `http://127.0.0.1:${appPort}`;
console.log(`soak: ${minutes} min, wrk -c${connections} on ${base}/orders; OTLP receiver :${otlpPort}; redis :${redisPort}`);

// --- Faults on a schedule --------------------------------------------------------------------------
const started = Date.now();
const timers = [];
let stalledScrapers = 0;
const stalled = [];
timers.push(setInterval(async () => {
  await receiverDown();
  setTimeout(() => void receiverUp(), 20_000);
}, 60_000));
timers.push(setInterval(async () => {
  await redisKill();
  setTimeout(() => void redisUp(), 15_000);
}, 90_000));
const stallScraper = () => {
  const s = connect(appPort, '127.0.0.1');
  s.on('error', () => {});
  s.write('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  s.pause();
  stalled.push(s);
  stalledScrapers++;
};
stallScraper();
timers.push(setInterval(stallScraper, 30_000));
// A well-behaved scraper and a readiness probe alongside, counting their answers.
const probes = { scrapes: 0, scrapeFailures: 0, health: {} };
timers.push(setInterval(async () => {
  try {
    const r = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) });
    await r.arrayBuffer();
    if (r.status === 200) probes.scrapes++;
    else probes.scrapeFailures++;
  } catch {
    probes.scrapeFailures++;
  }
  try {
    const h = await fetch(`${base}/health`, { signal: AbortSignal.timeout(10_000) });
    await h.arrayBuffer();
    probes.health[h.status] = (probes.health[h.status] ?? 0) + 1;
  } catch {
    probes.health.error = (probes.health.error ?? 0) + 1;
  }
}, 5_000));

// --- Load ------------------------------------------------------------------------------------------
const wrk = spawn('wrk', ['-t2', `-c${connections}`, `-d${Math.round(durationMs / 1000)}s`, '--latency', `${base}/orders`], { stdio: ['ignore', 'pipe', 'inherit'] });
let wrkOut = '';
wrk.stdout.on('data', (c) => (wrkOut += c));
const progress = setInterval(async () => {
  try {
    const s = await (await fetch(`${base}/soak-stats`)).json();
    console.log(`t+${Math.round((Date.now() - started) / 1000)}s orders ${s.orders} rss ${(s.memory.rssMax / 1048576).toFixed(0)} MB heap ${(s.memory.heapMax / 1048576).toFixed(0)} MB loop p99 ${s.eventLoopDelayMs.p99.toFixed(1)} ms spans queued ${s.spans.queued} publisher buffered ${s.publisher.buffered}`);
  } catch (err) {
    console.log(`stats unavailable: ${err.message}`);
  }
}, 30_000);
await new Promise((r) => wrk.once('exit', r));

// --- Recovery and accounting -------------------------------------------------------------------------
for (const t of timers) clearInterval(t);
clearInterval(progress);
for (const s of stalled) s.destroy();
if (!receiver.server) await receiverUp();
if (redisProc.exitCode !== null || redisProc.signalCode !== null) await redisUp();
let final;
for (let i = 0; i < 30; i++) {
  await fetch(`${base}/soak-flush`).then((r) => r.json()).catch(() => undefined);
  final = await (await fetch(`${base}/soak-stats`)).json();
  if (final.spans.queued === 0 && final.publisher.buffered === 0) break;
  await sleep(1000);
}
const redis = new Redis({ port: redisPort, host: '127.0.0.1' });
const streamLength = await redis.xlen('si:events');
redis.disconnect();
app.kill('SIGTERM');
await new Promise((r) => app.once('exit', r));
redisProc.kill('SIGKILL');
await receiverDown(false);
rmSync(redisDir, { recursive: true, force: true });

const s = final.spans;
const p = final.publisher;
const report = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  minutes,
  wrk: wrkOut.split('\n').filter((l) => /Requests\/sec|requests in|Latency|99%|Socket errors|Non-2xx/.test(l)).map((l) => l.trim()),
  faults: { otlpDowns: receiver.downs, redisKills, stalledScrapers },
  orders: final.orders,
  memoryMiB: { rssMin: +(final.memory.rssMin / 2 ** 20).toFixed(1), rssMax: +(final.memory.rssMax / 2 ** 20).toFixed(1), heapMin: +(final.memory.heapMin / 2 ** 20).toFixed(1), heapMax: +(final.memory.heapMax / 2 ** 20).toFixed(1) },
  eventLoopDelayMs: final.eventLoopDelayMs,
  unhandledRejections: final.unhandledRejections,
  spans: { produced: s.processed, delivered: receiver.spans, droppedQueueFull: s.queueFull, droppedExportFailed: s.exportFailed, stillQueued: s.queued, accountedFor: receiver.spans + s.queueFull + s.exportFailed + s.queued === s.processed },
  events: { produced: p.enqueued, sent: p.sent, dropped: p.dropped, unencodable: p.unencodable, buffered: p.buffered, streamLength, accountedFor: p.sent + p.dropped + p.unencodable + p.buffered === p.enqueued },
  probes,
  health: final.health,
  recordsDropped: final.dropped,
};
console.log(JSON.stringify(report, null, 2));
process.exit(0);
