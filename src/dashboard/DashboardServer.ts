import { fs, http } from '../internal/builtins.js';
import { requireIntAtLeast, requireNonEmptyString, requirePort, requireServerAccess } from '../internal/configCheck.js';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ConfigurationError } from '../errors/MonitoringError.js';
import { reportOnce } from '../internal/report.js';
import { closeServer } from '../internal/ownServers.js';
import type { DashboardAlerting, SilenceRequest } from './alerting.js';
import type { EventLog } from './EventLog.js';
import type { HealthHistory } from './HealthHistory.js';
import type { MetricHistory } from './MetricHistory.js';
import { AGGREGATIONS, runQuery, type Aggregation, type LabelFilter } from './metricQuery.js';
import { aggregateFlame, criticalPath, traceFlame } from './traceAnalysis.js';
import type { TraceStore } from './TraceStore.js';

/** The stores a dashboard serves; the embedded and the standalone modes fill them differently. */
export interface DashboardStores {
  readonly traces: TraceStore;
  readonly metrics: MetricHistory;
  readonly events: EventLog;
  readonly health: HealthHistory;
  readonly alerting?: DashboardAlerting | undefined;
  /** Brings the stores up to date before a request is answered (the embedded mode's span pull). */
  refresh?(): void | Promise<void>;
}

/** Options shared by the embedded and the standalone dashboard. */
export interface DashboardServerOptions {
  /** Interface `listen()` binds. Default 127.0.0.1; anything else needs `token`. */
  host?: string;
  /** Port of `listen()`; 0 picks a free one. Default 9465. */
  port?: number;
  /**
   * When set, every request needs it: `Authorization: Bearer <token>`, or a browser opens
   * `/?token=<token>` once and gets an HttpOnly, SameSite=Strict cookie. Required off loopback.
   */
  token?: string;
  /** Prefix the handler is mounted under when the framework does not strip it (Fastify, node:http). */
  basePath?: string;
  /** Shown in the page header. */
  title?: string;
  /** `embedded` or `standalone`, shown in the header and by `/api/info`. */
  mode?: 'embedded' | 'standalone';
  /** How often, in ms, the live pages poll. Default 2000. */
  refreshMs?: number;
}

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const COOKIE = 'si_dashboard_token';

/**
 * Where the built UI is, dist/dashboard/ui: seen from the bundled entry or chunk this code lands in
 * (dist/dashboard/ or dist/chunks/), or from src/dashboard/ when running from the sources.
 */
function uiDir(): string {
  const dirs = ['./ui/', '../dashboard/ui/', '../../dist/dashboard/ui/'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  // None there yet (the UI is not built): where the build writes it, seen from the sources.
  return dirs.find((dir) => fs.existsSync(dir)) ?? dirs[2]!;
}

interface Assets {
  index: string;
  files: Map<string, { type: string; body: Buffer }>;
}

function loadAssets(): Assets | undefined {
  const dir = uiDir();
  try {
    const index = fs.readFileSync(`${dir}index.html`, 'utf8');
    const files = new Map<string, { type: string; body: Buffer }>();
    files.set('/assets/app.js', { type: 'text/javascript; charset=utf-8', body: fs.readFileSync(`${dir}app.js`) });
    files.set('/assets/app.css', { type: 'text/css; charset=utf-8', body: fs.readFileSync(`${dir}app.css`) });
    return { index, files };
  } catch {
    return undefined;
  }
}

/**
 * The dashboard's HTTP side: the static UI and its JSON API over `DashboardStores`. Security: a
 * strict Content-Security-Policy (scripts and styles only from this origin, nothing inline), every
 * mutation needs the per-process CSRF token the page carries plus a same-origin `Origin`, and off
 * loopback every request needs the bearer token.
 */
export class DashboardServer {
  readonly host: string;
  readonly port: number;
  readonly basePath: string;
  /** `(req, res)` for node:http and Express (`app.use('/dashboard', d.handler)`). */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  private readonly _stores: DashboardStores;
  private readonly _token: string | undefined;
  private readonly _csrf = randomBytes(24).toString('base64url');
  private readonly _title: string;
  private readonly _mode: 'embedded' | 'standalone';
  private readonly _refreshMs: number;
  private _assets: Assets | undefined;
  private _server: Server | undefined;
  private _listening: Promise<{ host: string; port: number; url: string }> | undefined;
  private _closing: Promise<void> | undefined;
  private readonly _sse = new Set<ServerResponse>();

  constructor(stores: DashboardStores, options: DashboardServerOptions = {}) {
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? 9465;
    requireNonEmptyString('dashboard.host', host, 'a host name or address');
    requirePort('dashboard.port', port);
    requireServerAccess('dashboard', host, options.token, 'the dashboard');
    const basePath = (options.basePath ?? '').replace(/\/+$/, '');
    if (basePath !== '' && !basePath.startsWith('/')) throw new ConfigurationError('dashboard.basePath', options.basePath, 'a path starting with /');
    const refreshMs = options.refreshMs ?? 2000;
    requireIntAtLeast('dashboard.refreshMs', refreshMs, 100, 'an integer of at least 100 ms');
    this.host = host;
    this.port = port;
    this.basePath = basePath;
    this._stores = stores;
    this._token = options.token;
    this._title = options.title ?? 'service-infrastructure';
    this._mode = options.mode ?? 'embedded';
    this._refreshMs = refreshMs;
    this.handler = (req, res) => {
      this._serve(req, res).catch((err: unknown) => {
        reportOnce('dashboard:serve', `dashboard request failed: ${String(err)}`);
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.destroy();
      });
    };
  }

  /** Starts a server of its own on `host:port`; calling it twice returns the first result. */
  listen(): Promise<{ host: string; port: number; url: string }> {
    this._listening ??= new Promise((resolve, reject) => {
      const server = http.createServer(this.handler);
      server.requestTimeout = 30_000;
      server.keepAliveTimeout = 5_000;
      this._server = server;
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.removeListener('error', reject);
        server.on('error', (err) => reportOnce('dashboard:server', `dashboard server error: ${String(err)}`));
        server.unref();
        const addr = server.address() as AddressInfo;
        const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
        resolve({ host: addr.address, port: addr.port, url: `http://${shown}:${addr.port}${this.basePath}/` });
      });
    });
    return this._listening;
  }

  /** Stops the server (idempotent) and ends the live feeds. */
  shutdown(timeoutMs = 5_000): Promise<void> {
    this._closing ??= (async () => {
      for (const res of this._sse) res.end();
      this._sse.clear();
      const server = this._server;
      if (server === undefined) return;
      await closeServer(server, timeoutMs, 'dashboard shutdown');
    })();
    return this._closing;
  }

  private async _serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    let path = url.pathname;
    // The page loads its assets by relative URLs, so it must be served from a path ending in '/':
    // `/dashboard` (or Express' mount point, whose prefix it strips into `originalUrl`) redirects.
    const original = (req as { originalUrl?: string }).originalUrl;
    const shown = original !== undefined ? new URL(original, 'http://dashboard.invalid').pathname : path;
    if ((this.basePath !== '' && path === this.basePath) || (path === '/' && !shown.endsWith('/'))) {
      res.statusCode = 308;
      res.setHeader('Location', `${shown}/${url.search}`);
      res.end();
      return;
    }
    if (this.basePath !== '' && path.startsWith(`${this.basePath}/`)) path = path.slice(this.basePath.length);
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');

    if (this._token !== undefined && !this._authorized(req)) {
      const given = url.searchParams.get('token');
      if ((path === '/' || path === '/index.html') && given !== null && safeEqual(given, this._token)) {
        res.statusCode = 303;
        res.setHeader('Set-Cookie', `${COOKIE}=${encodeURIComponent(this._token)}; HttpOnly; SameSite=Strict; Path=/`);
        res.setHeader('Location', shown);
        res.end();
        return;
      }
      res.statusCode = 401;
      res.setHeader('WWW-Authenticate', 'Bearer');
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end('unauthorized: send Authorization: Bearer <token>, or open /?token=<token>\n');
      return;
    }

    if (req.method === 'POST') {
      if (!this._csrfOk(req)) {
        sendJson(res, 403, { error: 'missing or wrong CSRF token, or a cross-origin request' });
        return;
      }
      await this._mutate(path, req, res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.statusCode = 405;
      res.setHeader('Allow', 'GET, HEAD, POST');
      res.end();
      return;
    }
    if (path === '/' || path === '/index.html') return this._index(res);
    if (path.startsWith('/assets/')) return this._asset(path, res);
    if (path.startsWith('/api/')) {
      await this._stores.refresh?.();
      return this._api(path, url.searchParams, req, res);
    }
    sendJson(res, 404, { error: 'not found' });
  }

  private _assetsOrFail(res: ServerResponse): Assets | undefined {
    this._assets ??= loadAssets();
    if (this._assets === undefined) {
      res.statusCode = 503;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end('the dashboard UI is not built: run `npm run build`\n');
    }
    return this._assets;
  }

  private _index(res: ServerResponse): void {
    const assets = this._assetsOrFail(res);
    if (assets === undefined) return;
    const config = { csrf: this._csrf, title: this._title, mode: this._mode, refreshMs: this._refreshMs, alerting: this._stores.alerting !== undefined };
    // The page's settings travel in a meta tag's content (HTML-escaped JSON): no inline script.
    const html = assets.index.replace('__CONFIG__', escapeHtml(JSON.stringify(config))).replace('__TITLE__', escapeHtml(this._title));
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.end(html);
  }

  private _asset(path: string, res: ServerResponse): void {
    const assets = this._assetsOrFail(res);
    if (assets === undefined) return;
    const file = assets.files.get(path);
    if (file === undefined) return sendJson(res, 404, { error: 'not found' });
    res.statusCode = 200;
    res.setHeader('Content-Type', file.type);
    res.setHeader('Cache-Control', 'no-cache');
    res.end(file.body);
  }

  private async _api(path: string, p: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const s = this._stores;
    const now = Date.now();
    switch (path) {
      case '/api/info':
        return sendJson(res, 200, {
          mode: this._mode,
          title: this._title,
          services: s.traces.services(),
          traces: s.traces.stats(),
          metrics: s.metrics.stats(),
          alerting: s.alerting !== undefined,
        });
      case '/api/overview':
        return sendJson(res, 200, {
          health: healthSummary(s.health),
          red: redPerRoute(s.traces, now, 300_000),
          alerts: s.alerting !== undefined ? (await s.alerting.alerts()).filter((a) => a.state === 'firing') : [],
          eventRate: s.events.rate(now, 60),
          services: s.traces.services(),
          traces: s.traces.stats(),
        });
      case '/api/metrics':
        return sendJson(res, 200, {
          metrics: s.metrics.metrics().map((m) => ({ name: m.name, kind: m.kind, unit: m.unit, description: m.description, series: m.series, labels: [...m.labelKeys].sort() })),
        });
      case '/api/labels': {
        const values: Record<string, string[]> = {};
        for (const series of s.metrics.seriesOf(p.get('metric') ?? '')) {
          for (const [k, v] of Object.entries(series.labels)) {
            const list = (values[k] ??= []);
            if (!list.includes(v) && list.length < 200) list.push(v);
          }
        }
        for (const list of Object.values(values)) list.sort();
        return sendJson(res, 200, { labels: values });
      }
      case '/api/query': {
        const agg = (p.get('agg') ?? 'sum') as Aggregation;
        if (!AGGREGATIONS.includes(agg)) return sendJson(res, 400, { error: `agg must be one of ${AGGREGATIONS.join(', ')}` });
        const range = clampNum(p.get('range'), 10, 7 * 86_400, 900) * 1000;
        const to = now;
        const from = to - range;
        const step = clampNum(p.get('step'), 1, 86_400, Math.max(5, Math.round(range / 1000 / 120))) * 1000;
        const quantile = clampNum(p.get('q'), 0, 1, 0.95);
        const groupBy = (p.get('by') ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
        const filters = p.getAll('filter').map(parseFilter).filter((f): f is LabelFilter => f !== undefined);
        return sendJson(res, 200, runQuery(s.metrics, { metric: p.get('metric') ?? '', aggregation: agg, quantile, groupBy, filters, from, to, step }));
      }
      case '/api/traces': {
        const attr = p.get('attr') ?? '';
        const eq = attr.indexOf('=');
        const status = p.get('status');
        return sendJson(
          res,
          200,
          s.traces.search({
            service: p.get('service') ?? undefined,
            name: p.get('name') ?? undefined,
            minMs: optNum(p.get('minMs')),
            maxMs: optNum(p.get('maxMs')),
            status: status === 'error' || status === 'ok' ? status : undefined,
            attrKey: attr === '' ? undefined : eq < 0 ? attr : attr.slice(0, eq),
            attrValue: eq < 0 ? undefined : attr.slice(eq + 1),
            limit: optNum(p.get('limit')),
            offset: optNum(p.get('offset')),
          }),
        );
      }
      case '/api/flame': {
        const route = p.get('route') ?? '';
        const traces = s.traces.byRoot(route, p.get('service') ?? undefined, clampNum(p.get('limit'), 1, 5_000, 500));
        return sendJson(res, 200, { route, traces: traces.length, flame: aggregateFlame(traces) });
      }
      case '/api/routes':
        return sendJson(res, 200, { routes: routeCounts(s.traces, now, 3_600_000) });
      case '/api/health':
        return sendJson(res, 200, healthSummary(s.health));
      case '/api/alerts': {
        const a = s.alerting;
        if (a === undefined) return sendJson(res, 200, { enabled: false, alerts: [], silences: [], rules: [] });
        return sendJson(res, 200, {
          enabled: true,
          alerts: await a.alerts(),
          silences: a.silences !== undefined ? await a.silences() : [],
          rules: a.rules !== undefined ? await a.rules() : [],
        });
      }
      case '/api/events':
        return sendJson(res, 200, { events: s.events.recent(clampNum(p.get('limit'), 1, 2_000, 200), clampNum(p.get('after'), 0, Number.MAX_SAFE_INTEGER, 0), p.get('type') ?? undefined) });
      case '/api/events/stream':
        return this._stream(req, res);
      default:
        break;
    }
    if (path.startsWith('/api/traces/')) {
      const id = decodeURIComponent(path.slice('/api/traces/'.length));
      const t = s.traces.get(id);
      if (t === undefined) return sendJson(res, 404, { error: 'trace not found (it may have been evicted)' });
      const spans = t.spans.slice().sort((a, b) => a.start - b.start);
      return sendJson(res, 200, { traceId: t.traceId, name: t.rootName, service: t.rootService, start: t.start, durationMs: t.end - t.start, spans, criticalPath: criticalPath(spans), flame: traceFlame(spans) });
    }
    sendJson(res, 404, { error: 'not found' });
  }

  private _stream(req: IncomingMessage, res: ServerResponse): void {
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Accel-Buffering', 'no');
    res.write(': live\n\n');
    this._sse.add(res);
    // Events arrive in batches (one per 250 ms at most); a browser that cannot keep up loses its feed.
    const unsubscribe = this._stores.events.subscribe((batch) => {
      if (res.writableLength > 1_000_000) {
        res.end();
        return;
      }
      res.write(`data: ${JSON.stringify(batch)}\n\n`);
    });
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    ping.unref();
    const done = (): void => {
      clearInterval(ping);
      unsubscribe();
      this._sse.delete(res);
    };
    req.on('close', done);
    res.on('close', done);
  }

  private async _mutate(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const a = this._stores.alerting;
    if (a === undefined) return sendJson(res, 404, { error: 'alerting is not enabled' });
    let body: Record<string, unknown>;
    try {
      body = await readJson(req);
    } catch (err) {
      return sendJson(res, 400, { error: String((err as Error).message) });
    }
    try {
      if (path === '/api/silences' && a.createSilence !== undefined) {
        const matchers = Array.isArray(body.matchers) ? (body.matchers as SilenceRequest['matchers']) : [];
        const result = await a.createSilence({
          matchers: matchers.map((m) => ({ name: String(m.name), op: m.op, value: String(m.value) })),
          duration: String(body.duration ?? '1h'),
          createdBy: String(body.createdBy ?? 'dashboard'),
          comment: String(body.comment ?? ''),
        });
        return sendJson(res, 200, { ok: true, result: result ?? null });
      }
      const expire = /^\/api\/silences\/([^/]+)\/expire$/.exec(path);
      if (expire !== null && a.expireSilence !== undefined) {
        await a.expireSilence(decodeURIComponent(expire[1]!));
        return sendJson(res, 200, { ok: true });
      }
      const ack = /^\/api\/alerts\/([^/]+)\/ack$/.exec(path);
      if (ack !== null && a.acknowledge !== undefined) {
        await a.acknowledge(decodeURIComponent(ack[1]!), String(body.by ?? 'dashboard'), String(body.comment ?? ''));
        return sendJson(res, 200, { ok: true });
      }
    } catch (err) {
      return sendJson(res, 400, { error: String((err as Error).message ?? err) });
    }
    sendJson(res, 404, { error: 'not found' });
  }

  private _authorized(req: IncomingMessage): boolean {
    const token = this._token!;
    const auth = req.headers.authorization;
    if (auth !== undefined && safeEqual(auth, `Bearer ${token}`)) return true;
    const cookie = req.headers.cookie;
    if (cookie === undefined) return false;
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === COOKIE) {
        let v: string;
        try {
          v = decodeURIComponent(part.slice(eq + 1).trim());
        } catch {
          return false;
        }
        return safeEqual(v, token);
      }
    }
    return false;
  }

  private _csrfOk(req: IncomingMessage): boolean {
    const header = req.headers['x-csrf-token'];
    if (typeof header !== 'string' || !safeEqual(header, this._csrf)) return false;
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return false;
    const origin = req.headers.origin;
    if (origin !== undefined) {
      try {
        if (new URL(origin).host !== req.headers.host) return false;
      } catch {
        return false;
      }
    }
    return true;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(body));
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('body larger than 64 KiB');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const parsed: unknown = text === '' ? {} : JSON.parse(text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('body must be a JSON object');
  return parsed as Record<string, unknown>;
}

function optNum(v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function clampNum(v: string | null, min: number, max: number, fallback: number): number {
  const n = optNum(v);
  return n === undefined ? fallback : Math.min(max, Math.max(min, n));
}

function parseFilter(f: string): LabelFilter | undefined {
  const m = /^([^!=~]+)(=~|!~|!=|=)(.*)$/s.exec(f);
  if (m === null) return undefined;
  return { label: m[1]!.trim(), op: m[2] as LabelFilter['op'], value: m[3]! };
}

const RANK = { healthy: 0, degraded: 1, unhealthy: 2 } as const;

function healthSummary(h: HealthHistory): {
  status: 'healthy' | 'degraded' | 'unhealthy' | 'unknown';
  checks: { name: string; status: string; reason: string | undefined; category: string | undefined; critical: boolean | undefined; time: number; history: { time: number; status: string; reason?: string | undefined }[] }[];
} {
  const checks = h.checks().map((c) => {
    const last = c.history[c.history.length - 1];
    return { name: c.name, status: last?.status ?? 'unknown', reason: last?.reason, category: c.category, critical: c.critical, time: last?.time ?? 0, history: c.history.slice(-120) };
  });
  const system = checks.find((c) => c.name === 'system');
  let status: 'healthy' | 'degraded' | 'unhealthy' | 'unknown' = 'unknown';
  if (system !== undefined && system.status !== 'unknown') status = system.status as typeof status;
  else {
    for (const c of checks) {
      if (c.status === 'unknown') continue;
      // A failing non-critical check only degrades the whole.
      const s = c.status === 'unhealthy' && c.critical === false ? 'degraded' : (c.status as keyof typeof RANK);
      if (status === 'unknown' || RANK[s] > RANK[status]) status = s;
    }
  }
  return { status, checks };
}

/** Rate, errors and duration per root span name (a route) over the last `windowMs`. */
export function redPerRoute(
  traces: TraceStore,
  now: number,
  windowMs: number,
): { name: string; service: string; count: number; rate: number; errors: number; errorRatio: number; p50: number; p95: number; p99: number }[] {
  const groups = new Map<string, { name: string; service: string; durations: number[]; errors: number }>();
  traces.forEachSince(now - windowMs, (t) => {
    const key = `${t.rootService}\u0000${t.rootName}`;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { name: t.rootName, service: t.rootService, durations: [], errors: 0 }));
    g.durations.push(t.end - t.start);
    if (t.errors > 0) g.errors++;
  });
  const pct = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  return [...groups.values()]
    .map((g) => {
      const d = g.durations.sort((a, b) => a - b);
      return { name: g.name, service: g.service, count: d.length, rate: d.length / (windowMs / 1000), errors: g.errors, errorRatio: g.errors / d.length, p50: pct(d, 0.5), p95: pct(d, 0.95), p99: pct(d, 0.99) };
    })
    .sort((a, b) => b.count - a.count)
    .slice(0, 100);
}

/** Root span names (routes) of the last `windowMs` with their trace counts, most traces first. */
function routeCounts(traces: TraceStore, now: number, windowMs: number): { name: string; service: string; count: number }[] {
  const groups = new Map<string, { name: string; service: string; count: number }>();
  traces.forEachSince(now - windowMs, (t) => {
    const key = `${t.rootService}\u0000${t.rootName}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, { name: t.rootName, service: t.rootService, count: 1 });
    else g.count++;
  });
  return [...groups.values()].sort((a, b) => b.count - a.count).slice(0, 200);
}
