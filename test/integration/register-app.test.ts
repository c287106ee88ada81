import { spawn } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt } from '../helpers/build.js';
import { freePort } from '../helpers/freePort.js';
import { OtlpReceiver } from '../helpers/otlpReceiver.js';
import { RedisServer } from '../helpers/redisServer.js';
import { waitFor as until } from '../helpers/wait.js';

// What a new user sees: an unmodified Express 5 + Fastify 5 app with pg and ioredis
// (test/integration/fixtures/shop-app.mjs) under `node --import service-infrastructure/register`,
// configured only by OTel's environment variables, exporting to an OTLP receiver and serving a
// Prometheus scrape. Span names and metrics carry the route templates, the resource names the
// host, process and instance, the scrape passes `promtool check metrics`, and neither the
// exporters' POSTs nor probes and scrapes show up as the app's traffic.

let redis: RedisServer | undefined;
let receiver: OtlpReceiver;
let endpoint: string;

beforeAll(async () => {
  ensureBuilt();
  redis = await RedisServer.start();
  receiver = new OtlpReceiver();
  endpoint = await receiver.start();
}, 120_000);

afterAll(async () => {
  await receiver?.stop();
  await redis?.stop();
});

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

describe('an Express 5 + Fastify 5 app with pg and ioredis under register', () => {
  it('routes on spans and RED metrics, a full resource, a lint-clean scrape, no self-traffic', async () => {
    const promPort = await freePort();
    const child = spawn(process.execPath, ['--import', 'service-infrastructure/register', 'test/integration/fixtures/shop-app.mjs'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        OTEL_SERVICE_NAME: 'shop',
        // The per-signal endpoints win over the generic one (which points nowhere) and are used as is.
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/v1/traces`,
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${endpoint}/v1/metrics`,
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_METRICS_EXPORTER: 'otlp,prometheus',
        OTEL_EXPORTER_PROMETHEUS_PORT: String(promPort),
        OTEL_METRIC_EXPORT_INTERVAL: '300',
        MONITORING_MODE: 'direct',
        MONITORING_INSTRUMENTATIONS: 'http,pg,ioredis',
        REDIS_URL: redis!.url,
        DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (c) => (out += c));
    child.stderr!.on('data', (c) => (err += c));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    let scrape = '';
    let inventoryPort = 0;
    try {
      await until(() => /listening \d+ \d+/.test(out) || child.exitCode !== null, 'the app to listen');
      const m = /listening (\d+) (\d+)/.exec(out);
      expect(m, err).not.toBeNull();
      const storefront = `http://127.0.0.1:${m![1]}`;
      inventoryPort = Number(m![2]);

      for (const id of ['1', '2']) {
        const r = await get(`${storefront}/checkout/${id}`);
        expect(r.status, r.body).toBe(200);
        expect(JSON.parse(r.body)).toEqual({ order: id, item: { sku: `sku-${id}`, stock: 3, reserved: 0 } });
      }
      for (const path of ['/no/such/page', '/wp-login.php']) expect((await get(storefront + path)).status).toBe(404);
      expect((await get(`${storefront}/health`)).status).toBe(200);
      expect((await get(`http://127.0.0.1:${inventoryPort}/metrics`)).status).toBe(200);

      // Several metric exports have gone out (each an HTTP POST the http instrumentation sees).
      await receiver.waitFor('the routed RED metric over OTLP', () =>
        receiver.points.some((p) => p.metric === 'http.server.request.duration' && p.attributes['http.route'] === '/stock/items/:sku'),
      );
      const exportsBefore = receiver.points.length;
      await receiver.waitFor('two more metric exports', () => receiver.points.length > exportsBefore * 2);

      // OTEL_METRICS_EXPORTER=prometheus opened the scrape endpoint on OTEL_EXPORTER_PROMETHEUS_PORT.
      const scraped = await get(`http://127.0.0.1:${promPort}/metrics`);
      expect(scraped.status).toBe(200);
      scrape = scraped.body;
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, err).toBe(0);

    // --- spans: named by route, one trace across both services, probes and scrapes absent ---
    const servers = receiver.spans.filter((s) => s.kind === SpanKind.SERVER + 1);
    expect(servers.map((s) => `${s.name}|${s.attributes['http.route'] ?? '-'}|${s.attributes['http.response.status_code']}`).sort()).toEqual([
      'GET /checkout/:id|/checkout/:id|200',
      'GET /checkout/:id|/checkout/:id|200',
      'GET /stock/items/:sku|/stock/items/:sku|200',
      'GET /stock/items/:sku|/stock/items/:sku|200',
      'GET|-|404',
      'GET|-|404',
    ]);
    const checkout = servers.find((s) => s.attributes['url.path'] === '/checkout/1')!;
    const stock = servers.find((s) => s.attributes['url.path'] === '/stock/items/sku-1')!;
    expect(stock.traceId).toBe(checkout.traceId);
    const inTrace = receiver.spans.filter((s) => s.traceId === checkout.traceId);
    const call = inTrace.find((s) => s.spanId === stock.parentSpanId)!;
    expect(call.kind).toBe(SpanKind.CLIENT + 1);
    expect(call.parentSpanId).toBe(checkout.spanId);
    const libraries = inTrace.filter((s) => s.parentSpanId === stock.spanId).map((s) => s.scope);
    expect(libraries.some((scope) => scope.includes('pg'))).toBe(true);
    expect(libraries.some((scope) => scope.includes('ioredis'))).toBe(true);
    expect(checkout.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(`http://127.0.0.1:${/listening (\d+)/.exec(out)![1]}`).port),
      'client.address': '127.0.0.1',
      'network.peer.address': '127.0.0.1',
      'network.protocol.version': '1.1',
    });
    expect(checkout.attributes['user_agent.original']).toEqual(expect.any(String));

    // --- resource: OTel's detectors and an instance id ---
    const resource = checkout.resource;
    expect(resource).toMatchObject({
      'service.name': 'shop',
      'host.name': hostname(),
      'os.type': 'linux',
      'process.pid': child.pid,
      'process.runtime.name': 'nodejs',
      'telemetry.sdk.language': 'nodejs',
    });
    expect(resource['service.instance.id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(resource['process.command_args']).toBeUndefined(); // may carry secrets
    expect(new Set(receiver.spans.map((s) => s.resource['service.instance.id']))).toEqual(new Set([resource['service.instance.id']]));

    // --- no self-traffic: the exporters' POSTs are not the app's outgoing requests ---
    const clientCalls = receiver.points.filter((p) => p.metric === 'http.client.request.duration');
    const receiverPort = Number(new URL(endpoint).port);
    expect(clientCalls.some((p) => Number(p.attributes['server.port']) === inventoryPort)).toBe(true);
    expect(clientCalls.filter((p) => Number(p.attributes['server.port']) === receiverPort)).toEqual([]);
    expect(receiver.spans.filter((s) => String(s.attributes['url.full'] ?? '').includes(`:${receiverPort}/`))).toEqual([]);

    // --- the Prometheus scrape: routes as labels, no raw paths, lint-clean ---
    const red = scrape.split('\n').filter((l) => l.startsWith('http_server_request_duration_seconds_count'));
    expect(red.some((l) => l.includes('http_route="/checkout/:id"') && l.endsWith(' 2'))).toBe(true);
    expect(red.some((l) => l.includes('http_route="/stock/items/:sku"') && l.endsWith(' 2'))).toBe(true);
    expect(red.some((l) => !l.includes('http_route=') && l.includes('http_response_status_code="404"') && l.endsWith(' 2'))).toBe(true);
    expect(scrape).not.toMatch(/no\/such|wp-login|\/health|checkout\/1/);
    expect(scrape).toContain('target_info{');
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: scrape, encoding: 'utf8' });
    expect({ status: lint.status, output: (lint.stdout + lint.stderr).trim() }).toEqual({ status: 0, output: '' });
  }, 120_000);
});
