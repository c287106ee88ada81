// Routes (http.route) from real Express 5 and Fastify 5 apps, the setHttpRoute hook, the route
// bound, and the paths that are not recorded (scrapes, probes, this SDK's own servers).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, context } from '@opentelemetry/api';
import { RPCType, getRPCMetadata } from '@opentelemetry/core';
import express from 'express';
import fc from 'fast-check';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { createMonitoring, type Monitoring } from '../../src/monitoring/createMonitoring.js';
import {
  HTTP_SERVER_DURATION_METRIC,
  HttpServerInstrumentation,
  setHttpRoute,
  type HttpServerInstrumentationOptions,
} from '../../src/instrumentation/HttpServerInstrumentation.js';
import { createPrometheusEndpoint } from '../../src/export/PrometheusEndpoint.js';
import { ConfigurationError } from '../../src/errors/MonitoringError.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function setup(options: Partial<HttpServerInstrumentationOptions> = {}): Monitoring {
  const monitoring = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'routes', tracesSampler: 'always_on' });
  const inst = new HttpServerInstrumentation({
    collector: monitoring.collector,
    tracerProvider: monitoring.tracerProvider,
    sampler: monitoring.sampler,
    ...options,
  }).enable();
  cleanups.push(() => monitoring.shutdown());
  cleanups.push(() => inst.disable());
  return monitoring;
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  cleanups.push(() => server.closeAllConnections());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function get(url: string): Promise<number> {
  const res = await fetch(url);
  await res.text();
  return res.status;
}

/** Every duration series' labels, as `method route status` strings (route `-` when absent). */
function durationSeries(monitoring: Monitoring): string[] {
  return monitoring.collector
    .getSeries(HTTP_SERVER_DURATION_METRIC)
    .map((s) => `${s.labels['http.request.method']} ${s.labels['http.route'] ?? '-'} ${s.labels['http.response.status_code'] ?? s.labels['error.type']} x${s.histogram?.count}`)
    .sort();
}

function serverSpanNames(monitoring: Monitoring): string[] {
  return monitoring.spanStore
    .spans()
    .filter((s) => s.kind === SpanKind.SERVER)
    .map((s) => `${s.name} ${s.attributes['http.route'] ?? '-'}`)
    .sort();
}

describe('http.route', () => {
  it('Express 5: the route template (with its router mount path) names the span and labels the metric; unmatched paths get no label', async () => {
    const monitoring = setup();
    const app = express();
    app.get('/checkout/:id', (_req, res) => {
      res.send('ok');
    });
    const api = express.Router();
    api.get('/users/:userId/orders', (_req, res) => {
      // The response ends after an await: the route is read when the response finishes.
      setImmediate(() => res.status(201).send('created'));
    });
    app.use('/api/v1', api);
    const url = await listen(http.createServer(app));

    expect(await get(`${url}/checkout/1`)).toBe(200);
    expect(await get(`${url}/checkout/2?x=1`)).toBe(200);
    expect(await get(`${url}/api/v1/users/7/orders`)).toBe(201);
    for (let i = 0; i < 5; i++) expect(await get(`${url}/no/such/page/${i}`)).toBe(404);

    expect(durationSeries(monitoring)).toEqual(['GET - 404 x5', 'GET /api/v1/users/:userId/orders 201 x1', 'GET /checkout/:id 200 x2']);
    expect(serverSpanNames(monitoring)).toEqual([
      'GET -',
      'GET -',
      'GET -',
      'GET -',
      'GET -',
      'GET /api/v1/users/:userId/orders /api/v1/users/:userId/orders',
      'GET /checkout/:id /checkout/:id',
      'GET /checkout/:id /checkout/:id',
    ]);
  });

  it('Fastify 5: the route template (with its plugin prefix) names the span and labels the metric; 404s get no label', async () => {
    const monitoring = setup();
    const app = Fastify();
    app.get('/checkout/:id', async () => 'ok');
    await app.register(
      async (scope) => {
        scope.post('/items/:sku', async (_req, reply) => reply.code(500).send({ error: 'boom' }));
      },
      { prefix: '/cart' },
    );
    cleanups.push(() => app.close());
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    expect(await get(`${url}/checkout/abc`)).toBe(200);
    const res = await fetch(`${url}/cart/items/sku-1`, { method: 'POST' });
    await res.text();
    expect(res.status).toBe(500);
    for (let i = 0; i < 3; i++) expect(await get(`${url}/missing/${i}`)).toBe(404);

    expect(durationSeries(monitoring)).toEqual(['GET - 404 x3', 'GET /checkout/:id 200 x1', 'POST /cart/items/:sku 500 x1']);
    expect(serverSpanNames(monitoring)).toEqual(['GET -', 'GET -', 'GET -', 'GET /checkout/:id /checkout/:id', 'POST /cart/items/:sku /cart/items/:sku']);
    const failed = monitoring.collector.getHistogram(HTTP_SERVER_DURATION_METRIC, {
      'http.request.method': 'POST',
      'url.scheme': 'http',
      'http.route': '/cart/items/:sku',
      'http.response.status_code': 500,
      'error.type': '500',
    });
    expect(failed?.count).toBe(1);
  });

  it('setHttpRoute: any framework can name the route; past maxRoutes distinct routes the label is left off', async () => {
    const monitoring = setup({ maxRoutes: 2 });
    const url = await listen(
      http.createServer((req, res) => {
        const [, first] = (req.url ?? '/').split('/');
        setHttpRoute(req, `/${first}/:id`);
        res.end('ok');
      }),
    );
    for (const path of ['/a/1', '/a/2', '/b/1', '/c/1', '/d/1']) expect(await get(url + path)).toBe(200);
    expect(durationSeries(monitoring)).toEqual(['GET - 200 x2', 'GET /a/:id 200 x2', 'GET /b/:id 200 x1']);
  });

  it("takes the route OTel's framework instrumentations write into the request's RPC metadata (koa, hapi, ...)", async () => {
    const monitoring = setup();
    const url = await listen(
      http.createServer((_req, res) => {
        // What @opentelemetry/instrumentation-koa and -hapi do once their router matched.
        const rpc = getRPCMetadata(context.active());
        if (rpc?.type === RPCType.HTTP) rpc.route = '/koa/items/:id';
        res.end('ok');
      }),
    );
    expect(await get(`${url}/koa/items/9`)).toBe(200);
    expect(durationSeries(monitoring)).toEqual(['GET /koa/items/:id 200 x1']);
    expect(serverSpanNames(monitoring)).toEqual(['GET /koa/items/:id /koa/items/:id']);
  });

  it('a route longer than 256 characters is not used', async () => {
    const monitoring = setup();
    const url = await listen(
      http.createServer((req, res) => {
        setHttpRoute(req, `/${'x'.repeat(300)}`);
        res.end('ok');
      }),
    );
    expect(await get(`${url}/long`)).toBe(200);
    expect(durationSeries(monitoring)).toEqual(['GET - 200 x1']);
  });
});

describe('paths that are not recorded', () => {
  it('scrapes and health probes record no metric and no span by default; the app traffic beside them does', async () => {
    const monitoring = setup();
    const url = await listen(http.createServer((_req, res) => res.end('ok')));
    for (const path of ['/metrics', '/health', '/health/live', '/health/ready', '/healthz', '/readyz', '/livez', '/metrics?name[]=up']) {
      expect(await get(url + path)).toBe(200);
    }
    expect(await get(`${url}/orders`)).toBe(200);
    expect(durationSeries(monitoring)).toEqual(['GET - 200 x1']);
    expect(serverSpanNames(monitoring)).toEqual(['GET -']);
  });

  it('ignorePaths replaces the default list; prefixes end in /*', async () => {
    const monitoring = setup({ ignorePaths: ['/internal/*', '/status'] });
    const url = await listen(http.createServer((_req, res) => res.end('ok')));
    for (const path of ['/internal/a', '/internal/b/c', '/status', '/metrics', '/internalx']) expect(await get(url + path)).toBe(200);
    // `/metrics` is recorded now, and `/internalx` is not under `/internal/`.
    expect(durationSeries(monitoring)).toEqual(['GET - 200 x2']);
    expect(monitoring.spanStore.spans().map((s) => s.attributes['url.path']).sort()).toEqual(['/internalx', '/metrics']);
  });

  it('an exact path matches only itself (a query aside), a prefix whatever follows it', async () => {
    const monitoring = setup({ ignorePaths: ['/api/', '/a', '/deep/*'] });
    const url = await listen(http.createServer((_req, res) => res.end('ok')));
    const ignored = ['/api/', '/api/?q=1', '/a', '/a?b', '/deep/x', '/deep/?x', '/deep/x/y?z'];
    const recorded = ['/api/x', '/ab', '/deep', '/deep?x', '/', '/?a', '/b'];
    for (const path of [...ignored, ...recorded]) expect(await get(url + path)).toBe(200);
    expect(monitoring.spanStore.spans().map((s) => `${String(s.attributes['url.path'])}${s.attributes['url.query'] === undefined ? '' : `?${String(s.attributes['url.query'])}`}`).sort()).toEqual(
      [...recorded].sort(),
    );
  });

  it('ignoring "/" ignores the root path (with or without a query) and nothing else', async () => {
    const monitoring = setup({ ignorePaths: ['/'] });
    const url = await listen(http.createServer((_req, res) => res.end('ok')));
    for (const path of ['/', '/?x=1', '/x']) expect(await get(url + path)).toBe(200);
    expect(monitoring.spanStore.spans().map((s) => s.attributes['url.path'])).toEqual(['/x']);
  });

  it('the indexed lookup of ignored paths answers as the plain one does, for any path list and URL', () => {
    // The rule as docs/instrumentation.md states it: cut the query, then an exact entry matches the
    // path, an entry ending in `/*` any path starting with what precedes the `*`.
    const plainLookup = (entries: readonly string[], url: string): boolean => {
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      return entries.some((e) => (e.endsWith('/*') ? path.startsWith(e.slice(0, -1)) : path === e));
    };
    const monitoring = setup();
    const segment = fc.constantFrom('', 'a', 'ab', 'metrics', 'health', 'é', '?', '?q=1', '/', 'x/');
    const path = fc.array(segment, { maxLength: 4 }).map((parts) => `/${parts.join('')}`);
    const entry = fc.tuple(path, fc.boolean()).map(([p, prefix]) => (prefix ? `${p.endsWith('/') ? p : `${p}/`}*` : p));
    const url = fc.oneof(path, fc.string({ maxLength: 12 }), fc.constantFrom('', '*', '/', '//'));
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 6 }), fc.array(url, { minLength: 1, maxLength: 10 }), (entries, urls) => {
        const inst = new HttpServerInstrumentation({ collector: monitoring.collector, ignorePaths: entries }) as unknown as {
          _ignored(u: string): boolean;
        };
        for (const u of urls) expect(inst._ignored(u), `${JSON.stringify(u)} against ${JSON.stringify(entries)}`).toBe(plainLookup(entries, u));
      }),
      { seed: 20261130, numRuns: 2000 },
    );
  });

  it("the SDK's own Prometheus endpoint is never recorded, whatever its path", async () => {
    const monitoring = setup({ ignorePaths: [] });
    const endpoint = createPrometheusEndpoint(monitoring, { port: 0, path: '/custom-scrape' });
    const { url } = await endpoint.listen();
    cleanups.push(() => endpoint.shutdown());
    expect(await get(url)).toBe(200);
    expect(await get(url.replace('/custom-scrape', '/other'))).toBe(404);
    expect(durationSeries(monitoring)).toEqual([]);
    expect(serverSpanNames(monitoring)).toEqual([]);
  });

  it('throws a ConfigurationError naming ignorePaths or maxRoutes when they are malformed', () => {
    const monitoring = createMonitoring({ mode: MonitoringMode.DIRECT });
    cleanups.push(() => monitoring.shutdown());
    expect(() => new HttpServerInstrumentation({ collector: monitoring.collector, ignorePaths: ['metrics'] })).toThrow(ConfigurationError);
    expect(() => new HttpServerInstrumentation({ collector: monitoring.collector, ignorePaths: ['metrics'] })).toThrow(/ignorePaths/);
    expect(() => new HttpServerInstrumentation({ collector: monitoring.collector, maxRoutes: -1 })).toThrow(/maxRoutes/);
  });
});
