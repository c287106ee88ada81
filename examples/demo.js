// The quick-start demo: a small HTTP service instrumented by service-infrastructure in DIRECT mode
// (everything in memory, nothing else to install). `npm start` runs it; Ctrl-C stops it.
//
//   GET /orders      handles a fake order in nested phases (validate, reserve stock, charge)
//   GET /snapshot    the coordinator's snapshot: per-phase count, mean, p50/p95/p99, recent records
//   GET /metrics-json  every metric /metrics shows (collector.read(): cells, OTel instruments, health gauges), as JSON
//   GET /metrics     the same in Prometheus text format (OpenMetrics with exemplars on request)
//   GET /health      health checks as application/health+json (also /health/live, /health/ready)
//   the dashboard (traces, metrics, health, events) on its own port, 9465 by default (DASHBOARD_PORT)
import { createServer } from 'node:http';
import {
  EventLoopHealthChecker,
  LatencyHealthChecker,
  MemoryHealthChecker,
  MonitoringMode,
  PHASE_DURATION_METRIC,
  ServiceMetrics,
  createHealthCheckManager,
  createHealthHandler,
  createMonitoring,
  createPrometheusEndpoint,
} from 'service-infrastructure';
import { createDashboard } from 'service-infrastructure/dashboard';

// DIRECT unless MONITORING_MODE says otherwise (settings read it from the environment).
const monitoring = createMonitoring({
  ...(process.env.MONITORING_MODE ? {} : { mode: MonitoringMode.DIRECT }),
  serviceName: process.env.OTEL_SERVICE_NAME ?? 'demo-shop',
});
const { coordinator, collector } = monitoring;
const http = new ServiceMetrics(collector);
const prometheus = createPrometheusEndpoint(monitoring);
const health = createHealthCheckManager(monitoring);
health.registerCheck('memory', new MemoryHealthChecker(), { category: 'system', tags: ['liveness'] });
health.registerCheck('event_loop', new EventLoopHealthChecker(), { category: 'system', critical: false });
health.registerCheck(
  'checkout_latency',
  new LatencyHealthChecker(collector, { metric: PHASE_DURATION_METRIC, labels: { phase: 'order' }, quantile: 0.95, thresholds: { degraded: 0.5, unhealthy: 2 } }),
  { category: 'system', critical: false, tags: ['readiness'] },
);
health.start();
const healthHandler = createHealthHandler(health, { showDetails: true });
const dashboard = createDashboard(monitoring, { port: Number(process.env.DASHBOARD_PORT ?? 9465), sampleIntervalMs: 2000 });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function handleOrder() {
  return coordinator.measure('order', async (phase) => {
    await coordinator.measure('validate', () => sleep(1 + Math.random() * 2));
    await coordinator.measure('reserve-stock', () => sleep(2 + Math.random() * 5));
    const paid = await coordinator.measure('charge-card', async () => {
      await sleep(3 + Math.random() * 10);
      return Math.random() > 0.05;
    });
    if (Math.random() < 0.7) http.recordCacheHit('catalog');
    else http.recordCacheMiss('catalog');
    collector.incrementCounter('orders_total', { outcome: paid ? 'paid' : 'declined' });
    return { traceId: phase.traceId, paid };
  });
}

const routes = {
  '/orders': async () => [200, await handleOrder()],
  '/snapshot': async () => [200, coordinator.getSnapshot()],
  // read() is what every exporter sees: the collector's cells and every OTel instrument on the
  // same MeterProvider, health gauges included (getSnapshot() holds the cells only).
  '/metrics-json': async () => [200, await collector.read()],
};

const server = createServer(async (req, res) => {
  if (req.url === '/metrics') return prometheus.handler(req, res);
  if (req.url?.startsWith('/health')) return healthHandler(req, res);
  const route = routes[req.url ?? ''] ? req.url : 'unknown';
  const done = http.startRequest(req.method ?? 'GET', route);
  const handler = routes[req.url ?? ''];
  const [status, body] = handler ? await handler() : [404, { error: 'not found', routes: Object.keys(routes) }];
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body, null, 2));
  done(status);
});

// Some traffic of its own, so there is something to look at straight away.
const traffic = setInterval(() => void handleOrder(), 200);
traffic.unref();

server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  const { port } = server.address();
  const base = `http://127.0.0.1:${port}`;
  console.log(`demo-shop listening on ${base} (mode ${monitoring.settings.mode})`);
  console.log(`  ${base}/orders        place an order (nested phases, spans with trace ids)`);
  console.log(`  ${base}/snapshot      per-phase timings with p50/p95/p99 and the recent records`);
  console.log(`  ${base}/metrics-json  every metric, as JSON (the same set as /metrics)`);
  console.log(`  ${base}/metrics       Prometheus text format (point a Prometheus scrape job here)`);
  console.log(`  ${base}/health        health checks (application/health+json)`);
  dashboard.listen().then(
    ({ url }) => console.log(`dashboard: ${url}  (traces, metrics explorer, health, events)`),
    (err) => console.error(`dashboard did not start: ${err.message}`),
  );
});

async function stop() {
  clearInterval(traffic);
  server.close();
  await dashboard.shutdown(1000);
  await monitoring.shutdown(2000);
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
