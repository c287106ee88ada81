import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigurationError, MonitoringError } from '../errors/MonitoringError.js';
import { requireToken } from '../internal/configCheck.js';
import { isLoopback } from '../internal/ownServers.js';
import type { Alerting } from './Alerting.js';
import type { Alert, AlertState, RuleStatus, Silence } from './types.js';

/**
 * Options of `createAlertingHandler`.
 *
 * @example
 * createAlertingHandler(alerting, { basePath: '/alerting', token: process.env.ALERTING_TOKEN });
 */
export interface AlertingHandlerOptions {
  /** Where the API lives. Default `/alerting`. */
  basePath?: string;
  /**
   * Callers from another host must send `Authorization: Bearer <token>`; without a token only
   * loopback callers (127.0.0.1, ::1) are served. At least 16 characters.
   */
  token?: string;
}

/** `GET {base}/rules`. */
export interface RulesResponse {
  rules: RuleStatus[];
}
/** `GET {base}/alerts?state=firing&rule=Name`. */
export interface AlertsResponse {
  alerts: Alert[];
}
/** `GET {base}/silences`. */
export interface SilencesResponse {
  silences: Silence[];
}
/** `GET {base}/status`. */
export interface AlertingStatusResponse {
  evaluationIntervalSeconds: number;
  counts: Record<Exclude<AlertState, 'inactive'>, number>;
  stats: ReturnType<Alerting['stats']>;
}
/** Every error: `{ error, code, option? }` with status 400, 401/403, 404, 405 or 413. */
export interface AlertingErrorResponse {
  error: string;
  code: string;
  option?: string;
}

/** A node:http listener that also works as Express/Connect middleware. */
export type AlertingHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

const MAX_BODY = 64 * 1024;

/**
 * A small JSON API over an alerting engine, for a UI or scripts:
 *
 * - `GET  {base}/rules` → `{ rules }`; `GET {base}/status` → counts and engine stats;
 * - `GET  {base}/alerts[?state=pending|firing|resolved&rule=Name]` → `{ alerts }`, newest first;
 *   `GET {base}/alerts/{fingerprint}` → one alert;
 * - `POST {base}/alerts/{fingerprint}/ack` with `{ "by": "...", "comment": "..." }`; `DELETE` the same path to undo;
 * - `GET  {base}/silences`; `POST {base}/silences` with `{ matchers, duration | endsAt, createdBy, comment }` → 201 and the silence;
 *   `DELETE {base}/silences/{id}` expires it.
 *
 * Loopback callers are served as they are; others need the bearer `token` (and get 403 without one
 * configured). POST bodies must be `application/json` (so a web page cannot send one without a CORS
 * preflight, which this API does not answer).
 *
 * @example
 * const api = createAlertingHandler(alerting);
 * http.createServer((req, res) => (req.url?.startsWith('/alerting') ? api(req, res) : app(req, res)));
 */
export function createAlertingHandler(alerting: Alerting, options: AlertingHandlerOptions = {}): AlertingHandler {
  const base = (options.basePath ?? '/alerting').replace(/\/$/, '');
  if (!base.startsWith('/')) throw new ConfigurationError('alertingHandler.basePath', options.basePath, 'a path starting with "/"');
  requireToken('alertingHandler.token', options.token);
  const expected = options.token !== undefined ? Buffer.from(`Bearer ${options.token}`) : undefined;

  const authorised = (req: IncomingMessage): 'ok' | 401 | 403 => {
    const header = req.headers.authorization;
    if (expected !== undefined && typeof header === 'string') {
      const got = Buffer.from(header);
      return got.length === expected.length && timingSafeEqual(got, expected) ? 'ok' : 401;
    }
    const peer = req.socket.remoteAddress;
    if (peer !== undefined && isLoopback(peer)) return 'ok';
    return expected !== undefined ? 401 : 403;
  };

  return (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== base && !url.pathname.startsWith(base + '/')) {
      if (next !== undefined) return next();
      return send(res, 404, { error: 'not found', code: 'NOT_FOUND' });
    }
    const auth = authorised(req);
    if (auth !== 'ok') {
      return send(res, auth, { error: auth === 401 ? 'a valid bearer token is required' : 'only loopback callers are served (configure a token for others)', code: auth === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN' });
    }
    const parts = url.pathname.slice(base.length).split('/').filter((p) => p !== '').map(decodeURIComponent);
    void route(alerting, req, res, parts, url.searchParams).catch((err: unknown) => {
      if (err instanceof MonitoringError) {
        const option = err instanceof ConfigurationError ? { option: err.option } : {};
        return send(res, 400, { error: err.message, code: err.code, ...option });
      }
      if (err instanceof HttpError) return send(res, err.status, { error: err.message, code: err.code });
      return send(res, 500, { error: 'internal error', code: 'INTERNAL' });
    });
  };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const STATES = new Set(['pending', 'firing', 'resolved']);

async function route(alerting: Alerting, req: IncomingMessage, res: ServerResponse, parts: string[], query: URLSearchParams): Promise<void> {
  const method = req.method ?? 'GET';
  const [head, id, action] = parts;
  if (head === 'rules' && parts.length === 1) {
    allow(method, ['GET']);
    return send(res, 200, { rules: alerting.rules() } satisfies RulesResponse);
  }
  if (head === 'status' && parts.length === 1) {
    allow(method, ['GET']);
    const counts = { pending: 0, firing: 0, resolved: 0 };
    for (const a of alerting.alerts()) counts[a.state]++;
    return send(res, 200, { evaluationIntervalSeconds: alerting.evaluationIntervalMs / 1000, counts, stats: alerting.stats() } satisfies AlertingStatusResponse);
  }
  if (head === 'alerts') {
    if (parts.length === 1) {
      allow(method, ['GET']);
      const states = query.getAll('state').flatMap((s) => s.split(','));
      for (const s of states) if (!STATES.has(s)) throw new HttpError(400, 'BAD_STATE', `unknown state ${JSON.stringify(s)} (pending, firing, resolved)`);
      const rule = query.get('rule') ?? undefined;
      const alerts = alerting.alerts({
        ...(states.length > 0 ? { state: states as ('pending' | 'firing' | 'resolved')[] } : {}),
        ...(rule !== undefined ? { rule } : {}),
      });
      return send(res, 200, { alerts } satisfies AlertsResponse);
    }
    if (parts.length === 2) {
      allow(method, ['GET']);
      const a = alerting.alert(id!);
      if (a === undefined) throw new HttpError(404, 'NOT_FOUND', `no alert ${JSON.stringify(id)}`);
      return send(res, 200, a);
    }
    if (parts.length === 3 && action === 'ack') {
      allow(method, ['POST', 'DELETE']);
      if (method === 'DELETE') {
        if (!alerting.unacknowledge(id!)) throw new HttpError(404, 'NOT_FOUND', `alert ${JSON.stringify(id)} is not acknowledged`);
        return send(res, 200, alerting.alert(id!) ?? { fingerprint: id });
      }
      const body = (await readJson(req)) as { by?: unknown; comment?: unknown };
      if (!alerting.acknowledge(id!, body.by as string, typeof body.comment === 'string' ? body.comment : '')) {
        throw new HttpError(404, 'NOT_FOUND', `no pending or firing alert ${JSON.stringify(id)}`);
      }
      return send(res, 200, alerting.alert(id!));
    }
  }
  if (head === 'silences') {
    if (parts.length === 1) {
      allow(method, ['GET', 'POST']);
      if (method === 'GET') return send(res, 200, { silences: alerting.silences() } satisfies SilencesResponse);
      const body = await readJson(req);
      return send(res, 201, alerting.createSilence(body as Parameters<Alerting['createSilence']>[0]));
    }
    if (parts.length === 2) {
      allow(method, ['DELETE']);
      if (!alerting.expireSilence(id!)) throw new HttpError(404, 'NOT_FOUND', `no silence ${JSON.stringify(id)}`);
      return send(res, 200, alerting.silences().find((s) => s.id === id));
    }
  }
  throw new HttpError(404, 'NOT_FOUND', 'not found');
}

function allow(method: string, methods: readonly string[]): void {
  if (!methods.includes(method)) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `use ${methods.join(' or ')}`);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'TOO_LARGE', `bodies are limited to ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'BAD_JSON', 'the body is not valid JSON');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(text);
}

