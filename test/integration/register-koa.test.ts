import { spawn } from 'node:child_process';
import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt } from '../helpers/build.js';
import { freePort } from '../helpers/freePort.js';
import { OtlpReceiver } from '../helpers/otlpReceiver.js';
import { waitFor as until } from '../helpers/wait.js';

// A Koa 3 + @koa/router app (test/integration/fixtures/koa-app.mjs) under
// `node --import service-infrastructure/register` with OTel's koa instrumentation loaded: the
// lean HTTP server path takes the route @koa/router matched from the RPC metadata that
// instrumentation writes, for the SERVER span's name and the `http.route` label of
// `http.server.request.duration`, over OTLP and on the Prometheus scrape.

let receiver: OtlpReceiver;
let endpoint: string;

beforeAll(async () => {
  ensureBuilt();
  receiver = new OtlpReceiver();
  endpoint = await receiver.start();
}, 120_000);

afterAll(async () => {
  await receiver?.stop();
});

describe('a Koa app with @koa/router under register', () => {
  it('names the SERVER span by the route and labels the RED metric with it', async () => {
    const promPort = await freePort();
    const child = spawn(process.execPath, ['--import', 'service-infrastructure/register', 'test/integration/fixtures/koa-app.mjs'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        OTEL_SERVICE_NAME: 'koa-shop',
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_METRICS_EXPORTER: 'otlp,prometheus',
        OTEL_EXPORTER_PROMETHEUS_PORT: String(promPort),
        OTEL_METRIC_EXPORT_INTERVAL: '300',
        MONITORING_MODE: 'direct',
        MONITORING_INSTRUMENTATIONS: 'http,koa',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (c) => (out += c));
    child.stderr!.on('data', (c) => (err += c));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
    let scrape = '';
    try {
      await until(() => /listening \d+/.test(out) || child.exitCode !== null, 'the app to listen');
      const m = /listening (\d+)/.exec(out);
      expect(m, err).not.toBeNull();
      const base = `http://127.0.0.1:${m![1]}`;
      for (const id of ['7', '8', '9']) {
        const res = await fetch(`${base}/items/${id}`);
        expect({ status: res.status, body: await res.json() }).toEqual({ status: 200, body: { item: id } });
      }
      const missing = await fetch(`${base}/no/such/item`);
      await missing.text();
      expect(missing.status).toBe(404);

      await receiver.waitFor('the routed RED metric over OTLP', () =>
        receiver.points.some((p) => p.metric === 'http.server.request.duration' && p.attributes['http.route'] === '/items/:id'),
      );
      const scraped = await fetch(`http://127.0.0.1:${promPort}/metrics`);
      expect(scraped.status).toBe(200);
      scrape = await scraped.text();
    } finally {
      child.kill('SIGTERM');
    }
    // The app has no SIGTERM handler: register flushes, then lets the signal end the process.
    expect({ ...(await exited), err }).toEqual({ code: null, signal: 'SIGTERM', err: '' });

    const servers = receiver.spans.filter((s) => s.kind === SpanKind.SERVER + 1);
    expect(servers.map((s) => `${s.name}|${s.attributes['http.route'] ?? '-'}|${s.attributes['http.response.status_code']}`).sort()).toEqual([
      'GET /items/:id|/items/:id|200',
      'GET /items/:id|/items/:id|200',
      'GET /items/:id|/items/:id|200',
      'GET|-|404',
    ]);
    // Koa's own spans (middleware, router) sit under the SERVER span of their request.
    const koaSpans = receiver.spans.filter((s) => s.scope.includes('koa'));
    expect(koaSpans.length).toBeGreaterThan(0);
    expect(koaSpans.every((s) => servers.some((srv) => srv.traceId === s.traceId))).toBe(true);

    const points = receiver.points.filter((p) => p.metric === 'http.server.request.duration');
    expect(new Set(points.map((p) => p.attributes['http.route'] ?? '-'))).toEqual(new Set(['/items/:id', '-']));

    const red = scrape.split('\n').filter((l) => l.startsWith('http_server_request_duration_seconds_count'));
    expect(red.some((l) => l.includes('http_route="/items/:id"') && l.includes('http_response_status_code="200"') && l.endsWith(' 3'))).toBe(true);
    expect(red.some((l) => !l.includes('http_route=') && l.includes('http_response_status_code="404"') && l.endsWith(' 1'))).toBe(true);
    expect(scrape).not.toMatch(/no\/such|items\/7/);
  }, 120_000);
});
