// The quick-start demo: a small HTTP service instrumented by service-infrastructure in DIRECT mode
// (everything in memory, nothing else to install). `npm start` runs it; Ctrl-C stops it.
//
//   GET /orders      handles a fake order in nested phases (validate, reserve stock, charge)
//   GET /snapshot    the coordinator's snapshot: per-phase count, mean, p50/p95/p99, recent records
//   GET /metrics-json  every metric /metrics shows (collector.read(): cells, OTel instruments, health gauges), as JSON
//   GET /metrics     the same in Prometheus text format (OpenMetrics with exemplars on request)
//   GET /health      health checks as application/health+json (also /health/live, /health/ready)
//   GET /orders?fail=1  a failing order: the OrdersFailing alert goes pending, fires, then resolves
//   GET /alerting/alerts  alerts by state (also /alerting/rules, /alerting/silences; see docs/alerting.md)
//   the dashboard (traces, metrics, health, events) on its own port, 9465 by default (DASHBOARD_PORT)
import { createServer } from 'node:http';
import {
  EventLoopHealthChecker,
  LatencyHealthChecker,
  MemoryHealthChecker,
  MonitoringMode,
  PERFORMANCE_METRICS,
  ServiceMetrics,
  createHealthCheckManager,
  createHealthHandler,
  createMonitoring,
  createPrometheusEndpoint,
} from 'service-infrastructure';
import { createAlerting, createAlertingHandler } from 'service-infrastructure/alerting';
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
  new LatencyHealthChecker(collector, { metric: PERFORMANCE_METRICS.phaseDuration, labels: { phase: 'order' }, quantile: 0.95, thresholds: { degraded: 0.5, unhealthy: 2 } }),
  { category: 'system', critical: false, tags: ['readiness'] },
);
health.start();
const healthHandler = createHealthHandler(health, { showDetails: true });

// Alert rules over the demo's own metrics and health, evaluated every 5 s. A failed order
// (/orders?fail=1) makes OrdersFailing pending at the next evaluation, firing 10 s later, and
// resolved once the 30 s window no longer holds a failure: pending → firing → resolved in under a minute.
collector.incrementCounter('orders_total', { outcome: 'failed' }, 0); // the series exists before the first failure
const alerting = createAlerting(monitoring, {
  evaluationInterval: '5s',
  rules: [
    {
      kind: 'threshold', name: 'OrdersFailing', metric: 'orders_total', matchers: { outcome: 'failed' },
      fn: 'increase', window: '30s', op: '>', threshold: 0, for: '10s', severity: 'warning',
      annotations: { summary: '{{ $value }} failed orders in the last 30 s' },
    },
    {
      kind: 'threshold', name: 'SlowCheckout', metric: PERFORMANCE_METRICS.phaseDuration, matchers: { phase: 'order' },
      fn: 'quantile', quantile: 0.95, window: '1m', op: '>', threshold: 0.5, for: '1m', severity: 'warning',
      annotations: { summary: 'p95 of checkout is {{ $value | humanizeDuration }}' },
    },
    { kind: 'health', name: 'SystemUnhealthy', check: 'system', status: 'unhealthy', for: '30s', severity: 'page' },
  ],
  receivers: [{ name: 'console', log: { console: true } }],
  route: { receiver: 'console', groupBy: ['alertname'], groupWait: '0s', groupInterval: '10s', repeatInterval: '1h' },
});
const alertingApi = createAlertingHandler(alerting);
const dashboard = createDashboard(monitoring, { port: Number(process.env.DASHBOARD_PORT ?? 9465), sampleIntervalMs: 2000, alerting });
// Simulated work lasting at least `ms` by performance.now(), the clock phases are timed with. A
// timer alone can end sooner by that clock: Node starts it from the event loop's cached time,
// which lags whenever the process was busy or descheduled since the loop last looked.
const sleep = (ms) =>
  new Promise((resolve) => {
    const until = performance.now() + ms;
    const wait = () => {
      const left = until - performance.now();
      if (left > 0) setTimeout(wait, left);
      else resolve();
    };
    wait();
  });

async function handleOrder(fail = false) {
  return coordinator.measure('order', async (phase) => {
    if (fail) {
      collector.incrementCounter('orders_total', { outcome: 'failed' });
      return { traceId: phase.traceId, paid: false, failed: true };
    }
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
  '/orders': async (url) => {
    const order = await handleOrder(url.searchParams.get('fail') === '1');
    return [order.failed ? 500 : 200, order];
  },
  '/snapshot': async () => [200, coordinator.getSnapshot()],
  // read() is what every exporter sees: the collector's cells and every OTel instrument on the
  // same MeterProvider, health gauges included (getSnapshot() holds the cells only).
  '/metrics-json': async () => [200, await collector.read()],
};

const server = createServer(async (req, res) => {
  if (req.url === '/metrics') return prometheus.handler(req, res);
  if (req.url?.startsWith('/health')) return healthHandler(req, res);
  if (req.url?.startsWith('/alerting')) return alertingApi(req, res);
  const url = new URL(req.url ?? '/', 'http://localhost');
  const route = routes[url.pathname] ? url.pathname : 'unknown';
  const done = http.startRequest(req.method ?? 'GET', route);
  const handler = routes[url.pathname];
  const [status, body] = handler ? await handler(url) : [404, { error: 'not found', routes: Object.keys(routes) }];
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
  console.log(`  ${base}/orders?fail=1 a failing order: watch /alerting/alerts go pending, firing, resolved`);
  console.log(`  ${base}/alerting/alerts  alerts (also /alerting/rules, /alerting/silences)`);
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
