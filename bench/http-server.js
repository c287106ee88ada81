// One hello-world node:http server, instrumented as `process.argv[2]` says. Started fresh for every
// case and round by bench/http.js, which loads it with wrk from another process. Prints
// `listening <port>` once ready.
import { createRequire } from 'node:module';

const which = process.argv[2] ?? 'bare';
const require = createRequire(import.meta.url);
const BODY = 'hello world\n';

async function setup() {
  switch (which) {
    case 'bare':
      return {};
    case 'si-red':
    case 'si-trace':
    case 'si-trace-rate': {
      const si = await import('../dist/index.js');
      const sampler = which === 'si-trace' ? 'always_on' : 'parentbased_rate_limited';
      const monitoring = si.createMonitoring({ mode: si.MonitoringMode.DIRECT, serviceName: 'bench', tracesSampler: sampler, tracesSamplerArg: which === 'si-trace' ? undefined : 100 });
      new si.HttpServerInstrumentation({
        collector: monitoring.collector,
        ...(which === 'si-red' ? {} : { tracerProvider: monitoring.tracerProvider, sampler: monitoring.sampler }),
      }).enable();
      return {
        report: async () => ({
          requests: monitoring.collector.getSeries(si.HTTP_SERVER_DURATION_METRIC).reduce((n, s) => n + (s.histogram?.count ?? 0), 0),
          spans: monitoring.spanStore.total,
        }),
      };
    }
    case 'otel-trace':
    case 'otel-trace-metrics': {
      // OTel's own path: NodeTracerProvider + HttpInstrumentation (monkey-patches http via
      // require-in-the-middle, so the server below is created from require('http')). Spans go to the
      // same in-memory span processor our cases use, so only the instrumentation differs.
      const { NodeTracerProvider } = await import('@opentelemetry/sdk-trace-node');
      const { registerInstrumentations } = await import('@opentelemetry/instrumentation');
      const { HttpInstrumentation } = await import('@opentelemetry/instrumentation-http');
      const { RecentSpanStore } = await import('../dist/index.js');
      const store = new RecentSpanStore(1000);
      const provider = new NodeTracerProvider({ spanProcessors: [store] });
      provider.register();
      let meterProvider;
      let reader;
      if (which === 'otel-trace-metrics') {
        const { MeterProvider } = await import('@opentelemetry/sdk-metrics');
        const { MemoryCollector } = await import('../dist/index.js');
        reader = new MemoryCollector({ standalone: false });
        meterProvider = new MeterProvider({ readers: [reader] });
      }
      registerInstrumentations({
        instrumentations: [new HttpInstrumentation()],
        tracerProvider: provider,
        ...(meterProvider ? { meterProvider } : {}),
      });
      return {
        report: async () => {
          const m = reader ? await reader.readMetric('http.server.request.duration') : undefined;
          return { requests: m ? m.series.reduce((n, s) => n + (s.histogram?.count ?? 0), 0) : undefined, spans: store.total };
        },
      };
    }
    case 'prom-client': {
      // The usual prom-client RED middleware: a histogram timer per request, labelled on finish.
      const client = require('prom-client');
      const registry = new client.Registry();
      const duration = new client.Histogram({
        name: 'http_request_duration_seconds',
        help: 'request duration',
        labelNames: ['method', 'route', 'status_code'],
        registers: [registry],
      });
      const inFlight = new client.Gauge({ name: 'http_requests_in_flight', help: 'in flight', registers: [registry] });
      return {
        report: async () => ({ requests: (await duration.get()).values.find((v) => v.metricName === 'http_request_duration_seconds_count')?.value }),
        wrap(handler) {
          return (req, res) => {
            const end = duration.startTimer();
            inFlight.inc();
            res.on('finish', () => {
              inFlight.dec();
              end({ method: req.method, route: '/', status_code: res.statusCode });
            });
            handler(req, res);
          };
        },
      };
    }
    default:
      throw new Error(`unknown case ${which}`);
  }
}

const { wrap, report } = await setup();
const http = require('http');
// Every case counts requests the same way, so CPU time per request can be reported for all of them:
// unlike req/s it hardly depends on what else the shared machine runs.
let served = 0;
let cpuAtStart;
const handler = (_req, res) => {
  if (served++ === 0) cpuAtStart = process.cpuUsage();
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(BODY);
};
const server = http.createServer(wrap ? wrap(handler) : handler);
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
// On SIGTERM, say what the instrumentation recorded, so the driver can check each case really
// measured what it claims (a case that silently recorded nothing would look fast).
process.on('SIGTERM', async () => {
  const cpu = process.cpuUsage(cpuAtStart);
  const seen = { served, cpuUsPerRequest: Number(((cpu.user + cpu.system) / Math.max(1, served)).toFixed(2)), ...(report ? await report() : {}) };
  process.stdout.write(`done ${JSON.stringify(seen)}\n`);
  process.exit(0);
});
