import { randomBytes } from 'node:crypto';
import diagnosticsChannel from 'node:diagnostics_channel';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  TraceFlags,
  isSpanContextValid,
  type Context,
  type Span,
  type SpanContext,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import type { Sampler } from '@opentelemetry/sdk-trace-base';
import type { MemoryCollector } from '../collectors/MemoryCollector.js';
import { samplerShape } from '../tracing/createSampler.js';
import type { MetricFamily } from '../collectors/MetricStore.js';
import type { HistogramSeries, ValueSeries } from '../collectors/series.js';
import { ConfigurationError } from '../errors/MonitoringError.js';
import { reportOnce } from '../internal/report.js';

/** Histogram of server request durations in seconds (OTel semantic conventions, stable). */
export const HTTP_SERVER_DURATION_METRIC = 'http.server.request.duration';
/** Up-down counter of requests being served right now (OTel semantic conventions). */
export const HTTP_SERVER_ACTIVE_METRIC = 'http.server.active_requests';
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
   * default). Without it only metrics are recorded.
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
}

// Methods the semantic conventions name; anything else is reported as `_OTHER`, which also
// bounds the label's cardinality against clients sending made-up methods.
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE', 'QUERY']);
const MAX_STATUS = 600;

// Requests in flight are kept per connection, in an array under a symbol per instance (so two
// enabled instances, say of two monitoring setups, each count every request) on the socket: one
// 'close' listener per connection catches every request the client aborted, where a listener per
// response would cost ~0.2 µs a request. The array holds one request at a time unless the client
// pipelines. Nothing is added to the request or response objects.

/** @internal The series of one request method, resolved once: a request does one Map lookup. */
class MethodSeries {
  /** Duration series by status code, so finishing a request allocates no label object or key. */
  readonly byStatus = new Array<HistogramSeries | null | undefined>(MAX_STATUS);
  aborted: HistogramSeries | null | undefined = undefined;
  constructor(
    readonly method: string,
    readonly active: ValueSeries | null,
  ) {}
}

/** @internal */
class RequestState {
  span: Span | undefined = undefined;
  done = false;
  constructor(
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

/** Servers whose `emit` was wrapped, so a handler runs inside its request's span context. */
const wrappedServers = new WeakSet<Server>();

/**
 * RED metrics (and optionally a SERVER span) for every `node:http` / `node:https` server in the
 * process, fed by Node's `diagnostics_channel` (`http.server.request.start`,
 * `http.server.response.finish`) instead of monkey-patching: OTel's http instrumentation added
 * ~15 µs of CPU per request in `bench/http.js`; this path ~0.2 µs for metrics, ~0.6 µs for a
 * request the sampler drops, ~2 µs for a traced one (`bench/http-path.js`).
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
  private readonly _durationFamily: MetricFamily;
  private readonly _activeFamily: MetricFamily;
  /** Known request methods (as sent) and `_OTHER` to their series; anything else maps to `_OTHER`. */
  private readonly _methods = new Map<string, MethodSeries>();
  private readonly _parentBased: boolean;
  /** The propagator's header names, read on the first request (the propagator is set by then). */
  private _fields: readonly string[] | undefined;
  private readonly _wouldSampleRoot: ((now?: number) => boolean) | undefined;
  private _enabled = false;
  private readonly _onStart: (message: unknown) => void;
  private readonly _onFinish: (message: unknown) => void;
  /** 'close' listener shared by all sockets of this instance (reads the socket as `this`). */
  private readonly _onSocketClose: (this: TrackedSocket) => void;
  private readonly _key = Symbol('si.http.inflight');

  constructor(options: HttpServerInstrumentationOptions) {
    if (options === null || typeof options !== 'object' || options.collector === undefined || typeof options.collector.store !== 'object') {
      throw new ConfigurationError('collector', options?.collector, 'a MemoryCollector');
    }
    this._collector = options.collector;
    this._tracer = options.tracerProvider?.getTracer('service-infrastructure/http', '0.1.0');
    const shape = options.sampler !== undefined ? samplerShape(options.sampler) : undefined;
    this._parentBased = shape?.parentBased ?? false;
    this._wouldSampleRoot = shape?.wouldSampleRoot;
    const store = this._collector.store;
    this._durationFamily = store.declare(HTTP_SERVER_DURATION_METRIC, 'histogram', {
      description: 'Duration of HTTP server requests.',
      unit: 's',
      buckets: HTTP_DURATION_BUCKETS,
      sketch: options.sketch === true,
    });
    this._activeFamily = store.declare(HTTP_SERVER_ACTIVE_METRIC, 'updowncounter', {
      description: 'Number of active HTTP server requests.',
      unit: '{request}',
    });
    // Bound once here, so subscribing and unsubscribing use the same function objects.
    this._onStart = (message) => this._start(message as ChannelMessage);
    this._onFinish = (message) => this._finished(message as ChannelMessage);
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
    return this;
  }

  /** Unsubscribes; requests already in flight are still completed and counted. */
  disable(): void {
    if (!this._enabled) return;
    this._enabled = false;
    diagnosticsChannel.unsubscribe(START_CHANNEL, this._onStart);
    diagnosticsChannel.unsubscribe(FINISH_CHANNEL, this._onFinish);
  }

  private _start(message: ChannelMessage): void {
    try {
      const req = message.request;
      const res = message.response;
      const socket = (message.socket ?? req.socket) as TrackedSocket | null;
      const series = this._methodSeries(req.method);
      const now = performance.now();
      const state = new RequestState(res, series, now);
      if (socket !== null) {
        let open = socket[this._key];
        if (open === undefined) {
          open = socket[this._key] = [];
          socket.once('close', this._onSocketClose);
        }
        open.push(state);
      }
      series.active?.add(1);
      if (this._tracer === undefined) return;
      const method = series.method;
      const carrier = propagationCarrier(req, (this._fields ??= propagationFields()));
      const parent = carrier === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, carrier);
      const remote = trace.getSpanContext(parent);
      if (remote !== undefined && isSpanContextValid(remote)) {
        // A parent-based sampler drops whatever an unsampled caller started: skip the span and
        // run the handler in the caller's (unsampled) context, keeping its trace id.
        if (this._parentBased && (remote.traceFlags & TraceFlags.SAMPLED) === 0) return runIn(res, message.server, parent);
      } else if (this._wouldSampleRoot !== undefined && !this._wouldSampleRoot(now)) {
        // A root the sampler will drop (rate limit spent, or always-off): OTel's startSpan would
        // spend ~0.5 µs on random ids, attribute copies and the decision only to return a
        // non-recording span, so build that context directly with cheap unique ids.
        const span = trace.wrapSpanContext(unsampledRootSpanContext());
        return runIn(res, message.server, parent === ROOT_CONTEXT && SPAN_ONLY_CONTEXT_WORKS ? new SpanOnlyContext(span) : trace.setSpan(parent, span));
      }
      const span = this._tracer.startSpan(
        method === '_OTHER' ? 'HTTP' : method,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': method,
            'url.path': urlPath(req.url),
            'url.scheme': (req.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http',
            'network.protocol.version': req.httpVersion,
          },
        },
        parent,
      );
      state.span = span;
      runIn(res, message.server, trace.setSpan(parent, span));
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
      const seconds = (performance.now() - state.start) / 1000;
      const methodSeries = state.series;
      methodSeries.active?.add(-1);
      const status = state.response.statusCode;
      const series = aborted ? this._abortedSeries(methodSeries) : this._durationSeries(methodSeries, status);
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
          span.setAttribute('http.response.status_code', status);
          if (aborted) {
            span.setAttribute('error.type', 'aborted');
            span.setStatus({ code: SpanStatusCode.ERROR, message: 'request aborted' });
          } else if (status >= 500) {
            span.setAttribute('error.type', String(status));
            span.setStatus({ code: SpanStatusCode.ERROR });
          }
        }
        span.end();
      }
    } catch (err) {
      reportOnce('http.finish', `http server instrumentation failed at request end: ${String(err)}`);
    }
  }

  private _methodSeries(raw: string | undefined): MethodSeries {
    let m = raw === undefined ? undefined : this._methods.get(raw);
    if (m === undefined) {
      // Methods the semantic conventions do not name share one `_OTHER` entry, so clients sending
      // made-up methods cannot grow the map or the label's cardinality.
      const method = raw !== undefined && KNOWN_METHODS.has(raw) ? raw : '_OTHER';
      m = this._methods.get(method);
      if (m === undefined) {
        m = new MethodSeries(method, this._activeFamily.get({ 'http.request.method': method }) as ValueSeries | null);
        this._methods.set(method, m);
      }
    }
    return m;
  }

  private _durationSeries(m: MethodSeries, status: number): HistogramSeries | null {
    const code = Number.isInteger(status) && status > 0 && status < MAX_STATUS ? status : 0;
    let s = m.byStatus[code];
    if (s === undefined) {
      const labels: Record<string, string | number> = { 'http.request.method': m.method, 'http.response.status_code': code };
      if (code >= 500) labels['error.type'] = String(code);
      s = this._durationFamily.get(labels) as HistogramSeries | null;
      m.byStatus[code] = s;
    }
    return s;
  }

  private _abortedSeries(m: MethodSeries): HistogramSeries | null {
    if (m.aborted === undefined) m.aborted = this._durationFamily.get({ 'http.request.method': m.method, 'error.type': 'aborted' }) as HistogramSeries | null;
    return m.aborted;
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

/**
 * The context of a dropped root request: the root context plus one non-recording span. The API's
 * context copies a Map and makes three closures per `setValue` (~0.15 µs here); this holds one
 * field, and builds a regular context only when something derives from it.
 */
class SpanOnlyContext implements Context {
  constructor(private readonly _span: Span) {}

  getValue(key: symbol): unknown {
    return key === SPAN_KEY ? this._span : undefined;
  }

  setValue(key: symbol, value: unknown): Context {
    return trace.setSpan(ROOT_CONTEXT, this._span).setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return key === SPAN_KEY ? ROOT_CONTEXT : trace.setSpan(ROOT_CONTEXT, this._span);
  }
}

// Checked once: should the API ever keep the span under another key, the regular context is used.
const SPAN_ONLY_CONTEXT_WORKS = (() => {
  const probe = trace.wrapSpanContext(unsampledRootSpanContext());
  return trace.getSpan(new SpanOnlyContext(probe)) === probe;
})();

// The start channel fires in the same synchronous call as the server's 'request' event, just
// before it, so the context for that event is handed over here rather than stored on the response.
let pendingResponse: ServerResponse | undefined;
let pendingContext: Context = ROOT_CONTEXT;

/** Makes the server run this request's 'request' listeners inside `ctx`. */
function runIn(res: ServerResponse, server: Server, ctx: Context): void {
  pendingResponse = res;
  pendingContext = ctx;
  if (!wrappedServers.has(server)) wrapServer(server);
}


/**
 * The propagation headers of a request (`traceparent`, `tracestate`, `baggage`: whatever the
 * global propagator's `fields()` are); undefined when there are none. Node's server has built
 * `req.headers` (lower-cased names) before the start channel fires, to check `Host`, so looking
 * the few names up there costs a handful of property reads.
 */
function propagationCarrier(req: IncomingMessage, fields: readonly string[]): Record<string, string> | undefined {
  const headers = req.headers;
  let carrier: Record<string, string> | undefined;
  for (let i = 0; i < fields.length; i++) {
    const name = fields[i]!;
    const value = headers[name];
    if (value === undefined) continue;
    (carrier ??= {})[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return carrier;
}

/** The global propagator's header names, lower-cased. */
function propagationFields(): readonly string[] {
  return propagation.fields().map((f) => f.toLowerCase());
}

function urlPath(url: string | undefined): string {
  if (url === undefined) return '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/**
 * Wraps `server.emit` once per server, so its 'request' listeners run inside the context of the
 * span the start channel opened (the channel fires just before 'request' is emitted, but cannot
 * bind a context itself). One closure per server, none per request.
 */
function wrapServer(server: Server): void {
  wrappedServers.add(server);
  const original = server.emit as (this: Server, ...args: unknown[]) => boolean;
  server.emit = function emitInRequestContext(this: Server, type: string | symbol, req?: unknown, res?: unknown): boolean {
    // Only 'request' (or 'checkContinue' / 'checkExpectation', which replace it) passes the
    // response just announced on the start channel.
    if (res !== undefined && res === pendingResponse) {
      const ctx = pendingContext;
      pendingResponse = undefined;
      pendingContext = ROOT_CONTEXT;
      return context.with(ctx, original, this, type, req, res);
    }
    // eslint-disable-next-line prefer-rest-params
    return original.apply(this, arguments as unknown as unknown[]);
  } as Server['emit'];
}
