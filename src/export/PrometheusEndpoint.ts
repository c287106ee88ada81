import { http } from '../internal/builtins.js';
import { requireFiniteAbove, requireNonEmptyString, requirePath, requirePort, requirePositiveInt, requireServerAccess } from '../internal/configCheck.js';
import { timingSafeEqual } from 'node:crypto';
import { once as onceEvent } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate as yieldLoop } from 'node:timers/promises';
import type { CollectionResult, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { closeServer, markOwnServer } from '../internal/ownServers.js';
import { reportOnce } from '../internal/report.js';
import {
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  PrometheusSerializer,
} from './PrometheusSerializer.js';

/** Anything with OTel's `MetricReader.collect()`: `monitoring.collector`, or any reader. */
export interface MetricSource {
  collect(options?: { timeoutMillis?: number }): Promise<CollectionResult>;
}

/**
 * Options of `createPrometheusEndpoint`; each is validated at creation and a bad one throws
 * `ConfigurationError` naming `prometheus.<option>`.
 *
 * @example
 * createPrometheusEndpoint(monitoring, { host: '0.0.0.0', port: 9464, token: process.env.METRICS_TOKEN });
 */
export interface PrometheusEndpointOptions {
  /** Interface to bind. Default `settings.prometheusHost` (127.0.0.1). Anything but loopback needs `token`. */
  host?: string;
  /** Port; 0 picks a free one. Default `settings.prometheusPort` (9464). */
  port?: number;
  /** Path served by the built-in server. Default `/metrics`. */
  path?: string;
  /** When set, requests must send `Authorization: Bearer <token>`; required off loopback. */
  token?: string;
  /** Emit `target_info` with the resource attributes. Default true. */
  targetInfo?: boolean;
  /** Longest stretch, in ms, spent rendering before yielding to the event loop. Default 5. */
  sliceMs?: number;
  /** Scrapes served at once; more get 503. Default 4. */
  maxConcurrentScrapes?: number;
  /** Longest a scrape may take to collect, in ms. Default 10000. */
  collectTimeoutMs?: number;
  /**
   * Longest a scrape's response may take to be written, in ms, from the moment it was accepted: a
   * scraper that stops reading is cut off then and its scrape slot freed. Default 10000 (Prometheus'
   * own default scrape timeout: a slower answer is useless to it).
   */
  responseTimeoutMs?: number;
}

/** The parts of `Monitoring` the endpoint needs. */
export interface PrometheusMonitoringSource {
  readonly collector: MetricSource;
  readonly settings: { readonly prometheusHost: string; readonly prometheusPort: number };
}

/** One rendered scrape. */
export interface Scrape {
  readonly contentType: string;
  readonly body: string;
}

/**
 * Serves the monitoring's metrics (the collector's cells and every OTel instrument of its
 * MeterProvider) in the Prometheus text format, or OpenMetrics with exemplars when the scraper's
 * `Accept` asks for `application/openmetrics-text`.
 *
 * Use `handler` inside your own server (node:http, Express, Fastify) or `listen()` for a server of
 * its own. Output is written in chunks with a yield to the event loop between them, so a large
 * scrape does not stall the application's requests.
 *
 * @example
 * const endpoint = createPrometheusEndpoint(monitoring, { port: 9464 });
 * const { url } = await endpoint.listen();            // http://127.0.0.1:9464/metrics
 * // or, in an existing server:
 * app.get('/metrics', endpoint.handler);              // Express
 * fastify.get('/metrics', (req, reply) => { reply.hijack(); endpoint.handler(req.raw, reply.raw); });
 */
export class PrometheusEndpoint {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  /** `(req, res)` for node:http and Express; answers every request it is given. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  private readonly _source: MetricSource;
  private readonly _serializer: PrometheusSerializer;
  private readonly _token: Buffer | undefined;
  private readonly _maxConcurrent: number;
  private readonly _collectTimeout: number;
  private readonly _sliceMs: number;
  private readonly _responseTimeout: number;
  private _active = 0;
  private _server: Server | undefined;
  private _listening: Promise<{ host: string; port: number; url: string }> | undefined;
  private _closing: Promise<void> | undefined;

  constructor(source: MetricSource, options: PrometheusEndpointOptions & { host: string; port: number }) {
    const { host, port } = options;
    requireNonEmptyString('prometheus.host', host, 'a host name or address');
    requirePort('prometheus.port', port);
    requireServerAccess('prometheus', host, options.token, '/metrics');
    const path = options.path ?? '/metrics';
    requirePath('prometheus.path', path);
    const max = options.maxConcurrentScrapes ?? 4;
    requirePositiveInt('prometheus.maxConcurrentScrapes', max);
    const timeout = options.collectTimeoutMs ?? 10_000;
    requirePositiveInt('prometheus.collectTimeoutMs', timeout, 'a positive integer of milliseconds');
    this.host = host;
    this.port = port;
    this.path = path;
    this._source = source;
    this._token = options.token !== undefined ? Buffer.from(`Bearer ${options.token}`) : undefined;
    this._maxConcurrent = max;
    this._collectTimeout = timeout;
    const responseTimeout = options.responseTimeoutMs ?? 10_000;
    requirePositiveInt('prometheus.responseTimeoutMs', responseTimeout, 'a positive integer of milliseconds');
    this._responseTimeout = responseTimeout;
    const slice = options.sliceMs ?? 5;
    requireFiniteAbove('prometheus.sliceMs', slice, 0, 'a positive number of milliseconds');
    this._sliceMs = slice;
    this._serializer = new PrometheusSerializer({
      ...(options.targetInfo !== undefined ? { targetInfo: options.targetInfo } : {}),
    });
    this.handler = (req, res) => {
      this._serve(req, res).catch((err: unknown) => {
        reportOnce('prom:serve', `Prometheus scrape failed: ${String(err)}`);
        if (!res.headersSent) {
          res.statusCode = 500;
          res.end('scrape failed\n');
        } else {
          res.destroy();
        }
      });
    };
  }

  /** Collects and renders everything at once (tests, custom transports). */
  async scrape(openMetrics = false): Promise<Scrape> {
    const resourceMetrics = await this._collect();
    return {
      contentType: openMetrics ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE,
      body: this._serializer.serialize(resourceMetrics, openMetrics),
    };
  }

  /** Starts the built-in server on `host:port`; resolves with the bound address. Calling it twice returns the first result. */
  listen(): Promise<{ host: string; port: number; url: string }> {
    this._listening ??= new Promise((resolve, reject) => {
      const server = http.createServer((req, res) => {
        const q = req.url === undefined ? -1 : req.url.indexOf('?');
        const pathname = q < 0 ? req.url : req.url!.slice(0, q);
        if (pathname !== this.path) {
          res.statusCode = 404;
          res.end('not found\n');
          return;
        }
        this.handler(req, res);
      });
      // A stalled scraper must not hold a socket forever.
      server.requestTimeout = 30_000;
      server.keepAliveTimeout = 5_000;
      markOwnServer(server);
      this._server = server;
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.removeListener('error', reject);
        server.on('error', (err) => reportOnce('prom:server', `Prometheus endpoint error: ${String(err)}`));
        server.unref();
        const addr = server.address() as AddressInfo;
        const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
        resolve({ host: addr.address, port: addr.port, url: `http://${shownHost}:${addr.port}${this.path}` });
      });
    });
    return this._listening;
  }

  /** Stops the built-in server (idempotent); in-flight scrapes are cut after `timeoutMs`. */
  shutdown(timeoutMs = 5_000): Promise<void> {
    this._closing ??= (async () => {
      const server = this._server;
      if (server === undefined) return;
      await closeServer(server, timeoutMs, 'Prometheus endpoint shutdown');
    })();
    return this._closing;
  }

  /** The one route for every consumer: OTel's `collect()`, which includes the collector's cells. */
  private async _collect(): Promise<ResourceMetrics> {
    const result = await this._source.collect({ timeoutMillis: this._collectTimeout });
    for (const err of result.errors) reportOnce(`prom:collect:${String(err)}`, `collecting metrics for Prometheus: ${String(err)}`);
    return result.resourceMetrics;
  }

  private async _serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.statusCode = 405;
      res.setHeader('Allow', 'GET, HEAD');
      res.end();
      return;
    }
    if (this._token !== undefined && !authorized(req.headers.authorization, this._token)) {
      res.statusCode = 401;
      res.setHeader('WWW-Authenticate', 'Bearer');
      res.end('unauthorized\n');
      return;
    }
    if (this._active >= this._maxConcurrent) {
      res.statusCode = 503;
      res.setHeader('Retry-After', '1');
      res.end('too many concurrent scrapes\n');
      return;
    }
    this._active++;
    // The slot is given back exactly once: when the response is done, or at the deadline, when a
    // scraper that stopped reading is cut off (so four stalled scrapers cannot lock /metrics out).
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this._active--;
      clearTimeout(deadline);
    };
    const deadline = setTimeout(() => {
      reportOnce('prom:response-timeout', `a Prometheus scrape was not read within ${this._responseTimeout} ms; the connection was closed`);
      res.destroy();
      release();
    }, this._responseTimeout);
    // Nobody awaits this timer: it only bounds a socket, and must not keep the process alive.
    deadline.unref();
    res.once('close', release);
    try {
      const openMetrics = wantsOpenMetrics(req.headers.accept);
      const resourceMetrics = await this._collect();
      res.statusCode = 200;
      res.setHeader('Content-Type', openMetrics ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE);
      res.setHeader('Cache-Control', 'no-store');
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      // Yield to the event loop every `sliceMs` of rendering: 10,000 histogram series take tens of
      // ms, which must not run as one block while the application serves requests.
      let sliceStart = performance.now();
      for (const chunk of this._serializer.chunks(resourceMetrics, openMetrics)) {
        if (res.destroyed) return;
        if (!res.write(chunk)) await drained(res);
        if (performance.now() - sliceStart >= this._sliceMs) {
          await yieldLoop();
          sliceStart = performance.now();
        }
      }
      res.end();
    } finally {
      if (res.destroyed || res.writableFinished) release();
      else res.once('finish', release);
    }
  }
}

async function drained(res: ServerResponse): Promise<void> {
  if (res.destroyed) return;
  const ac = new AbortController();
  try {
    await Promise.race([onceEvent(res, 'drain', { signal: ac.signal }), onceEvent(res, 'close', { signal: ac.signal })]);
  } finally {
    ac.abort();
  }
}

function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('application/openmetrics-text');
}

function authorized(header: string | undefined, expected: Buffer): boolean {
  if (header === undefined) return false;
  const got = Buffer.from(header);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/**
 * A Prometheus endpoint for a monitoring handle; host and port default to
 * `settings.prometheusHost`/`prometheusPort` (env `MONITORING_PROMETHEUS_HOST`/`_PORT`).
 * Nothing listens until `listen()`; `handler` works without it.
 *
 * @example
 * const monitoring = createMonitoring({ serviceName: 'checkout' });
 * const endpoint = createPrometheusEndpoint(monitoring);
 * await endpoint.listen();
 * // ...
 * await endpoint.shutdown();
 */
export function createPrometheusEndpoint(monitoring: PrometheusMonitoringSource, options: PrometheusEndpointOptions = {}): PrometheusEndpoint {
  return new PrometheusEndpoint(monitoring.collector, {
    ...options,
    host: options.host ?? monitoring.settings.prometheusHost,
    port: options.port ?? monitoring.settings.prometheusPort,
  });
}
