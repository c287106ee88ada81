import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import net from 'node:net';
import { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode, context, propagation, trace, type Attributes, type Context } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { AlwaysOnSampler, SamplingDecision, type ReadableSpan, type Sampler, type SamplingResult, type Span as SdkSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { createMonitoring, type Monitoring } from '../../src/monitoring/createMonitoring.js';
import {
  HTTP_SERVER_ACTIVE_METRIC,
  HTTP_SERVER_DURATION_METRIC,
  HttpServerInstrumentation,
} from '../../src/instrumentation/HttpServerInstrumentation.js';
import { ConfigurationError } from '../../src/errors/MonitoringError.js';
import { waitFor as until } from '../helpers/wait.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function setup(sampler = 'parentbased_always_on', tracing = true, samplerArg?: number): { monitoring: Monitoring; inst: HttpServerInstrumentation } {
  const monitoring = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'svc-b', tracesSampler: sampler, tracesSamplerArg: samplerArg });
  const inst = new HttpServerInstrumentation({
    collector: monitoring.collector,
    ...(tracing ? { tracerProvider: monitoring.tracerProvider, sampler: monitoring.sampler } : {}),
  }).enable();
  cleanups.push(() => monitoring.shutdown());
  cleanups.push(() => inst.disable());
  return { monitoring, inst };
}

const servers = new Map<string, http.Server>();

/** How many connections the server behind `url` has open. */
function connectionsOf(url: string): Promise<number> {
  return new Promise((resolve, reject) => servers.get(url)!.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}

/** The duration histogram of GET requests over http answered 200, the series most tests check. */
function okRequests(monitoring: Monitoring): ReturnType<Monitoring['collector']['getHistogram']> {
  return monitoring.collector.getHistogram(HTTP_SERVER_DURATION_METRIC, { 'url.scheme': 'http', 'http.request.method': 'GET', 'http.response.status_code': 200 });
}

/** Serves `handler` on a free port; `around` runs the `listen` call (inside an app's context, say). */
async function serve(handler: http.RequestListener, around: (listen: () => void) => void = (listen) => listen()): Promise<string> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => around(() => server.listen(0, '127.0.0.1', resolve)));
  servers.set(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, server);
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  cleanups.push(() => server.closeAllConnections());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('HttpServerInstrumentation', () => {
  it('records request count, duration, errors and in-flight per OTel semantic conventions', async () => {
    const { monitoring } = setup('always_off', false);
    let inFlightSeen = -1;
    const url = await serve((req, res) => {
      inFlightSeen = monitoring.collector.getCounterValue(HTTP_SERVER_ACTIVE_METRIC, { 'url.scheme': 'http', 'http.request.method': req.method! }) ?? -1;
      res.statusCode = req.url === '/boom' ? 503 : 200;
      res.end('ok');
    });
    for (let i = 0; i < 3; i++) await (await fetch(`${url}/hello?x=${i}`)).text();
    await (await fetch(`${url}/boom`, { method: 'POST', body: 'x' })).text();

    expect(inFlightSeen).toBe(1);
    const ok = okRequests(monitoring);
    expect(ok?.count).toBe(3);
    expect(ok!.max).toBeGreaterThan(0);
    expect(ok!.max).toBeLessThan(5);
    const failed = monitoring.collector.getHistogram(HTTP_SERVER_DURATION_METRIC, {
      'url.scheme': 'http',
      'http.request.method': 'POST',
      'http.response.status_code': 503,
      'error.type': '503',
    });
    expect(failed?.count).toBe(1);
    expect(monitoring.collector.getCounterValue(HTTP_SERVER_ACTIVE_METRIC, { 'url.scheme': 'http', 'http.request.method': 'GET' })).toBe(0);
    expect(monitoring.collector.getCounterValue(HTTP_SERVER_ACTIVE_METRIC, { 'url.scheme': 'http', 'http.request.method': 'POST' })).toBe(0);

    // The same numbers reach any OTel reader, through OTel's collect().
    const read = await monitoring.collector.readMetric(HTTP_SERVER_DURATION_METRIC);
    expect(read?.unit).toBe('s');
    const total = read!.series.reduce((n, s) => n + (s.histogram?.count ?? 0), 0);
    expect(total).toBe(4);
    expect(monitoring.spanStore.total).toBe(0);
  });

  it('maps unknown methods to _OTHER so clients cannot blow up cardinality', async () => {
    const { monitoring } = setup('always_off', false);
    const url = await serve((_req, res) => res.end());
    const { port } = new URL(url);
    for (const m of ['PROPFIND', 'MKCOL']) {
      await new Promise<void>((resolve, reject) => {
        http.request({ host: '127.0.0.1', port, method: m, path: '/' }, (res) => res.resume().on('end', resolve)).on('error', reject).end();
      });
    }
    expect(monitoring.collector.getHistogram(HTTP_SERVER_DURATION_METRIC, { 'url.scheme': 'http', 'http.request.method': '_OTHER', 'http.response.status_code': 200 })?.count).toBe(2);
  });

  it('counts an aborted request once, as error.type=aborted, and in-flight returns to zero', async () => {
    const { monitoring } = setup();
    let arrived = false;
    const url = await serve(() => {
      arrived = true; // never responds
    });
    const { port } = new URL(url);
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => arrived, 'the request to arrive');
    expect(monitoring.collector.getCounterValue(HTTP_SERVER_ACTIVE_METRIC, { 'url.scheme': 'http', 'http.request.method': 'GET' })).toBe(1);
    socket.destroy();
    await until(() => monitoring.collector.getCounterValue(HTTP_SERVER_ACTIVE_METRIC, { 'url.scheme': 'http', 'http.request.method': 'GET' }) === 0, 'in-flight to drop');
    expect(monitoring.collector.getHistogram(HTTP_SERVER_DURATION_METRIC, { 'url.scheme': 'http', 'http.request.method': 'GET', 'error.type': 'aborted' })?.count).toBe(1);
    const span = monitoring.spanStore.spans().find((s) => s.kind === SpanKind.SERVER);
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).toBe('aborted');
  });

  it('pipelined requests on one connection: each is tracked, all still open are aborted when it closes', async () => {
    const { monitoring } = setup('always_off', false);
    const arrived: http.ServerResponse[] = [];
    const url = await serve((req, res) => {
      arrived.push(res);
      if (req.url === '/quick') res.end('ok'); // the others never answer
    });
    const { port } = new URL(url);
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /quick HTTP/1.1\r\nHost: x\r\n\r\nPOST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n');
    await until(() => arrived.length === 3, 'three pipelined requests to arrive');
    const active = (method: string): number | undefined => monitoring.collector.getCounterValue(HTTP_SERVER_ACTIVE_METRIC, { 'url.scheme': 'http', 'http.request.method': method });
    // /quick ended its response, but it is queued behind /slow, so it has not finished either.
    expect(active('GET')).toBe(2);
    expect(active('POST')).toBe(1);
    socket.destroy();
    await until(() => active('GET') === 0 && active('POST') === 0, 'in-flight to drop');
    const aborted = (method: string): number | undefined =>
      monitoring.collector.getHistogram(HTTP_SERVER_DURATION_METRIC, { 'url.scheme': 'http', 'http.request.method': method, 'error.type': 'aborted' })?.count;
    expect(aborted('GET')).toBe(2);
    expect(aborted('POST')).toBe(1);
    expect(okRequests(monitoring)).toBeUndefined();
  });

  it('a keep-alive connection that served its requests and then closes aborts nothing', async () => {
    const { monitoring } = setup('always_off', false);
    const sockets = new Set<net.Socket>();
    const url = await serve((req, res) => {
      sockets.add(req.socket);
      res.end('ok');
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 4; i++) {
      await new Promise<void>((resolve, reject) => {
        http.get(url, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject);
      });
    }
    expect(sockets.size).toBe(1); // all four went over one connection
    // The connection's list of open requests is empty again after each one: it cannot grow.
    const [socket] = sockets;
    const lists = Object.getOwnPropertySymbols(socket).map((k) => (socket as unknown as Record<symbol, unknown>)[k]).filter(Array.isArray);
    expect(lists).toEqual([[]]);
    agent.destroy();
    const ok = okRequests(monitoring);
    expect(ok?.count).toBe(4);
    // Give the server time to see the close: any request still open would now be counted aborted.
    await until(async () => (await connectionsOf(url)) === 0, 'the server to see the connection close');
    expect(monitoring.collector.getHistogram(HTTP_SERVER_DURATION_METRIC, { 'url.scheme': 'http', 'http.request.method': 'GET', 'error.type': 'aborted' })).toBeUndefined();
    expect(monitoring.collector.getCounterValue(HTTP_SERVER_ACTIVE_METRIC, { 'url.scheme': 'http', 'http.request.method': 'GET' })).toBe(0);
  });

  it('starts a SERVER span per request, child of the caller from traceparent, with handler phases inside it', async () => {
    const { monitoring } = setup();
    const url = await serve((_req, res) => {
      void monitoring.coordinator.measure('load-order', async () => {
        await new Promise((r) => setImmediate(r));
      }).then(() => res.end('done'));
    });
    // The caller: a CLIENT span whose context goes out as traceparent/tracestate headers.
    const caller = monitoring.getTracer('caller').startSpan('GET /order', { kind: SpanKind.CLIENT });
    const headers: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), caller), headers);
    headers['tracestate'] = 'vendor=abc';
    expect(headers['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    await (await fetch(`${url}/order/42?debug=1`, { headers })).text();
    caller.end();

    const spans = monitoring.spanStore.spans();
    const server = spans.find((s) => s.kind === SpanKind.SERVER)!;
    const phase = spans.find((s) => s.name === 'load-order')!;
    expect(server.name).toBe('GET');
    expect(server.spanContext().traceId).toBe(caller.spanContext().traceId);
    expect(server.parentSpanContext?.spanId).toBe(caller.spanContext().spanId);
    expect(server.spanContext().traceState?.get('vendor')).toBe('abc');
    expect(server.attributes['url.path']).toBe('/order/42');
    expect(server.attributes['http.request.method']).toBe('GET');
    expect(server.attributes['http.response.status_code']).toBe(200);
    // The stable HTTP semantic conventions' required and recommended attributes.
    const port = Number(new URL(url).port);
    expect(server.attributes).toMatchObject({
      'url.scheme': 'http',
      'url.query': 'debug=1',
      'server.address': '127.0.0.1',
      'server.port': port,
      'network.protocol.version': '1.1',
      'network.peer.address': '127.0.0.1',
      'client.address': '127.0.0.1',
    });
    expect(server.attributes['network.peer.port']).toEqual(expect.any(Number));
    expect(server.attributes['user_agent.original']).toEqual(expect.any(String));
    expect(phase.spanContext().traceId).toBe(caller.spanContext().traceId);
    expect(phase.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
  });

  it('redacts the credentials of signed URLs in url.query, and only those parameters', async () => {
    const { monitoring } = setup();
    const url = await serve((_req, res) => res.end('ok'));
    const query = 'X-Goog-Signature=g00g&name=x&sig=s1&AWSAccessKeyId=AKIA1&Signature=zz&design=1&mysig=2';
    await (await fetch(`${url}/file?${query}`)).text();
    await (await fetch(`${url}/plain?design=1&signal=2`)).text();
    const queries = monitoring.spanStore.spans().map((s) => s.attributes['url.query']);
    expect(queries).toEqual(['X-Goog-Signature=REDACTED&name=x&sig=REDACTED&AWSAccessKeyId=REDACTED&Signature=REDACTED&design=1&mysig=2', 'design=1&signal=2']);
  });

  it('a sampled request leaves its trace as the exemplar of its duration bucket; a dropped one does not', async () => {
    type Point = { attributes: Record<string, unknown>; value: { sum: number }; exemplars?: { traceId: string; spanId: string; value: number }[] };
    const exemplarsOf = async (m: Monitoring): Promise<{ sum: number; exemplars: Point['exemplars'] }> => {
      const { resourceMetrics } = await m.collector.collect();
      const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((x) => x.descriptor.name === HTTP_SERVER_DURATION_METRIC)!;
      const point = (metric.dataPoints as unknown as Point[]).find((p) => p.attributes['http.response.status_code'] === 200)!;
      return { sum: point.value.sum, exemplars: point.exemplars };
    };
    const { monitoring } = setup('parentbased_always_on');
    const url = await serve((_req, res) => res.end('ok'));
    await (await fetch(`${url}/a`)).text();
    const server = monitoring.spanStore.spans().find((s) => s.kind === SpanKind.SERVER)!;
    const sampled = await exemplarsOf(monitoring);
    expect(sampled.exemplars).toHaveLength(1);
    expect(sampled.exemplars![0]).toMatchObject({ traceId: server.spanContext().traceId, spanId: server.spanContext().spanId, value: sampled.sum });

    // An unsampled caller: counted, but no exemplar points at a trace nobody kept.
    await monitoring.shutdown();
    const { monitoring: other } = setup('parentbased_always_on');
    await (await fetch(`${url}/b`, { headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' } })).text();
    expect(okRequests(other)?.count).toBe(1);
    expect((await exemplarsOf(other)).exemplars ?? []).toHaveLength(0);
  });

  it('reads trace context and baggage from headers in any letter case', async () => {
    const { monitoring } = setup();
    let seenBaggage: string | undefined;
    const url = await serve((_req, res) => {
      seenBaggage = propagation.getActiveBaggage()?.getEntry('tenant')?.value;
      res.end('ok');
    });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    // http.request keeps header names as written: the server sees `TraceParent` and `BAGGAGE`.
    await new Promise<void>((resolve, reject) => {
      const req = http.request(url, { headers: { TraceParent: `00-${traceId}-00f067aa0ba902b7-01`, BAGGAGE: 'tenant=acme', 'X-Other': '1' } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
    const server = monitoring.spanStore.spans().find((s) => s.kind === SpanKind.SERVER)!;
    expect(server.spanContext().traceId).toBe(traceId);
    expect(server.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(seenBaggage).toBe('acme');
  });

  it('a propagation header sent twice reaches the propagator joined, as req.headers joins it', async () => {
    const { monitoring } = setup('parentbased_rate_limited', true, 0);
    let seen: Record<string, unknown> = {};
    const url = await serve((req, res) => {
      const baggage = propagation.getActiveBaggage();
      seen = { tenant: baggage?.getEntry('tenant')?.value, region: baggage?.getEntry('region')?.value, header: req.headers.baggage };
      res.end('ok');
    });
    // Two `Baggage` lines, and `X-Other`: a name as long as `baggage` that is not a propagation field.
    await new Promise<void>((resolve, reject) => {
      const req = http.request(url, { headers: { Baggage: ['tenant=acme', 'region=eu'], 'X-Other': 'region=us' } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
    expect(seen).toEqual({ tenant: 'acme', region: 'eu', header: 'tenant=acme, region=eu' });
    expect(monitoring.spanStore.total).toBe(0);
  });

  it('a sampled-out request has no span but still counts in the metrics', async () => {
    const { monitoring } = setup('always_off');
    const url = await serve((_req, res) => {
      monitoring.coordinator.measure('work', () => undefined);
      res.end();
    });
    for (let i = 0; i < 5; i++) await (await fetch(url)).text();
    expect(monitoring.spanStore.total).toBe(0);
    expect(okRequests(monitoring)?.count).toBe(5);
  });

  it('rate limit spent: no span is built, phases in the handler are dropped too, each request keeps its own trace id', async () => {
    const { monitoring } = setup('parentbased_rate_limited', true, 0);
    const traceIds: string[] = [];
    const outgoing: Record<string, string>[] = [];
    const url = await serve((_req, res) => {
      monitoring.coordinator.measure('work', (phase) => {
        traceIds.push(phase.traceId);
      });
      // What a client call from the handler would send downstream: this trace, not sampled.
      const headers: Record<string, string> = {};
      propagation.inject(context.active(), headers);
      outgoing.push(headers);
      res.end();
    });
    for (let i = 0; i < 3; i++) await (await fetch(url)).text();
    expect(monitoring.spanStore.total).toBe(0);
    expect(new Set(traceIds).size).toBe(3);
    for (const id of traceIds) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(outgoing.map((h) => h['traceparent']?.split('-')[1])).toEqual(traceIds);
    for (const h of outgoing) expect(h['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(okRequests(monitoring)?.count).toBe(3);
  });

  it('rate limit spent: the caller’s baggage reaches the handler, and a context derived from the request’s keeps its trace', async () => {
    const { monitoring } = setup('parentbased_rate_limited', true, 0);
    const KEY = Symbol('app value');
    const seen: { tenant: string | undefined; traceId: string | undefined; derivedTraceId: string | undefined; appValue: unknown; recording: boolean | undefined }[] = [];
    const url = await serve((_req, res) => {
      const active = context.active();
      const derived = active.setValue(KEY, 'mine');
      seen.push({
        tenant: propagation.getActiveBaggage()?.getEntry('tenant')?.value,
        traceId: trace.getSpanContext(active)?.traceId,
        derivedTraceId: trace.getSpanContext(derived)?.traceId,
        appValue: derived.getValue(KEY),
        recording: trace.getSpan(active)?.isRecording(),
      });
      res.end();
    });
    await (await fetch(url, { headers: { baggage: 'tenant=acme' } })).text();
    await (await fetch(url)).text();
    expect(monitoring.spanStore.total).toBe(0);
    expect(seen[0]).toMatchObject({ tenant: 'acme', appValue: 'mine', recording: false });
    expect(seen[1]?.tenant).toBeUndefined();
    for (const s of seen) {
      expect(s.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(s.derivedTraceId).toBe(s.traceId);
    }
    expect(seen[0]!.traceId).not.toBe(seen[1]!.traceId);
  });

  it('a connection takes the same shape whether its request was traced or dropped', async () => {
    // Node keeps the peer address on a socket the first time it is read, and a span reads it.
    // When only traced connections got it, the whole server slowed down (docs/instrumentation.md,
    // "The socket's hidden class"); every traced server's socket now takes it when first seen.
    const { monitoring } = setup('parentbased_always_off');
    const keys: (string | symbol)[][] = [];
    const url = await serve((req, res) => {
      keys.push(Reflect.ownKeys(req.socket));
      res.end();
    });
    const get = (headers: Record<string, string>): Promise<void> =>
      new Promise((resolve, reject) => {
        http.get(url, { agent: false, headers }, (res) => res.resume().on('end', resolve)).on('error', reject);
      });
    await get({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    await get({});
    expect(monitoring.spanStore.total).toBe(1);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toEqual(keys[0]);
  });

  it('a handler sees its span and the app’s own AsyncLocalStorage stores of the frame the server listened in', async () => {
    // Entering the request's context must add to the connection's async context, not replace it.
    const { monitoring } = setup();
    const tenants = new AsyncLocalStorage<string>();
    const seen: { tenant: string | undefined; spanId: string | undefined }[] = [];
    const url = await serve(
      (_req, res) => {
        seen.push({ tenant: tenants.getStore(), spanId: trace.getActiveSpan()?.spanContext().spanId });
        res.end('ok');
      },
      (listen) => tenants.run('tenant-a', listen),
    );
    for (let i = 0; i < 3; i++) expect(await (await fetch(`${url}/orders/${i}`)).text()).toBe('ok');
    const serverSpans = monitoring.spanStore.spans().filter((s) => s.kind === SpanKind.SERVER);
    expect(serverSpans).toHaveLength(3);
    expect(seen.map((s) => s.tenant)).toEqual(['tenant-a', 'tenant-a', 'tenant-a']);
    expect(seen.map((s) => s.spanId)).toEqual(serverSpans.map((s) => s.spanContext().spanId));
    expect(tenants.getStore()).toBeUndefined();
  });

  it('pipelined requests on one connection each run in their own context, and so do their callbacks', async () => {
    // Both requests arrive in one packet, so Node parses them in one callback: the second must not
    // inherit the first's context, and the frame the connection came in must be back in between.
    const { monitoring } = setup('parentbased_rate_limited', true, 1);
    const tenants = new AsyncLocalStorage<string>();
    const seen: { path: string; tenant: string | undefined; traceId: string | undefined; later?: string | undefined }[] = [];
    const url = await serve(
      (req, res) => {
        const entry: (typeof seen)[number] = { path: req.url!, tenant: tenants.getStore(), traceId: trace.getActiveSpan()?.spanContext().traceId };
        seen.push(entry);
        setImmediate(() => {
          entry.later = trace.getActiveSpan()?.spanContext().traceId;
          res.end('ok');
        });
      },
      (listen) => tenants.run('tenant-a', listen),
    );
    const { port } = new URL(url);
    const socket = net.connect(Number(port), '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    socket.write('GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => okRequests(monitoring)?.count === 2, 'both requests to finish');
    expect(seen.map((s) => [s.path, s.tenant])).toEqual([
      ['/first', 'tenant-a'],
      ['/second', 'tenant-a'],
    ]);
    // One trace a second: the first is traced, the second dropped; each keeps its own trace id into its callback.
    expect(monitoring.spanStore.total).toBe(1);
    expect(seen[0]!.traceId).toBe(monitoring.spanStore.spans()[0]!.spanContext().traceId);
    for (const s of seen) expect(s.later).toBe(s.traceId);
    expect(seen[1]!.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(seen[1]!.traceId).not.toBe(seen[0]!.traceId);
  });

  it('a connection handed to the server as a stream runs each request in the context it was handed over in, plus its own span', async () => {
    // Node feeds such a connection's parser from JavaScript, in whatever async context writes the
    // bytes, and still calls the server back in the context the connection came in (as it does
    // for a socket it reads itself): the request's span is added to that one.
    const { monitoring } = setup();
    const tenants = new AsyncLocalStorage<string>();
    const seen: { tenant: string | undefined; spanId: string | undefined }[] = [];
    const server = http.createServer((_req, res) => {
      seen.push({ tenant: tenants.getStore(), spanId: trace.getActiveSpan()?.spanContext().spanId });
      res.end('ok');
    });
    const connection = new Duplex({
      read() {},
      write(_chunk, _encoding, done) {
        done();
      },
    });
    cleanups.push(() => void connection.destroy());
    tenants.run('connected', () => server.emit('connection', connection));
    // The server starts reading the stream on the next tick; written before, the bytes would wait for it.
    await new Promise((resolve) => setImmediate(resolve));
    // The writer runs in a span of its own. Its bytes are parsed and the handler runs inside
    // `push`, and once `push` returns the writer is back in its own context: a request's context
    // ends with the parser's callback, whichever way the instrumentation entered it.
    const writerSpan = trace.wrapSpanContext({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 });
    const write = (tenant: string, bytes: string) =>
      tenants.run(tenant, () =>
        context.with(trace.setSpan(context.active(), writerSpan), () => {
          connection.push(bytes);
          return { handled: seen.length, tenant: tenants.getStore(), spanId: trace.getActiveSpan()?.spanContext().spanId };
        }),
      );
    expect(write('writer-1', 'GET /a HTTP/1.1\r\nHost: x\r\n\r\n')).toEqual({ handled: 1, tenant: 'writer-1', spanId: 'b'.repeat(16) });
    await until(() => monitoring.spanStore.total === 1, 'the first span to end');
    expect(write('writer-2', 'GET /b HTTP/1.1\r\nHost: x\r\n\r\n')).toEqual({ handled: 2, tenant: 'writer-2', spanId: 'b'.repeat(16) });
    await until(() => monitoring.spanStore.total === 2, 'both spans to end');
    const serverSpans = monitoring.spanStore.spans().filter((s) => s.kind === SpanKind.SERVER);
    expect(serverSpans.map((s) => s.attributes['url.path'])).toEqual(['/a', '/b']);
    expect(seen).toEqual([
      { tenant: 'connected', spanId: serverSpans[0]!.spanContext().spanId },
      { tenant: 'connected', spanId: serverSpans[1]!.spanContext().spanId },
    ]);
  });

  it('a span processor or sampler of the app sees the request attributes when the span starts', async () => {
    const pathAtStart: unknown[] = [];
    const processor: SpanProcessor = {
      onStart: (span: SdkSpan) => void pathAtStart.push(span.attributes['url.path']),
      onEnd: () => undefined,
      forceFlush: async () => undefined,
      shutdown: async () => undefined,
    };
    const monitoring = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'svc-p' }, { spanProcessors: [processor] });
    cleanups.push(() => monitoring.shutdown());
    const withProcessor = new HttpServerInstrumentation({ collector: monitoring.collector, tracerProvider: monitoring.tracerProvider, sampler: monitoring.sampler }).enable();
    cleanups.push(() => withProcessor.disable());
    const url = await serve((_req, res) => res.end());
    await (await fetch(`${url}/orders/7?x=1`)).text();
    expect(pathAtStart).toEqual(['/orders/7']);
    withProcessor.disable();

    // A provider of the app's own, whose sampler decides on the path.
    const sampledPaths: unknown[] = [];
    const sampler: Sampler = {
      shouldSample(_ctx: Context, _traceId: string, _name: string, _kind: SpanKind, attributes: Attributes): SamplingResult {
        sampledPaths.push(attributes['url.path']);
        return { decision: attributes['url.path'] === '/skip' ? SamplingDecision.NOT_RECORD : SamplingDecision.RECORD_AND_SAMPLED };
      },
      toString: () => 'by path',
    };
    const ended: ReadableSpan[] = [];
    const provider = new NodeTracerProvider({ sampler, spanProcessors: [{ ...processor, onStart: () => undefined, onEnd: (span: ReadableSpan) => void ended.push(span) }] });
    cleanups.push(() => provider.shutdown());
    const own = new HttpServerInstrumentation({ collector: monitoring.collector, tracerProvider: provider, sampler: new AlwaysOnSampler() }).enable();
    cleanups.push(() => own.disable());
    await (await fetch(`${url}/skip`)).text();
    await (await fetch(`${url}/keep`)).text();
    expect(sampledPaths).toEqual(['/skip', '/keep']);
    expect(ended.map((s) => s.attributes['url.path'])).toEqual(['/keep']);
  });

  it('parent-based: an unsampled caller gets no span here; a sampled caller is followed even when the root budget is spent', async () => {
    const { monitoring } = setup('parentbased_rate_limited', true, 0);
    const seen: string[] = [];
    const url = await serve((_req, res) => {
      monitoring.coordinator.measure('work', (phase) => {
        seen.push(phase.traceId);
      });
      res.end();
    });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await (await fetch(url, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-00` } })).text();
    expect(monitoring.spanStore.total).toBe(0);
    expect(seen[0]).toBe(traceId);

    await (await fetch(url, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } })).text();
    const spans = monitoring.spanStore.spans();
    const server = spans.find((s) => s.kind === SpanKind.SERVER)!;
    expect(server.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(spans.find((s) => s.name === 'work')?.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
  });

  it('two enabled instances (two monitoring setups) each count every request', async () => {
    const { monitoring: first } = setup('always_off', false);
    const { monitoring: second } = setup('always_off', false);
    const url = await serve((_req, res) => res.end());
    for (let i = 0; i < 2; i++) await (await fetch(url)).text();
    for (const m of [first, second]) {
      expect(okRequests(m)?.count).toBe(2);
      expect(m.collector.getCounterValue(HTTP_SERVER_ACTIVE_METRIC, { 'url.scheme': 'http', 'http.request.method': 'GET' })).toBe(0);
    }
  });

  it('stops counting after disable(), and enable() twice subscribes once', async () => {
    const { monitoring, inst } = setup('always_off', false);
    inst.enable();
    const url = await serve((_req, res) => res.end());
    await (await fetch(url)).text();
    inst.disable();
    inst.disable();
    await (await fetch(url)).text();
    expect(inst.enabled).toBe(false);
    expect(okRequests(monitoring)?.count).toBe(1);
  });

  it('throws a ConfigurationError naming the option when the collector is missing', () => {
    expect(() => new HttpServerInstrumentation({} as never)).toThrow(ConfigurationError);
    expect(() => new HttpServerInstrumentation({} as never)).toThrow(/collector/);
  });
});
