import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt } from '../helpers/build.js';
import { freePort } from '../helpers/freePort.js';
import { waitFor } from '../helpers/wait.js';
import { ServerProcess, goBinaries } from './helpers/stack.js';

// The path users take, with real processes on free ports: two services started with
// `node --import service-infrastructure/register` (A calls B over HTTP) export OTLP/HTTP to a real
// OpenTelemetry Collector running the shipped otel-collector.yaml (only its ports overridden, with
// --set and the file's own env variables), which sends traces to Jaeger v2 (in-memory storage) and
// serves metrics that a real Prometheus scrapes. Everything is checked where a person would look:
// Jaeger's HTTP query API (what its UI reads) and Prometheus' HTTP API.

/**
 * How long the Collector stays down in the outage test (SI_E2E_OUTAGE_MS, 30 s by default). OTel
 * JS's OTLP exporter gives up on a batch after its own retries (about 6.5 s with the default 10 s
 * export timeout, which the services here keep); the SDK's retry buffer then keeps the batch and
 * retries it, up to `exportBufferSpans` spans for `exportBufferMaxAge` (60 s) after its first
 * failure (docs/export.md, "When the Collector is down").
 */
const OUTAGE_MS = Number(process.env.SI_E2E_OUTAGE_MS ?? 30_000);

interface JaegerKeyValue {
  key: string;
  type: string;
  value: unknown;
}
interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; spanID: string }[];
  tags: JaegerKeyValue[];
  logs: { fields: JaegerKeyValue[] }[];
  processID: string;
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: JaegerKeyValue[] }>;
}

const A = 'e2e-checkout';
const B = 'e2e-pricing';

let dir: string;
let bins: { otelcol: string; jaeger: string };
let jaeger: ServerProcess;
let collector: ServerProcess;
let prometheus: ServerProcess;
const services: ServerProcess[] = [];
let jaegerApi: string;
let promApi: string;
let checkoutUrl: string;
let collectorArgs: string[];
let collectorEnv: Record<string, string>;
let collectorHealth: string;

function logs(): string {
  return [jaeger, collector, prometheus, ...services].filter((p) => p !== undefined).map((p) => p.tail(1500)).join('\n');
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

function tag(span: { tags: JaegerKeyValue[] }, key: string): unknown {
  return span.tags.find((t) => t.key === key)?.value;
}

function serviceOf(trace: JaegerTrace, span: JaegerSpan): string {
  return trace.processes[span.processID]!.serviceName;
}

function parentOf(span: JaegerSpan): string | undefined {
  return span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
}

/** Traces of service A with a span tagged order.id=<order>, as Jaeger's search finds them. */
async function tracesOfOrder(order: string): Promise<JaegerTrace[]> {
  const tags = encodeURIComponent(JSON.stringify({ 'order.id': order }));
  const body = await getJson<{ data: JaegerTrace[] }>(`${jaegerApi}/api/traces?service=${A}&tags=${tags}&lookback=1h&limit=20`);
  return body.data;
}

/** The whole trace of one order, once it has `spans` spans (spans of one trace arrive in batches from two processes). */
async function traceOfOrder(order: string, spans: number, timeoutMs = 30_000): Promise<JaegerTrace> {
  return waitFor(
    async () => {
      const found = await tracesOfOrder(order);
      if (found.length !== 1) return undefined;
      const trace = (await getJson<{ data: JaegerTrace[] }>(`${jaegerApi}/api/traces/${found[0]!.traceID}`)).data[0]!;
      return trace.spans.length >= spans ? trace : undefined;
    },
    `a trace of order ${order} with ${spans} spans in Jaeger\n${logs()}`,
    timeoutMs,
    250,
  );
}

async function promQuery(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const body = await getJson<{ data: { result: { metric: Record<string, string>; value: [number, string] }[] } }>(`${promApi}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return body.data.result;
}

function startCollector(): ServerProcess {
  return new ServerProcess('otelcol', bins.otelcol, collectorArgs, collectorEnv);
}

async function checkout(query: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${checkoutUrl}/checkout?${query}`);
  return { status: res.status, body: await res.text() };
}

async function startService(name: string, script: string, env: Record<string, string>): Promise<string> {
  const p = new ServerProcess(name, process.execPath, ['--import', 'service-infrastructure/register', join(ROOT, 'test/integration/fixtures', script)], {
    OTEL_SERVICE_NAME: name,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorEnv['SI_OTLP_HTTP_PORT']}`,
    OTEL_METRIC_EXPORT_INTERVAL: '1000',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=e2e,service.version=1.4.2',
    MONITORING_MODE: 'EVENT_DRIVEN',
    MONITORING_INSTRUMENTATIONS: 'http',
    MONITORING_SYSTEM_METRICS: 'false',
    MONITORING_RUNTIME_METRICS: 'false',
    ...env,
  });
  services.push(p);
  const port = await waitFor(() => /listening (\d+)/.exec(p.output)?.[1] ?? (p.running ? undefined : Promise.reject(new Error(p.tail()))), `${name} to listen`);
  return `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  ensureBuilt();
  bins = goBinaries();
  dir = mkdtempSync(join(tmpdir(), 'si-otelcol-e2e-'));
  const [jaegerOtlp, jaegerHttp, jaegerGrpc, otlpGrpc, otlpHttp, promExporter, health, promPort] = await Promise.all(Array.from({ length: 8 }, () => freePort()));

  jaeger = new ServerProcess('jaeger', bins.jaeger, ['--config', `file:${join(ROOT, 'test/integration/fixtures/jaeger.yaml')}`], {
    JAEGER_OTLP_GRPC_PORT: String(jaegerOtlp),
    JAEGER_QUERY_HTTP_PORT: String(jaegerHttp),
    JAEGER_QUERY_GRPC_PORT: String(jaegerGrpc),
    // Jaeger traces its own queries to localhost:4317 (a Collector on the machine would get them).
    OTEL_TRACES_SAMPLER: 'always_off',
  });
  jaegerApi = `http://127.0.0.1:${jaegerHttp}`;

  // The shipped file, unchanged; its receivers' and health check's ports are moved with --set, the
  // rest with the env variables the file reads. The Collector's own metrics (default :8888) are off.
  collectorEnv = {
    JAEGER_OTLP_ENDPOINT: `127.0.0.1:${jaegerOtlp}`,
    OTELCOL_PROMETHEUS_ENDPOINT: `127.0.0.1:${promExporter}`,
    SI_OTLP_HTTP_PORT: String(otlpHttp),
  };
  collectorArgs = [
    '--config',
    `file:${join(ROOT, 'otel-collector.yaml')}`,
    `--set=receivers::otlp::protocols::grpc::endpoint=127.0.0.1:${otlpGrpc}`,
    `--set=receivers::otlp::protocols::http::endpoint=127.0.0.1:${otlpHttp}`,
    `--set=extensions::health_check::endpoint=127.0.0.1:${health}`,
    '--set=service::telemetry::metrics::level=none',
  ];
  collectorHealth = `http://127.0.0.1:${health}/`;
  // Jaeger first: a Collector started before it logs (and retries) a refused connection.
  await waitFor(() => /Everything is ready/.test(jaeger.output), `Jaeger's "Everything is ready" log line\n${logs()}`, 60_000, 100);
  await waitFor(() => fetch(`${jaegerApi}/api/services`).then((r) => r.ok), `Jaeger's query API\n${logs()}`, 60_000, 200);
  collector = startCollector();

  writeFileSync(
    join(dir, 'prometheus.yml'),
    ['global:', '  scrape_interval: 1s', '  scrape_timeout: 1s', 'scrape_configs:', '  - job_name: otel-collector', '    honor_labels: true', '    static_configs:', `      - targets: ['127.0.0.1:${promExporter}']`, ''].join('\n'),
  );
  prometheus = new ServerProcess('prometheus', 'prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
    '--enable-feature=exemplar-storage',
    '--log.level=warn',
  ]);
  promApi = `http://127.0.0.1:${promPort}`;

  await waitFor(() => fetch(collectorHealth).then((r) => r.ok), `the Collector's health check\n${logs()}`, 60_000, 200);
  await waitFor(() => fetch(`${promApi}/-/ready`).then((r) => r.ok), `Prometheus\n${logs()}`, 60_000, 200);

  const pricing = await startService(B, 'e2e-pricing.mjs', {});
  checkoutUrl = await startService(A, 'e2e-checkout.mjs', { PRICING_URL: pricing });
}, 45 * 60_000);

afterAll(async () => {
  await Promise.all([...services, collector, jaeger, prometheus].filter((p) => p !== undefined).map((p) => p.stop()));
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('the shipped otel-collector.yaml in a real Collector', () => {
  it('passes `validate` and starts without deprecation warnings', async () => {
    const v = spawnSync(bins.otelcol, ['validate', '--config', `file:${join(ROOT, 'otel-collector.yaml')}`], { encoding: 'utf8' });
    expect(v.stderr + v.stdout).not.toMatch(/deprecat/i);
    expect(v.status, v.stderr).toBe(0);
    await waitFor(() => /Everything is ready/.test(collector.output), `the Collector's "Everything is ready" log line\n${collector.tail()}`);
    const startup = collector.output.slice(0, collector.output.indexOf('Everything is ready'));
    expect(startup).toMatch(/Starting otelcol-si/);
    expect(startup).not.toMatch(/deprecat/i);
    expect(startup.split('\n').filter((l) => /\t(warn|error)\t/i.test(l))).toEqual([]);
  });
});

describe('two services → Collector → Jaeger, as seen through Jaeger', () => {
  it('lists both services and shows one trace across them, the phases nested under the server spans', async () => {
    expect(await checkout('order=ok-1')).toEqual({ status: 200, body: 'price 90\n' });
    const trace = await traceOfOrder('ok-1', 7);
    const services = await getJson<{ data: string[] }>(`${jaegerApi}/api/services`);
    expect(services.data).toEqual(expect.arrayContaining([A, B]));

    expect(new Set(Object.values(trace.processes).map((p) => p.serviceName))).toEqual(new Set([A, B]));
    expect(trace.spans).toHaveLength(7);
    const one = (service: string, pred: (s: JaegerSpan) => boolean): JaegerSpan => {
      const found = trace.spans.filter((s) => serviceOf(trace, s) === service && pred(s));
      expect(found, `one matching span of ${service} in ${JSON.stringify(trace.spans.map((s) => s.operationName))}`).toHaveLength(1);
      return found[0]!;
    };
    const aServer = one(A, (s) => tag(s, 'span.kind') === 'server');
    const aClient = one(A, (s) => tag(s, 'span.kind') === 'client');
    const validate = one(A, (s) => s.operationName === 'validate-order');
    const fetchPrice = one(A, (s) => s.operationName === 'fetch-price');
    const bServer = one(B, (s) => tag(s, 'span.kind') === 'server');
    const loadPrice = one(B, (s) => s.operationName === 'load-price');
    const discount = one(B, (s) => s.operationName === 'apply-discount');

    expect(aServer.references).toEqual([]); // the root
    expect(parentOf(validate)).toBe(aServer.spanID);
    expect(parentOf(fetchPrice)).toBe(aServer.spanID);
    expect(parentOf(aClient)).toBe(fetchPrice.spanID); // the http.get inside the phase
    expect(parentOf(bServer)).toBe(aClient.spanID); // across the wire (traceparent)
    expect(parentOf(loadPrice)).toBe(bServer.spanID);
    expect(parentOf(discount)).toBe(loadPrice.spanID);
    for (const s of trace.spans) expect(s.traceID).toBe(trace.traceID);

    expect(tag(aServer, 'url.path')).toBe('/checkout');
    expect(tag(aServer, 'http.response.status_code')).toBe(200);
    expect(tag(bServer, 'url.path')).toBe('/price');
    expect(tag(validate, 'order.id')).toBe('ok-1');
    expect(trace.spans.some((s) => tag(s, 'error') === true)).toBe(false);
  });

  it("shows the failed request's error status, exception and attributes", async () => {
    expect((await checkout('order=bad-1&fail=1')).status).toBe(502);
    const trace = await traceOfOrder('bad-1', 6);
    expect(trace.spans).toHaveLength(6); // no apply-discount: load-price threw before it
    const by = (service: string, pred: (s: JaegerSpan) => boolean): JaegerSpan => trace.spans.find((s) => serviceOf(trace, s) === service && pred(s))!;
    const bServer = by(B, (s) => tag(s, 'span.kind') === 'server');
    const loadPrice = by(B, (s) => s.operationName === 'load-price');
    const aServer = by(A, (s) => tag(s, 'span.kind') === 'server');

    expect(tag(loadPrice, 'error')).toBe(true);
    expect(tag(loadPrice, 'otel.status_code')).toBe('ERROR');
    expect(tag(loadPrice, 'otel.status_description')).toBe('no price for order bad-1');
    expect(tag(loadPrice, 'order.id')).toBe('bad-1');
    const exception = loadPrice.logs.find((l) => l.fields.some((f) => f.key === 'event' && f.value === 'exception'));
    expect(exception, 'an exception event on load-price').toBeDefined();
    const field = (key: string) => exception!.fields.find((f) => f.key === key)?.value;
    expect(field('exception.type')).toBe('Error');
    expect(field('exception.message')).toBe('no price for order bad-1');
    expect(String(field('exception.stacktrace'))).toContain('e2e-pricing.mjs');

    expect(tag(bServer, 'http.response.status_code')).toBe(500);
    expect(tag(bServer, 'error')).toBe(true);
    expect(tag(bServer, 'otel.status_code')).toBe('ERROR');
    expect(tag(aServer, 'http.response.status_code')).toBe(502);
    expect(tag(aServer, 'error')).toBe(true);
  });

  it('carries the resource attributes into the process of each service', async () => {
    const trace = await traceOfOrder('ok-1', 7);
    for (const p of Object.values(trace.processes)) {
      const tags = Object.fromEntries(p.tags.map((t) => [t.key, t.value]));
      expect(tags).toMatchObject({
        'deployment.environment.name': 'e2e',
        'service.version': '1.4.2',
        'telemetry.sdk.language': 'nodejs',
        'telemetry.sdk.name': 'opentelemetry',
      });
    }
  });
});

describe("the Collector's Prometheus exporter, scraped by a real Prometheus", () => {
  it('answers a query over the SDK metrics labelled by service', async () => {
    // Two requests reached each service in the tests above (one ok, one failed).
    const byService = await waitFor(
      async () => {
        const r = await promQuery('sum by (service_name) (http_server_request_duration_seconds_count)');
        const m = Object.fromEntries(r.map((s) => [s.metric['service_name'], Number(s.value[1])]));
        return m[A] === 2 && m[B] === 2 ? m : undefined;
      },
      `request counts of both services in Prometheus\n${logs()}`,
      60_000,
      500,
    );
    expect(byService).toEqual({ [A]: 2, [B]: 2 });
    const failed = await promQuery(`http_server_request_duration_seconds_count{service_name="${B}",http_response_status_code="500"}`);
    expect(failed.map((s) => Number(s.value[1]))).toEqual([1]);
    expect(failed[0]!.metric).toMatchObject({ job: B, deployment_environment_name: 'e2e' });
  });

  it('keeps the exemplars: trace ids on the phase histogram lead to the traces in Jaeger', async () => {
    const now = Date.now() / 1000;
    const series = await waitFor(
      async () => {
        const q = encodeURIComponent(`performance_phase_duration_seconds_bucket{service_name="${B}"}`);
        const body = await getJson<{ data: { seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string>; value: string }[] }[] }>(
          `${promApi}/api/v1/query_exemplars?query=${q}&start=${now - 3600}&end=${now + 60}`,
        );
        return body.data.length > 0 ? body.data : undefined;
      },
      `exemplars of performance_phase_duration_seconds in Prometheus\n${logs()}`,
      60_000,
      500,
    );
    const exemplars = series.flatMap((s) => s.exemplars.map((e) => ({ phase: s.seriesLabels['phase'], trace_id: e.labels['trace_id'], span_id: e.labels['span_id'] })));
    expect(exemplars.length).toBeGreaterThan(0);
    for (const e of exemplars) {
      expect(e.trace_id).toMatch(/^[0-9a-f]{32}$/);
      const trace = (await getJson<{ data: JaegerTrace[] }>(`${jaegerApi}/api/traces/${e.trace_id}`)).data[0]!;
      const span = trace.spans.find((s) => s.spanID === e.span_id);
      expect(span, `span ${e.span_id} of trace ${e.trace_id} in Jaeger`).toBeDefined();
      expect(span!.operationName).toBe(e.phase);
      expect(serviceOf(trace, span!)).toBe(B);
    }
  });
});

describe('a Collector outage', () => {
  it(`delivers the spans produced while the Collector was down for ${OUTAGE_MS} ms, each once`, async () => {
    await collector.stop();
    const orders: string[] = [];
    const started = Date.now();
    for (let i = 0; Date.now() - started < OUTAGE_MS || i < 3; i++) {
      const order = `outage-${i}`;
      orders.push(order);
      expect((await checkout(`order=${order}`)).status).toBe(200); // the services keep answering
      await new Promise((r) => setTimeout(r, Math.min(1000, OUTAGE_MS / 3)));
    }
    collector = startCollector(); // same ports
    await waitFor(() => fetch(collectorHealth).then((r) => r.ok), `the restarted Collector\n${collector.tail()}`, 60_000, 200);

    for (const order of orders) {
      const trace = await traceOfOrder(order, 7, 60_000);
      expect(await tracesOfOrder(order)).toHaveLength(1);
      expect(trace.spans).toHaveLength(7);
      expect(new Set(trace.spans.map((s) => s.spanID)).size).toBe(7);
    }
    // Nothing arrives twice later either (a retried batch that had in fact been accepted).
    await new Promise((r) => setTimeout(r, 3000));
    for (const order of orders) {
      const [found] = await tracesOfOrder(order);
      expect((await getJson<{ data: JaegerTrace[] }>(`${jaegerApi}/api/traces/${found!.traceID}`)).data[0]!.spans).toHaveLength(7);
    }
  }, 180_000 + OUTAGE_MS);
});
