// One hello-world node:http server, instrumented as `process.argv[2]` says (`case` or
// `case@/path/to/dist/index.js` to run another build of this package). Started by bench/http.js,
// which loads it with wrk from another process. Prints `listening <port>` once ready, then answers
// `stats` and `done` on stdin.
import { createRequire } from 'node:module';

const [which, DIST] = (process.argv[2] ?? 'bare').split('@');
const require = createRequire(import.meta.url);
const BODY = 'hello world\n';
// Traces a second for si-trace-rate (default 100). With sockets of one shape (see "The socket's
// hidden class" in docs/instrumentation.md), 0 and 100 measure the same.
const TRACE_RATE = Number(process.env.TRACE_RATE ?? 100);

/** Subscribes `onStart` and `onFinish` to the http server's request-start and response-finish channels. */
async function subscribeHttp(onStart, onFinish) {
  const dc = await import('node:diagnostics_channel');
  dc.subscribe('http.server.request.start', onStart);
  dc.subscribe('http.server.response.finish', onFinish);
}

/** Subscribes a no-op to the two http server channels, so Node publishes both messages per request. */
const subscribeNoops = () => subscribeHttp(() => {}, () => {});

/** A wrapper that handles each request inside its own AsyncLocalStorage.run, with a fresh store. */
async function contextPerRequest() {
  const { AsyncLocalStorage } = await import('node:async_hooks');
  const als = new AsyncLocalStorage();
  return (handler) => (req, res) => als.run({ req }, handler, req, res);
}

async function setup() {
  switch (which) {
    case 'bare':
      return {};
    case 'bare-als': {
      // The floor for any tracer that propagates context on Node 20: an AsyncLocalStorage that has
      // been entered once, so its init hook runs for every async resource the server creates
      // (about 11 per keep-alive request here: 10 nextTicks and the socket's idle timer).
      const { AsyncLocalStorage } = await import('node:async_hooks');
      new AsyncLocalStorage().enterWith({});
      return {};
    }
    case 'bare-als-run':
      // The floor for any tracer that runs each request's handler in its own context: one
      // AsyncLocalStorage.run per request, with a fresh store (on Node 24 and later each run
      // builds a new AsyncContextFrame; on Node 20 the store's async hooks run as in bare-als).
      return { wrap: await contextPerRequest() };
    case 'bare-dc':
      // The floor for any instrumentation fed by Node's http diagnostics channels: a subscriber
      // that does nothing on the request-start and response-finish channels, so Node builds and
      // publishes the two messages per request.
      await subscribeNoops();
      return {};
    case 'bare-dc-als-run':
      // Both floors at once, what si-trace-rate pays before doing any work of its own.
      await subscribeNoops();
      return { wrap: await contextPerRequest() };
    case 'bare-dc-import':
      // bare-dc in a process that has imported this package and set nothing up: the floor for
      // anything the package's code and heap cost a server before it records a request.
      await subscribeNoops();
      await import(DIST ?? '../dist/index.js');
      return {};
    case 'bare-dc-otel':
      // bare-dc with only the OTel SDK packages this package runs on imported: the part of
      // bare-dc-import that any OTel-based SDK's process has.
      await subscribeNoops();
      await Promise.all((await import('./otel-floor.js')).OTEL_FLOOR.map((name) => import(name)));
      return {};
    case 'bare-dc-apps':
      // bare-dc in a process of a real service's size: Express, Fastify and prom-client loaded and
      // never used (~350 modules, ~6 MB of heap), where the bare server has a 4 MB heap. Node's
      // module cache keeps them loaded.
      await subscribeNoops();
      for (const name of ['express', 'fastify', 'prom-client']) require(name);
      return {};
    case 'bare-dc-red':
    case 'bare-dc-import-red':
    case 'bare-dc-import-red-run':
    case 'bare-dc-import-red-ctx': {
      // bare-dc with the least RED a channel subscriber can record: a clock reading kept on the
      // response at start; at finish one bucket count, a sum and the in-flight count. No labels,
      // no routes, nothing for aborted requests. What any RED instrumentation on these channels
      // pays at least, in a process without this package and in one that has imported it. The
      // last two also give each request a context of its own, as a tracer that samples some
      // requests must (so that work inside a dropped request is not traced): `-run` the usual way,
      // its handler inside an AsyncLocalStorage.run; `-ctx` the cheaper way si-trace-rate takes
      // where Node allows it (24 on), a fresh store entered at request start for the rest of the
      // parser's callback. `-ctx` is the floor for si-trace-rate in a process of its size.
      if (which !== 'bare-dc-red') await import(DIST ?? '../dist/index.js');
      const { performance } = await import('node:perf_hooks');
      const START = Symbol('start');
      // The package's HTTP_DURATION_BUCKETS, written out: bare-dc-red must not import the package.
      const bounds = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
      const counts = new Float64Array(bounds.length + 1);
      let sum = 0;
      let active = 0;
      const onStart = ({ response }) => {
        response[START] = performance.now();
        active++;
      };
      const onFinish = ({ response }) => {
        const seconds = (performance.now() - response[START]) / 1000;
        let i = 0;
        while (i < bounds.length && seconds > bounds[i]) i++;
        counts[i]++;
        sum += seconds;
        active--;
      };
      const report = async () => ({ requests: counts.reduce((a, b) => a + b, 0), seconds: sum, active });
      if (which === 'bare-dc-import-red-ctx') {
        const { AsyncLocalStorage } = await import('node:async_hooks');
        const als = new AsyncLocalStorage();
        await subscribeHttp((message) => {
          onStart(message);
          als.enterWith({ response: message.response });
        }, onFinish);
        return { report };
      }
      await subscribeHttp(onStart, onFinish);
      return { report, ...(which === 'bare-dc-import-red-run' ? { wrap: await contextPerRequest() } : {}) };
    }
    case 'si-red':
    case 'si-trace':
    case 'si-trace-rate': {
      const si = await import(DIST ?? '../dist/index.js');
      const sampler = which === 'si-trace' ? 'always_on' : 'parentbased_rate_limited';
      const monitoring = si.createMonitoring({ mode: si.MonitoringMode.DIRECT, serviceName: 'bench', tracesSampler: sampler, tracesSamplerArg: which === 'si-trace' ? undefined : TRACE_RATE });
      new si.HttpServerInstrumentation({
        collector: monitoring.collector,
        ...(which === 'si-red' ? {} : { tracerProvider: monitoring.tracerProvider, sampler: monitoring.sampler }),
      }).enable();
      return {
        report: async () => ({
          requests: monitoring.collector.getSeries(si.HTTP_SERVER_METRICS?.duration ?? si.HTTP_SERVER_DURATION_METRIC).reduce((n, s) => n + (s.histogram?.count ?? 0), 0),
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
let served = 0;
const handler = (_req, res) => {
  served++;
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(BODY);
};
const server = http.createServer(wrap ? wrap(handler) : handler);
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
// The driver asks for `stats` before and after each load slice (requests served and CPU µs used
// so far), so CPU time per request can be reported for each slice: unlike req/s it hardly depends
// on when the shared machine's neighbours are busy. `done` says what the instrumentation
// recorded, so the driver can check each case really measured what it claims (a case that
// silently recorded nothing would look fast).
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', async (chunk) => {
  input += chunk;
  let nl;
  while ((nl = input.indexOf('\n')) >= 0) {
    const command = input.slice(0, nl);
    input = input.slice(nl + 1);
    if (command === 'stats') {
      const cpu = process.cpuUsage();
      process.stdout.write(`stats ${JSON.stringify({ served, cpuUs: cpu.user + cpu.system })}\n`);
    } else if (command === 'done') {
      process.stdout.write(`done ${JSON.stringify({ served, ...(report ? await report() : {}) })}\n`);
      process.exit(0);
    }
  }
});
