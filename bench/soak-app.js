// The application the soak test (bench/soak.js) runs and loads: the demo's order handler in
// EVENT_DRIVEN mode, exporting OTLP to the soak's receiver and publishing events to its Redis,
// with a health check that hangs, a Redis cache check, and /metrics. It reports its own figures
// on GET /soak-stats. Configuration comes as one JSON argument from the driver.
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import {
  CacheHealthChecker,
  MemoryHealthChecker,
  MonitoringMode,
  ServiceMetrics,
  createHealthCheckManager,
  createHealthHandler,
  createMonitoring,
  createPrometheusEndpoint,
} from '../dist/index.js';
import { RedisEventPublisher } from '../dist/distributed/index.js';

const cfg = JSON.parse(process.argv[2]);
let unhandled = 0;
process.on('unhandledRejection', (err) => {
  unhandled++;
  if (unhandled <= 5) console.error('unhandled rejection:', err);
});

const monitoring = createMonitoring({
  mode: MonitoringMode.EVENT_DRIVEN,
  serviceName: 'soak-shop',
  otlpEndpoint: cfg.otlp,
  otlpProtocol: 'http/protobuf',
  metricExportInterval: 5000,
  healthCheckInterval: 5,
});
const { coordinator, collector, events } = monitoring;
const http = new ServiceMetrics(collector);
const prometheus = createPrometheusEndpoint(monitoring, { responseTimeoutMs: 5000 });
const publisher = new RedisEventPublisher({ bus: events, redis: cfg.redis, serviceName: 'soak-shop', patterns: ['performance.operation.complete', 'health.*'], bufferSize: 10_000 });
const cacheClient = new Redis(cfg.redis, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 200 });
cacheClient.on('error', () => {});
void cacheClient.connect().catch(() => {});
const health = createHealthCheckManager(monitoring);
health.registerCheck('memory', new MemoryHealthChecker(), { category: 'system' });
health.registerCheck('cache', new CacheHealthChecker(cacheClient), { timeoutMs: 500, critical: false });
// A dependency that never answers: every run times out at its deadline.
health.registerCheck('stuck_dependency', () => new Promise(() => {}), { timeoutMs: 1000, critical: false });
const healthHandler = createHealthHandler(health, { showDetails: true });

let orders = 0;
let operations = 0;
const pause = () => new Promise((resolve) => setImmediate(resolve));
async function handleOrder() {
  orders++;
  return coordinator.measure('order', async () => {
    await coordinator.measure('validate', () => pause());
    await coordinator.measure('charge-card', () => pause());
    coordinator.recordOperation('db.query', 1 + (orders % 7));
    operations++;
    collector.incrementCounter('orders_total', { outcome: orders % 20 === 0 ? 'declined' : 'paid' });
  });
}

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const mem = { rssMin: Infinity, rssMax: 0, heapMin: Infinity, heapMax: 0 };
const sample = setInterval(() => {
  const m = process.memoryUsage();
  mem.rssMin = Math.min(mem.rssMin, m.rss);
  mem.rssMax = Math.max(mem.rssMax, m.rss);
  mem.heapMin = Math.min(mem.heapMin, m.heapUsed);
  mem.heapMax = Math.max(mem.heapMax, m.heapUsed);
}, 1000);
sample.unref();

async function sum(metric, filter = () => true) {
  const s = await collector.readMetric(metric);
  return s?.series.filter((x) => filter(x.labels)).reduce((a, x) => a + (x.value ?? 0), 0) ?? 0;
}

async function stats() {
  return {
    orders,
    operations,
    unhandledRejections: unhandled,
    memory: mem,
    eventLoopDelayMs: { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
    spans: {
      processed: await sum('otel.sdk.processor.span.processed'),
      queueFull: await sum('otel.sdk.processor.span.processed', (l) => l['error.type'] === 'queue_full'),
      exported: await sum('otel.sdk.exporter.span.exported', (l) => l['error.type'] === undefined),
      exportFailed: await sum('otel.sdk.exporter.span.exported', (l) => l['error.type'] !== undefined),
      queued: await sum('otel.sdk.processor.span.queue.size'),
    },
    bus: events.stats(),
    publisher: publisher.stats(),
    health: health.status,
    dropped: collector.droppedRecords(),
  };
}

const server = createServer(async (req, res) => {
  try {
    if (req.url === '/metrics') return prometheus.handler(req, res);
    if (req.url?.startsWith('/health')) return healthHandler(req, res);
    if (req.url === '/soak-stats') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(await stats()));
    }
    if (req.url === '/soak-flush') {
      await monitoring.forceFlush(10_000).catch(() => {});
      const flushed = await publisher.forceFlush(10_000);
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ flushed }));
    }
    const done = http.startRequest(req.method ?? 'GET', '/orders');
    await handleOrder();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
    done(200);
  } catch (err) {
    res.writeHead(500);
    res.end(String(err));
  }
});
server.listen(cfg.port, '127.0.0.1', () => console.log(`ready ${server.address().port}`));
process.on('SIGTERM', async () => {
  server.close();
  await health.shutdown(1000);
  await publisher.shutdown(2000);
  cacheClient.disconnect();
  await monitoring.shutdown(3000);
  process.exit(0);
});
