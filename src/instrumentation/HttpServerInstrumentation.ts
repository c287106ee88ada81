import { requireArray, requireIntAtLeast, requireMethods, requireObject } from '../internal/configCheck.js';
import { randomBytes } from 'node:crypto';
import diagnosticsChannel from 'node:diagnostics_channel';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
// Imported rather than read from the global: Node defines `globalThis.performance` as a getter,
// and optimised code calls it (through V8's global-load IC) on every read, two per request
// (docs/instrumentation.md, "The `performance` global, two WeakSets and a boxed number").
import { performance } from 'node:perf_hooks';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  TraceFlags,
  isSpanContextValid,
  type Attributes,
  type Context,
  type Span,
  type SpanContext,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { RPCType, getRPCMetadata, setRPCMetadata, suppressTracing, type RPCMetadata } from '@opentelemetry/core';
import type { Sampler } from '@opentelemetry/sdk-trace-base';
import type { MemoryCollector } from '../collectors/MemoryCollector.js';
import { samplerShape } from '../tracing/createSampler.js';
import { LeanSpan, leanTracer, type LeanTracer } from '../tracing/LeanTracer.js';
import { enterForRestOfCallback } from '../tracing/contextManager.js';
import type { BoundGauge, BoundHistogram, GaugeMetric, HistogramMetric } from '../collectors/handles.js';
import { isOwnServer } from '../internal/ownServers.js';
import { reportOnce } from '../internal/report.js';

/** Histogram of server request durations in seconds (OTel semantic conventions, stable). */
export const HTTP_SERVER_DURATION_METRIC = 'http.server.request.duration';
/** Up-down counter of requests being served right now (OTel semantic conventions). */
export const HTTP_SERVER_ACTIVE_METRIC = 'http.server.active_requests';

/**
 * The instruments `HttpServerInstrumentation` records, by role.
 *
 * @example
 * collector.getHistogram(HTTP_SERVER_METRICS.duration, { 'http.request.method': 'GET', 'http.route': '/orders' });
 */
export const HTTP_SERVER_METRICS = Object.freeze({ duration: HTTP_SERVER_DURATION_METRIC, active: HTTP_SERVER_ACTIVE_METRIC } as const);
/** Bucket bounds the semantic conventions advise for `http.server.request.duration`. */
export const HTTP_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

export interface HttpServerInstrumentationOptions {
  /** Where the RED metrics go (its cells: no OTel attribute hashing per request). */
  collector: MemoryCollector;
  /**
   * Start a SERVER span per request from this provider (sampled by its sampler), with the parent
   * taken from the request headers by the global propagator (W3C `traceparent`/`tracestate` by
   * default). Without it only metrics are recorded. The span's attributes are passed to
   * `startSpan`, so samplers and span processors see them at start, unless the provider is one
   * `createMonitoring` built without extra `spanProcessors`: nothing there reads them at start,
   * and the span is a leaner one with the SDK span's behaviour (decision 006).
   */
  tracerProvider?: TracerProvider;
  /**
   * The provider's sampler (`monitoring.sampler`). When it is one `createSampler` built and can
   * tell up front that a request will be dropped (rate-limited or always-off roots, an unsampled
   * `traceparent` under a parent-based sampler), no span is built for it: the handler runs in a
   * non-recording context, so phases inside it are dropped too, and its trace id still
   * correlates events. Without it, every request goes through `tracer.startSpan`.
   */
  sampler?: Sampler;
  /**
   * Keep a DDSketch per duration series, for in-memory percentiles within 1% (`getHistogram(...)
   * .p99`). Off by default: it costs about a tenth of the metrics path per request, and the
   * semantic-convention buckets already serve `histogram_quantile` in Prometheus and quantiles
   * over OTLP; without it in-memory percentiles are interpolated within those buckets.
   */
  sketch?: boolean;
  /**
   * Request paths that record nothing (no span, no metrics): Prometheus scrapes and health
   * probes would otherwise dominate RED metrics and traces. Exact paths, or a prefix ending in
   * `/*` (`/health/*` matches `/health/live`). The query string is ignored. Default
   * {@link DEFAULT_IGNORED_PATHS}; `[]` records everything. Requests to this SDK's own servers
   * (`PrometheusEndpoint.listen()`) are never recorded, whatever their path.
   */
  ignorePaths?: readonly string[];
  /**
   * At most this many distinct `http.route` values (over all methods); a request whose route
   * would be one more is recorded without the label, and the overflow is reported once. Routes
   * come from the framework's route table (templates such as `/checkout/:id`), so this only
   * trips when something feeds raw paths to {@link setHttpRoute}. Default 1000.
   */
  maxRoutes?: number;
}

/**
 * Paths not recorded by default: the Prometheus scrape and the usual health / readiness probes
 * (Kubernetes' `livez`/`readyz`/`healthz`, this SDK's `/health`, `/health/live`, `/health/ready`).
 */
export const DEFAULT_IGNORED_PATHS: readonly string[] = Object.freeze(['/metrics', '/health', '/health/*', '/healthz', '/livez', '/readyz', '/ready', '/live', '/ping']);

/** An ignored exact path, or a prefix (kept with its trailing slash). */
interface IgnoredPath {
  readonly path: string;
  readonly prefix: boolean;
}

/**
 * The `ignorePaths` entries, indexed so that a URL (path and query) is compared in place, with no
 * search for the query and no slice, against the few entries sharing its second character (the
 * one after the leading `/`). `/` and `/*` are flags, since they have no second character, and an
 * entry containing `?` is left out: the query is not part of the path, so it could never match.
 */
class IgnoredPaths {
  /** `/*` is an entry: every path is ignored. */
  private readonly _all: boolean = false;
  /** `/` is an entry: the root path is ignored, with or without a query. */
  private readonly _root: boolean = false;
  /** Entries by their second character; slot 128 holds those whose second character is not ASCII. */
  private readonly _bySecond = new Array<IgnoredPath[] | undefined>(129).fill(undefined);

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const prefix = entry.endsWith('/*');
      const path = prefix ? entry.slice(0, -1) : entry;
      if (path === '/') {
        // No second character to index it by.
        if (prefix) this._all = true;
        else this._root = true;
        continue;
      }
      if (path.includes('?')) continue;
      const c = path.charCodeAt(1);
      (this._bySecond[c < 128 ? c : 128] ??= []).push({ path, prefix });
    }
  }

  has(url: string): boolean {
    if (url.charCodeAt(0) !== 47) return false; // every entry starts with `/`
    if (this._all) return true;
    const c = url.charCodeAt(1);
    if (url.length === 1 || c === 63) return this._root;
    const candidates = this._bySecond[c < 128 ? c : 128];
    if (candidates === undefined) return false;
    for (let i = 0; i < candidates.length; i++) {
      const { path, prefix } = candidates[i]!;
      if (!url.startsWith(path)) continue;
      // A prefix matches whatever follows it; an exact path only the end or a query.
      if (prefix || url.length === path.length || url.charCodeAt(path.length) === 63) return true;
    }
    return false;
  }
}

const TRACER_NAME = 'service-infrastructure/http';
const TRACER_VERSION = '0.1.0';

/** Route templates longer than this are not used as `http.route` (a template is short; a raw path may not be). */
const MAX_ROUTE_LENGTH = 256;

// Methods the semantic conventions name; anything else is reported as `_OTHER`, which also
// bounds the label's cardinality against clients sending made-up methods.
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE', 'QUERY']);
const MAX_STATUS = 600;

// Requests in flight are kept per connection, in an array under a symbol per instance (so two
// enabled instances, say of two monitoring setups, each count every request) on the socket: one
// 'close' listener per connection catches every request the client aborted, where a listener per
// response would cost ~0.2 µs a request. The array holds one request at a time unless the client
// pipelines. Nothing is added to the request or response objects.

/** @internal The duration series of one method (and route, when known), resolved once. */
class RouteSeries {
  /** Duration series by status code, so finishing a request allocates no label object or key. */
  readonly byStatus = new Array<BoundHistogram | null | undefined>(MAX_STATUS);
  aborted: BoundHistogram | null | undefined = undefined;
  constructor(readonly route: string | undefined) {}
}

/** @internal The series of one request method and scheme, resolved once: a request does one Map lookup. */
class MethodSeries {
  /** Requests no route was found for (404s, plain node:http servers). */
  readonly unrouted = new RouteSeries(undefined);
  /** By route template; bounded by `maxRoutes` over the instance. */
  readonly routes = new Map<string, RouteSeries>();
  constructor(
    readonly method: string,
    readonly scheme: string,
    readonly active: BoundGauge | null,
  ) {}
}

/** @internal */
class RequestState {
  span: Span | undefined = undefined;
  /** Set by the framework hooks (Fastify's channel, `setHttpRoute`); Express is read at the end. */
  route: string | undefined = undefined;
  /** The RPC metadata OTel's framework instrumentations (express, koa, hapi, ...) write the route into. */
  rpc: RPCMetadata | undefined = undefined;
  done = false;
  constructor(
    readonly request: IncomingMessage,
    readonly response: ServerResponse,
    readonly series: MethodSeries,
    readonly start: number,
  ) {}
}

type TrackedSocket = Socket & Record<symbol, RequestState[] | undefined>;

interface ChannelMessage {
  request: IncomingMessage;
  response: ServerResponse;
  socket: Socket | undefined;
  server: Server;
}

const START_CHANNEL = 'http.server.request.start';
const FINISH_CHANNEL = 'http.server.response.finish';
/** Fastify 5 publishes each matched route here (`route.url` is the template) before its handler. */
const FASTIFY_HANDLER_CHANNEL = 'tracing:fastify.request.handler:start';

interface FastifyHandlerMessage {
  request?: { raw?: IncomingMessage };
  reply?: { raw?: ServerResponse };
  route?: { url?: unknown };
}

/**
 * Marks a server whose `emit` was wrapped, so a handler runs inside its request's span context.
 * A property read on the server, where a WeakSet lookup costs a hash probe per request.
 */
const WRAPPED = Symbol('si.http.wrapped');
type WrappableServer = Server & { [WRAPPED]?: true };
/** Enabled instances, for {@link setHttpRoute}. */
const enabledInstances = new Set<HttpServerInstrumentation>();
/** The context an ignored request's handler runs in: nothing it calls is traced either. */
const SUPPRESSED_CONTEXT = suppressTracing(ROOT_CONTEXT);

/**
 * Sets the `http.route` of the request being served, for frameworks whose route is not found
 * by itself (Express 5 and Fastify 5 are; so is any framework OTel's instrumentation for it sets
 * the route for, on traced requests). Pass the route template, never the raw path: `/users/:id`,
 * not `/users/42`; a raw path would make one series per user. Routes longer than 256 characters
 * are ignored, and at most `maxRoutes` distinct ones are kept. Does nothing when no
 * `HttpServerInstrumentation` is enabled.
 *
 * @example
 * // Koa with @koa/router
 * app.use(async (ctx, next) => { await next(); if (ctx._matchedRoute) setHttpRoute(ctx.req, String(ctx._matchedRoute)); });
 * // Hapi
 * server.ext('onPreHandler', (request, h) => { setHttpRoute(request.raw.req, request.route.path); return h.continue; });
 */
export function setHttpRoute(request: IncomingMessage, route: string): void {
  if (typeof route !== 'string' || route.length === 0 || route.length > MAX_ROUTE_LENGTH) return;
  for (const inst of enabledInstances) inst._setRoute(request, undefined, route);
}

/**
 * RED metrics (and optionally a SERVER span) for every `node:http` / `node:https` server in the
 * process, fed by Node's `diagnostics_channel` (`http.server.request.start`,
 * `http.server.response.finish`) instead of monkey-patching: OTel's http instrumentation added
 * ~15 µs of CPU per request in `bench/http.js`; this path ~0.2 µs for metrics, ~0.6 µs for a
 * request the sampler drops, ~1.4 µs for a traced one (`bench/http-path.js`).
 *
 * Metrics, per the OTel semantic conventions:
 * - `http.server.request.duration` (histogram, seconds) by `http.request.method`,
 *   `http.response.status_code` and, for 5xx responses or aborted requests, `error.type`.
 *   Its count is the request rate, its `error.type` series the error rate.
 * - `http.server.active_requests` (up-down counter) by `http.request.method`.
 *
 * Requests the sampler drops still count in the metrics: only the span is skipped. A sampled
 * request's trace and span id are kept as the exemplar of the duration bucket it landed in
 * (visible over OTLP and in OpenMetrics exposition).
 *
 * @example
 * const monitoring = createMonitoring({ mode: MonitoringMode.DIRECT });
 * const http = new HttpServerInstrumentation({
 *   collector: monitoring.collector,
 *   tracerProvider: monitoring.tracerProvider, // omit for metrics only
 *   sampler: monitoring.sampler,
 * }).enable();
 * // ... serve requests ...
 * monitoring.collector.getHistogram('http.server.request.duration', { 'http.request.method': 'GET', 'http.response.status_code': 200 });
 */
export class HttpServerInstrumentation {
  private readonly _collector: MemoryCollector;
  private readonly _tracer: Tracer | undefined;
  private readonly _durationFamily: HistogramMetric;
  private readonly _activeFamily: GaugeMetric;
  /** Known request methods (as sent) and `_OTHER` to their series; anything else maps to `_OTHER`. */
  private readonly _methods = new Map<string, MethodSeries>();
  /** The same for requests over TLS (`url.scheme` is `https`). */
  private readonly _tlsMethods = new Map<string, MethodSeries>();
  private readonly _ignoredPaths: IgnoredPaths;
  private readonly _maxRoutes: number;
  private _routeCount = 0;
  private readonly _parentBased: boolean;
  /** Starts the SERVER spans when the provider is one `createMonitoring` built for it (decision 006). */
  private readonly _lean: LeanTracer | undefined;
  /** The propagator's header names, read on the first request (the propagator is set by then). */
  private _fields: PropagationFields | undefined;
  private readonly _wouldSampleRoot: ((now?: number) => boolean) | undefined;
  private _enabled = false;
  private readonly _onStart: (message: unknown) => void;
  private readonly _onFinish: (message: unknown) => void;
  private readonly _onFastifyHandler: (message: unknown) => void;
  /** 'close' listener shared by all sockets of this instance (reads the socket as `this`). */
  private readonly _onSocketClose: (this: TrackedSocket) => void;
  private readonly _key = Symbol('si.http.inflight');

  constructor(options: HttpServerInstrumentationOptions) {
    requireObject('options', options, '{ collector, ... }');
    requireMethods('collector', options.collector, ['histogram'], 'a MemoryCollector');
    this._collector = options.collector;
    this._tracer = options.tracerProvider?.getTracer(TRACER_NAME, TRACER_VERSION);
    this._lean = options.tracerProvider === undefined ? undefined : leanTracer(options.tracerProvider, TRACER_NAME, TRACER_VERSION);
    const shape = options.sampler !== undefined ? samplerShape(options.sampler) : undefined;
    this._parentBased = shape?.parentBased ?? false;
    this._wouldSampleRoot = shape?.wouldSampleRoot;
    const ignore = options.ignorePaths ?? DEFAULT_IGNORED_PATHS;
    requireArray('ignorePaths', ignore, 'an array of paths starting with /, e.g. ["/metrics", "/health/*"]', (p) => typeof p === 'string' && p.startsWith('/'));
    this._ignoredPaths = new IgnoredPaths(ignore);
    const maxRoutes = options.maxRoutes ?? 1000;
    requireIntAtLeast('maxRoutes', maxRoutes, 0, 'an integer >= 0');
    this._maxRoutes = maxRoutes;
    this._durationFamily = this._collector.histogram(HTTP_SERVER_DURATION_METRIC, {
      description: 'Duration of HTTP server requests.',
      unit: 's',
      buckets: HTTP_DURATION_BUCKETS,
      sketch: options.sketch === true,
    });
    this._activeFamily = this._collector.upDownCounter(HTTP_SERVER_ACTIVE_METRIC, {
      description: 'Number of active HTTP server requests.',
      unit: '{request}',
    });
    // Bound once here, so subscribing and unsubscribing use the same function objects.
    this._onStart = (message) => this._start(message as ChannelMessage);
    this._onFinish = (message) => this._finished(message as ChannelMessage);
    this._onFastifyHandler = (message) => {
      const m = message as FastifyHandlerMessage;
      const req = m.request?.raw;
      const url = m.route?.url;
      if (req !== undefined && typeof url === 'string') this._setRoute(req, m.reply?.raw, url);
    };
    const key = this._key;
    const owner = this;
    this._onSocketClose = function onSocketClose(this: TrackedSocket): void {
      const open = this[key];
      if (open === undefined) return;
      // Whatever is still open when its connection closes was aborted (the finish channel never
      // fires for it), so in-flight cannot leak.
      for (let i = 0; i < open.length; i++) owner._record(open[i]!, true);
      open.length = 0;
    };
  }

  /** True between `enable()` and `disable()`. */
  get enabled(): boolean {
    return this._enabled;
  }

  /** Whether a span is started per request. */
  get tracing(): boolean {
    return this._tracer !== undefined;
  }

  /** Subscribes to Node's http server channels. Calling it twice is harmless. */
  enable(): this {
    if (this._enabled) return this;
    this._enabled = true;
    diagnosticsChannel.subscribe(START_CHANNEL, this._onStart);
    diagnosticsChannel.subscribe(FINISH_CHANNEL, this._onFinish);
    diagnosticsChannel.subscribe(FASTIFY_HANDLER_CHANNEL, this._onFastifyHandler);
    enabledInstances.add(this);
    return this;
  }

  /** Unsubscribes; requests already in flight are still completed and counted. */
  disable(): void {
    if (!this._enabled) return;
    this._enabled = false;
    diagnosticsChannel.unsubscribe(START_CHANNEL, this._onStart);
    diagnosticsChannel.unsubscribe(FINISH_CHANNEL, this._onFinish);
    diagnosticsChannel.unsubscribe(FASTIFY_HANDLER_CHANNEL, this._onFastifyHandler);
    enabledInstances.delete(this);
  }

  /** @internal Sets the route of the open request `req` (answered by `res`, when known). */
  _setRoute(req: IncomingMessage, res: ServerResponse | undefined, route: string): void {
    const open = (req.socket as TrackedSocket | null)?.[this._key];
    if (open === undefined) return;
    for (let i = 0; i < open.length; i++) {
      const state = open[i]!;
      if (state.request === req || state.response === res) {
        state.route = route;
        return;
      }
    }
  }

  /** Whether `url` (path and query) is one of the ignored paths. */
  private _ignored(url: string | undefined): boolean {
    return url !== undefined && this._ignoredPaths.has(url);
  }

  private _start(message: ChannelMessage): void {
    try {
      const req = message.request;
      const res = message.response;
      if (isOwnServer(message.server) || this._ignored(req.url)) {
        // A scrape or a probe: not recorded, and whatever its handler calls is not traced either.
        if (this._tracer !== undefined) runIn(res, message.server, SUPPRESSED_CONTEXT);
        return;
      }
      const socket = (message.socket ?? req.socket) as TrackedSocket | null;
      const tls = (socket as { encrypted?: boolean } | null)?.encrypted === true;
      const series = this._methodSeries(req.method, tls);
      const now = performance.now();
      const state = new RequestState(req, res, series, now);
      if (socket !== null) {
        let open = socket[this._key];
        if (open === undefined) {
          // Node keeps the peer address on the socket (`_peername`) when it is first read, and
          // a sampled span reads it. Read here instead, when the connection is first seen, every
          // socket of a traced server has one shape: sockets that gained it only on a sampled
          // request cost ~10 points of throughput on Node 24 and 26 (docs/instrumentation.md,
          // "The socket's hidden class").
          if (this._tracer !== undefined) void socket.remoteAddress;
          open = socket[this._key] = [];
          socket.once('close', this._onSocketClose);
        }
        open.push(state);
      }
      series.active?.add(1);
      if (this._tracer === undefined) return;
      const method = series.method;
      const carrier = propagationCarrier(req, (this._fields ??= new PropagationFields(propagation.fields())));
      const parent = carrier === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, carrier);
      const extracted = trace.getSpanContext(parent);
      // The caller's span context, when it sent a valid one.
      const remote = extracted !== undefined && isSpanContextValid(extracted) ? extracted : undefined;
      if (remote !== undefined) {
        // A parent-based sampler drops whatever an unsampled caller started: skip the span and
        // run the handler in the caller's (unsampled) context, keeping its trace id.
        if (this._parentBased && (remote.traceFlags & TraceFlags.SAMPLED) === 0) return runIn(res, message.server, parent);
      } else if (this._wouldSampleRoot !== undefined && !this._wouldSampleRoot(now)) {
        // A root the sampler will drop (rate limit spent, or always-off): OTel's startSpan would
        // spend ~0.5 µs on random ids, attribute copies and the decision only to return a
        // non-recording span, so build that context directly, with ids made only if asked for.
        return runIn(res, message.server, unsampledRootContext(parent));
      }
      const name = method === '_OTHER' ? 'HTTP' : method;
      let span: Span;
      if (this._lean !== undefined) {
        // The span starts at the clock reading the metrics took, and takes the attributes object
        // as it is: nothing in this provider reads them at start.
        span = this._lean.startSpan(name, SpanKind.SERVER, parent, remote, now);
        if (span instanceof LeanSpan) span.initAttributes(serverSpanAttributes(req, method, series.scheme));
      } else {
        span = this._tracer.startSpan(name, { kind: SpanKind.SERVER, attributes: serverSpanAttributes(req, method, series.scheme) }, parent);
      }
      state.span = span;
      // OTel's framework instrumentations (express, koa, hapi, nestjs-core, router, ...) write the
      // matched route into this, as they do for OTel's own http instrumentation.
      const rpc: RPCMetadata = { type: RPCType.HTTP, span };
      state.rpc = rpc;
      runIn(res, message.server, requestContext(parent, span, rpc));
    } catch (err) {
      reportOnce('http.start', `http server instrumentation failed at request start: ${String(err)}`);
    }
  }

  /** A response finished: take it off its connection's open list and record it. */
  private _finished(message: ChannelMessage): void {
    const res = message.response;
    const open = ((message.socket ?? message.request.socket) as TrackedSocket | null)?.[this._key];
    if (open === undefined) return; // started before enable()
    const last = open.length - 1;
    for (let i = 0; i <= last; i++) {
      const state = open[i]!;
      if (state.response !== res) continue;
      // Setting `length` is a runtime call; pop() is not.
      if (i !== last) open.splice(i, 1);
      else open.pop();
      this._record(state, false);
      return;
    }
  }

  /** @internal Records one finished (or aborted) request; runs once per request. */
  _record(state: RequestState, aborted: boolean): void {
    if (state.done) return;
    state.done = true;
    try {
      const now = performance.now();
      const seconds = (now - state.start) / 1000;
      const methodSeries = state.series;
      methodSeries.active?.add(-1);
      const status = state.response.statusCode;
      const route = state.route ?? expressRoute(state.request) ?? state.rpc?.route;
      const routeSeries = route === undefined ? methodSeries.unrouted : this._routeSeries(methodSeries, route);
      const series = aborted ? this._abortedSeries(methodSeries, routeSeries) : this._durationSeries(methodSeries, routeSeries, status);
      const span = state.span;
      if (series !== null) {
        // A sampled request leaves its trace as the exemplar of its duration bucket, so a slow
        // bucket on a dashboard links to a trace of a request that landed in it.
        const sc = span?.spanContext();
        if (sc !== undefined && (sc.traceFlags & TraceFlags.SAMPLED) !== 0) series.recordWithExemplar(seconds, sc.traceId, sc.spanId);
        else series.record(seconds);
      }
      if (span !== undefined) {
        state.span = undefined;
        if (span.isRecording()) {
          if (routeSeries.route !== undefined) {
            span.setAttribute('http.route', routeSeries.route);
            span.updateName(`${methodSeries.method === '_OTHER' ? 'HTTP' : methodSeries.method} ${routeSeries.route}`);
          }
          if (!aborted) span.setAttribute('http.response.status_code', status);
          if (aborted) {
            span.setAttribute('error.type', 'aborted');
            span.setStatus({ code: SpanStatusCode.ERROR, message: 'request aborted' });
          } else if (status >= 500) {
            span.setAttribute('error.type', String(status));
            span.setStatus({ code: SpanStatusCode.ERROR });
          }
        }
        if (span instanceof LeanSpan) span.endAt(now);
        else span.end();
      }
    } catch (err) {
      reportOnce('http.finish', `http server instrumentation failed at request end: ${String(err)}`);
    }
  }

  private _methodSeries(raw: string | undefined, tls: boolean): MethodSeries {
    const methods = tls ? this._tlsMethods : this._methods;
    let m = raw === undefined ? undefined : methods.get(raw);
    if (m === undefined) {
      // Methods the semantic conventions do not name share one `_OTHER` entry, so clients sending
      // made-up methods cannot grow the map or the label's cardinality.
      const method = raw !== undefined && KNOWN_METHODS.has(raw) ? raw : '_OTHER';
      m = methods.get(method);
      if (m === undefined) {
        const scheme = tls ? 'https' : 'http';
        m = new MethodSeries(method, scheme, this._activeFamily.tryBind({ 'http.request.method': method, 'url.scheme': scheme }) ?? null);
        methods.set(method, m);
      }
    }
    return m;
  }

  /** The series of `route` under `m`; past `maxRoutes` distinct routes, the unrouted ones. */
  private _routeSeries(m: MethodSeries, route: string): RouteSeries {
    let r = m.routes.get(route);
    if (r === undefined) {
      if (route.length === 0 || route.length > MAX_ROUTE_LENGTH) return m.unrouted;
      if (this._routeCount >= this._maxRoutes) {
        reportOnce('http.routes', `http server instrumentation: more than ${this._maxRoutes} distinct http.route values (maxRoutes); further routes are recorded without the label`);
        return m.unrouted;
      }
      this._routeCount++;
      r = new RouteSeries(route);
      m.routes.set(route, r);
    }
    return r;
  }

  private _labels(m: MethodSeries, r: RouteSeries): Record<string, string | number> {
    const labels: Record<string, string | number> = { 'http.request.method': m.method, 'url.scheme': m.scheme };
    if (r.route !== undefined) labels['http.route'] = r.route;
    return labels;
  }

  private _durationSeries(m: MethodSeries, r: RouteSeries, status: number): BoundHistogram | null {
    const code = Number.isInteger(status) && status > 0 && status < MAX_STATUS ? status : 0;
    let s = r.byStatus[code];
    if (s === undefined) {
      const labels = this._labels(m, r);
      labels['http.response.status_code'] = code;
      if (code >= 500) labels['error.type'] = String(code);
      s = this._durationFamily.tryBind(labels) ?? null;
      r.byStatus[code] = s;
    }
    return s;
  }

  private _abortedSeries(m: MethodSeries, r: RouteSeries): BoundHistogram | null {
    if (r.aborted === undefined) {
      const labels = this._labels(m, r);
      labels['error.type'] = 'aborted';
      r.aborted = this._durationFamily.tryBind(labels) ?? null;
    }
    return r.aborted;
  }
}

// Ids for requests that are not sampled: never exported, only carried in context (and in
// events and outgoing traceparent headers) for correlation, so uniqueness within the process
// matters and randomness does not. A random per-process prefix plus a 64-bit counter, written
// in hex from a table, costs a fraction of OTel's random ids.
const TRACE_PREFIX = randomBytes(8).toString('hex');
const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
let idLow = 0;
let idHigh = 0;
let idHighHex = hex32(0);

function hex32(n: number): string {
  return HEX_BYTE[(n >>> 24) & 255]! + HEX_BYTE[(n >>> 16) & 255]! + HEX_BYTE[(n >>> 8) & 255]! + HEX_BYTE[n & 255]!;
}

function unsampledRootSpanContext(): SpanContext {
  idLow = (idLow + 1) >>> 0;
  if (idLow === 0) idHighHex = hex32(++idHigh);
  const n = idHighHex + hex32(idLow);
  return { traceId: TRACE_PREFIX + n, spanId: n, traceFlags: TraceFlags.NONE, isRemote: false };
}

// The API keeps the active span under this key; it is a `Symbol.for` so that every copy of
// @opentelemetry/api in a process agrees on it.
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');

// OTel's core keeps the RPC metadata (where framework instrumentations write the matched route)
// under this key; like the span key it is a `Symbol.for` (the API's createContextKey).
const RPC_METADATA_KEY = Symbol.for('OpenTelemetry SDK Context Key RPC_METADATA');

/**
 * A request's context: its parent plus the request's span (and, for a traced request, its RPC
 * metadata). The API's context copies a Map and makes three closures per `setValue`, so the
 * regular `setRPCMetadata(trace.setSpan(parent, span), rpc)` costs two of those per request; this
 * holds three fields, and builds the regular context only when something derives from it (a
 * phase's child span, baggage, a framework instrumentation's own value).
 */
class RequestContext implements Context {
  private _regular: Context | undefined = undefined;

  constructor(
    private readonly _parent: Context,
    private readonly _span: Span,
    private readonly _rpc: RPCMetadata | undefined,
  ) {}

  getValue(key: symbol): unknown {
    if (key === SPAN_KEY) return this._span;
    if (key === RPC_METADATA_KEY && this._rpc !== undefined) return this._rpc;
    return this._parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return this._asRegular().setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return this._asRegular().deleteValue(key);
  }

  private _asRegular(): Context {
    return (this._regular ??= regularContext(this._parent, this._span, this._rpc));
  }
}

function regularContext(parent: Context, span: Span, rpc: RPCMetadata | undefined): Context {
  const ctx = trace.setSpan(parent, span);
  return rpc === undefined ? ctx : setRPCMetadata(ctx, rpc);
}

/**
 * The context, and the span, of a request whose root the sampler drops: one object where the
 * regular way takes five (a span context, its two id strings, a non-recording span, a context).
 * Its ids are made the first time something asks for them (a phase looking up its parent, an
 * event taking the trace id, an outgoing `traceparent`); many requests never do.
 *
 * It repeats RequestContext's lazy regular context rather than sharing a base class with it: a
 * derived class made a dropped request 13–40 ns slower to set up (bench/http-path.js rate, three runs).
 */
class UnsampledRootContext implements Context, Span {
  private _spanContext: SpanContext | undefined = undefined;
  private _regular: Context | undefined = undefined;

  constructor(private readonly _parent: Context) {}

  getValue(key: symbol): unknown {
    return key === SPAN_KEY ? this : this._parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return this._asRegular().setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return this._asRegular().deleteValue(key);
  }

  private _asRegular(): Context {
    return (this._regular ??= trace.setSpan(this._parent, this));
  }

  spanContext(): SpanContext {
    return (this._spanContext ??= unsampledRootSpanContext());
  }

  isRecording(): boolean {
    return false;
  }

  // A dropped span records nothing: every setter returns the span, as OTel's non-recording span does.
  setAttribute(): this {
    return this;
  }

  setAttributes(): this {
    return this;
  }

  addEvent(): this {
    return this;
  }

  addLink(): this {
    return this;
  }

  addLinks(): this {
    return this;
  }

  setStatus(): this {
    return this;
  }

  updateName(): this {
    return this;
  }

  end(): void {}

  recordException(): void {}
}

// Checked once: should the API or core ever keep the span or the RPC metadata under other keys,
// the regular contexts are used.
const REQUEST_CONTEXT_WORKS = (() => {
  const probe = trace.wrapSpanContext(unsampledRootSpanContext());
  const rpc: RPCMetadata = { type: RPCType.HTTP, span: probe };
  const ctx = new RequestContext(ROOT_CONTEXT, probe, rpc);
  const root = new UnsampledRootContext(ROOT_CONTEXT);
  return (
    trace.getSpan(ctx) === probe &&
    getRPCMetadata(ctx) === rpc &&
    trace.getSpan(ctx.setValue(Symbol('probe'), 1)) === probe &&
    trace.getSpan(root) === root &&
    trace.getSpan(root.setValue(Symbol('probe'), 1)) === root
  );
})();

/** The context a request's handler runs in. */
function requestContext(parent: Context, span: Span, rpc: RPCMetadata | undefined): Context {
  return REQUEST_CONTEXT_WORKS ? new RequestContext(parent, span, rpc) : regularContext(parent, span, rpc);
}

/** The context a request runs in when its root is not sampled. */
function unsampledRootContext(parent: Context): Context {
  return REQUEST_CONTEXT_WORKS ? new UnsampledRootContext(parent) : trace.setSpan(parent, trace.wrapSpanContext(unsampledRootSpanContext()));
}

// The start channel fires in the same synchronous call as the server's 'request' event, just
// before it, so the context for that event is handed over here rather than stored on the response.
let pendingResponse: ServerResponse | undefined;
let pendingContext: Context = ROOT_CONTEXT;

/** Makes the server run this request's 'request' listeners inside `ctx`. */
function runIn(res: ServerResponse, server: Server, ctx: Context): void {
  pendingResponse = res;
  pendingContext = ctx;
  if ((server as WrappableServer)[WRAPPED] !== true) wrapServer(server);
}


/**
 * The propagation headers of a request (`traceparent`, `tracestate`, `baggage`: whatever the
 * global propagator's `fields()` are); undefined when there are none. They are read from
 * `req.rawHeaders`, which the parser has filled, and not from `req.headers`: that object is built
 * on its first read (every name lower-cased and interned, every value copied into it), which a
 * server that never reads it would otherwise pay on every request for the instrumentation's sake.
 * Names are compared without case; a header sent twice is joined with `, `, as `req.headers` joins it.
 */
function propagationCarrier(req: IncomingMessage, fields: PropagationFields): Record<string, string> | undefined {
  const raw = req.rawHeaders;
  let carrier: Record<string, string> | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const field = fields.match(raw[i]!);
    if (field === undefined) continue;
    const value = raw[i + 1]!;
    carrier ??= {};
    const seen = carrier[field];
    carrier[field] = seen === undefined ? value : `${seen}, ${value}`;
  }
  return carrier;
}

/** The global propagator's header names, lower-cased, indexed by length. */
class PropagationFields {
  /** Names by their length: a header name of another length is rejected with one array read. */
  private readonly _byLength: (string[] | undefined)[] = [];

  constructor(names: readonly string[]) {
    for (const name of names) {
      const lower = name.toLowerCase();
      const same = (this._byLength[lower.length] ??= []);
      if (!same.includes(lower)) same.push(lower);
    }
  }

  /** The field `name` (a header name as sent) is, in lower case; undefined if none. */
  match(name: string): string | undefined {
    if (name.length >= this._byLength.length) return undefined;
    const candidates = this._byLength[name.length];
    if (candidates === undefined) return undefined;
    for (let i = 0; i < candidates.length; i++) if (equalsIgnoringAsciiCase(name, candidates[i]!)) return candidates[i];
    return undefined;
  }
}

/** Whether `name` equals `lower` (lower case, same length) when ASCII capitals are lowered. */
function equalsIgnoringAsciiCase(name: string, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    let c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) c |= 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Express 5 (router 2) leaves the matched route on the request: `req.route.path` is the template
 * as written in the app, `req.baseUrl` the mount path of the router that matched it. Nothing else
 * of Express is read, and a request Express matched no route for (a 404) has no `req.route`.
 */
function expressRoute(req: IncomingMessage): string | undefined {
  const route = (req as { route?: { path?: unknown } }).route;
  if (route === undefined || route === null) return undefined;
  const path = route.path;
  if (typeof path !== 'string') return undefined;
  const base = (req as { baseUrl?: unknown }).baseUrl;
  if (typeof base !== 'string' || base === '') return path;
  return path === '/' ? base : base + path;
}

/** Query parameters whose values are credentials in signed URLs; the semantic conventions ask to redact them. */
const REDACTED_QUERY_PARAMS = new Set(['AWSAccessKeyId', 'Signature', 'sig', 'X-Goog-Signature']);
/** Whether a query string holds one of them: most hold none, and skip the split. */
const HAS_REDACTED_PARAM = new RegExp(`(?:^|&)(?:${[...REDACTED_QUERY_PARAMS].join('|')})=`);

/**
 * A SERVER span's attributes at its start, per the stable HTTP semantic conventions (required and
 * recommended ones; see docs/instrumentation.md for the opt-in ones left out).
 */
function serverSpanAttributes(req: IncomingMessage, method: string, scheme: string): Attributes {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const headers = req.headers;
  const socket = req.socket as Socket | null;
  const attributes: Attributes = {
    'http.request.method': method,
    'url.path': q < 0 ? url : url.slice(0, q),
    'url.scheme': scheme,
    'network.protocol.version': req.httpVersion,
  };
  if (method !== req.method && req.method !== undefined) attributes['http.request.method_original'] = req.method;
  if (q >= 0) attributes['url.query'] = redactQuery(url.slice(q + 1));
  const host = cachedAuthority(headers['x-forwarded-host'] ?? headers.host);
  if (host !== undefined) {
    attributes['server.address'] = host.address;
    attributes['server.port'] = host.port ?? (scheme === 'https' ? 443 : 80);
  }
  const peer = socket?.remoteAddress;
  if (peer !== undefined) {
    attributes['network.peer.address'] = peer;
    if (socket!.remotePort !== undefined) attributes['network.peer.port'] = socket!.remotePort;
  }
  const client = forwardedClient(headers) ?? peer;
  if (client !== undefined) attributes['client.address'] = client;
  const ua = headers['user-agent'];
  if (ua !== undefined) attributes['user_agent.original'] = ua;
  return attributes;
}

function redactQuery(query: string): string {
  if (!HAS_REDACTED_PARAM.test(query)) return query;
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq > 0 && REDACTED_QUERY_PARAMS.has(pair.slice(0, eq)) ? `${pair.slice(0, eq)}=REDACTED` : pair;
    })
    .join('&');
}

// A server sees the same Host header on almost every request: the last one parsed is kept.
let lastHostHeader: string | undefined;
let lastAuthority: { address: string; port: number | undefined } | undefined;

function cachedAuthority(raw: string | string[] | undefined): { address: string; port: number | undefined } | undefined {
  if (typeof raw !== 'string') return authority(raw);
  if (raw !== lastHostHeader) {
    lastAuthority = authority(raw);
    lastHostHeader = raw;
  }
  return lastAuthority;
}

/** Host and port of a `Host` (or `X-Forwarded-Host`) header: `example.com:8080`, `[::1]:3000`. */
function authority(raw: string | string[] | undefined): { address: string; port: number | undefined } | undefined {
  const value = (Array.isArray(raw) ? raw[0] : raw)?.split(',')[0]?.trim();
  if (value === undefined || value === '') return undefined;
  const close = value.startsWith('[') ? value.indexOf(']') : -1;
  const colon = value.lastIndexOf(':');
  if (close > 0) {
    const port = colon > close ? Number(value.slice(colon + 1)) : undefined;
    return { address: value.slice(1, close), port: port !== undefined && Number.isInteger(port) ? port : undefined };
  }
  if (colon < 0) return { address: value, port: undefined };
  const port = Number(value.slice(colon + 1));
  return { address: value.slice(0, colon), port: Number.isInteger(port) ? port : undefined };
}

/** The original client per `Forwarded: for=` or the first `X-Forwarded-For` entry. */
function forwardedClient(headers: IncomingMessage['headers']): string | undefined {
  const forwarded = headers.forwarded;
  if (forwarded !== undefined) {
    const m = /(?:^|[;,\s])for=("?)\[?([^\]",;]+)\]?\1/i.exec(forwarded);
    if (m !== null) return m[2];
  }
  const xff = headers['x-forwarded-for'];
  const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim();
  return first === undefined || first === '' ? undefined : first;
}

/**
 * Wraps `server.emit` once per server, so its 'request' listeners run inside the context of the
 * span the start channel opened (the channel fires just before 'request' is emitted, but cannot
 * bind a context itself). One closure per server, none per request.
 */
function wrapServer(server: Server): void {
  (server as WrappableServer)[WRAPPED] = true;
  const original = server.emit as (this: Server, ...args: unknown[]) => boolean;
  // Called with no `this`, so the context manager need not bind a function per request.
  const emitRequest = (type: string | symbol, req: unknown, res: unknown): boolean => original.call(server, type, req, res);
  server.emit = function emitInRequestContext(this: Server, type: string | symbol, req?: unknown, res?: unknown): boolean {
    // Only 'request' (or 'checkContinue' / 'checkExpectation', which replace it) passes the
    // response just announced on the start channel.
    if (res !== undefined && res === pendingResponse) {
      const ctx = pendingContext;
      pendingResponse = undefined;
      pendingContext = ROOT_CONTEXT;
      // The start channel announced this response in the parser's headers callback, and this emit
      // is the last thing that callback does: Node restores the connection's frame when it returns.
      if (enterForRestOfCallback(ctx)) return original.call(server, type, req, res);
      return context.with(ctx, emitRequest, undefined, type, req, res);
    }
    // eslint-disable-next-line prefer-rest-params
    return original.apply(this, arguments as unknown as unknown[]);
  } as Server['emit'];
}
