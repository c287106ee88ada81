import { requireBoolean, requireMethods } from '../internal/configCheck.js';
import { redactDeep, redactSecrets } from '../internal/redact.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigurationError } from '../errors/MonitoringError.js';
import type { HealthStatus } from '../events/types.js';
import { reportOnce } from '../internal/report.js';
import type { HealthCheckManager } from './HealthCheckManager.js';
import type { CheckReport, HealthReport, IetfHealthStatus } from './types.js';

/** The media type of draft-inadarei-api-health-check. */
export const HEALTH_MEDIA_TYPE = 'application/health+json';

/** Maps our statuses to the draft's: healthy → pass, degraded → warn, unhealthy → fail. */
export const IETF_STATUS: Readonly<Record<HealthStatus, IetfHealthStatus>> = Object.freeze({ healthy: 'pass', degraded: 'warn', unhealthy: 'fail' });

export interface HealthHandlerOptions {
  /** Where the endpoints live. Default `/health` (so `/health`, `/health/live`, `/health/ready`, `/health/{group}`). */
  basePath?: string;
  /**
   * Whether a caller sees each check's details (reasons, observed values, durations). Unauthorised
   * callers get only the overall status. `true`, `false`, or a function of the request, e.g. one
   * that checks a bearer token. Default false, as Spring Boot's `show-details: never`: reasons can
   * name hosts, users and versions.
   */
  showDetails?: boolean | ((req: IncomingMessage) => boolean | Promise<boolean>);
  /** The tag `/health/live` reports. Default `liveness`; with no such check, live means "the process answers". */
  livenessGroup?: string;
  /** The tag `/health/ready` reports. Default `readiness`; with no such check, every check counts. */
  readinessGroup?: string;
  /** The draft's `serviceId`, `version`, `releaseId` and `description` fields. */
  serviceId?: string;
  version?: string;
  releaseId?: string;
  description?: string;
}

/** The draft's response body. */
export interface HealthResponseBody {
  status: IetfHealthStatus;
  version?: string;
  releaseId?: string;
  serviceId?: string;
  description?: string;
  output?: string;
  checks?: Record<string, HealthCheckEntry[]>;
}

/** One entry of the draft's `checks` map, plus this SDK's extensions (camelCase, as the draft's own fields). */
export interface HealthCheckEntry {
  componentId: string;
  componentType: string;
  status: IetfHealthStatus;
  time: string;
  output?: string;
  observedValue?: number | string | boolean;
  observedUnit?: string;
  critical: boolean;
  durationMs: number;
  consecutiveFailures: number;
  lastSuccess?: string;
  timedOut?: boolean;
  details?: Readonly<Record<string, unknown>>;
}

/** A request handler usable as a node:http listener and as Express or Connect middleware. */
export type HealthHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

/**
 * Serves a manager's health over HTTP, in `application/health+json` (draft-inadarei-api-health-check):
 * 200 for pass and warn, 503 for fail.
 *
 * - `GET /health`: every check;
 * - `GET /health/live`: checks tagged `liveness` (none: the process answers, so pass);
 * - `GET /health/ready`: checks tagged `readiness` (none: every check);
 * - `GET /health/{group}`: checks tagged `{group}`; 404 for a group no check has.
 *
 * Other paths go to `next()` when given (Express), else get a 404.
 *
 * @example
 * // node:http
 * const health = createHealthHandler(manager, { showDetails: (req) => req.headers.authorization === `Bearer ${token}` });
 * http.createServer((req, res) => (req.url?.startsWith('/health') ? health(req, res) : app(req, res)));
 * // Express
 * app.use(health);
 * // Fastify
 * fastify.get('/health*', (request, reply) => { reply.hijack(); health(request.raw, reply.raw); });
 */
export function createHealthHandler(manager: Pick<HealthCheckManager, 'checkHealth' | 'hasGroup'>, options: HealthHandlerOptions = {}): HealthHandler {
  requireMethods('manager', manager, ['checkHealth'], 'a HealthCheckManager');
  const base = (options.basePath ?? '/health').replace(/\/+$/, '');
  if (!base.startsWith('/') || /[?#\s]/.test(base)) throw new ConfigurationError('basePath', options.basePath, 'a path starting with "/"');
  const show = options.showDetails ?? false;
  if (typeof show !== 'function') requireBoolean('showDetails', show, 'a boolean or a function of the request');
  const live = options.livenessGroup ?? 'liveness';
  const ready = options.readinessGroup ?? 'readiness';
  const meta: Omit<HealthResponseBody, 'status' | 'checks'> = {};
  if (options.version !== undefined) meta.version = options.version;
  if (options.releaseId !== undefined) meta.releaseId = options.releaseId;
  if (options.serviceId !== undefined) meta.serviceId = options.serviceId;
  if (options.description !== undefined) meta.description = options.description;

  const serve = async (req: IncomingMessage, res: ServerResponse, next: ((err?: unknown) => void) | undefined): Promise<void> => {
    const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    const q = url.indexOf('?');
    const path = (q === -1 ? url : url.slice(0, q)).replace(/\/+$/, '') || '/';
    if (path !== base && !path.startsWith(base + '/')) {
      if (next !== undefined) next();
      else send(res, req, 404, { status: 'fail', output: 'not found' }, 'application/json');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, req, 405, { status: 'fail', output: 'method not allowed' }, 'application/json');
      return;
    }
    let sub: string;
    try {
      sub = path === base ? '' : decodeURIComponent(path.slice(base.length + 1));
    } catch {
      // A malformed escape (/health/%E0%A4%A) is the client's mistake, not the service's health.
      send(res, req, 400, { status: 'fail', output: 'malformed percent-encoding in the path' }, 'application/json');
      return;
    }
    let report: HealthReport;
    if (sub === '') report = await manager.checkHealth();
    else if (sub === 'live') report = manager.hasGroup(live) ? await manager.checkHealth({ group: live }) : EMPTY_PASS;
    else if (sub === 'ready') report = manager.hasGroup(ready) ? await manager.checkHealth({ group: ready }) : await manager.checkHealth();
    else if (!sub.includes('/') && manager.hasGroup(sub)) report = await manager.checkHealth({ group: sub });
    else {
      send(res, req, 404, { status: 'fail', output: 'no such health group' }, 'application/json');
      return;
    }
    const detailed = typeof show === 'boolean' ? show : await show(req);
    const body = toHealthResponse(report, detailed, meta);
    send(res, req, report.status === 'unhealthy' ? 503 : 200, body, HEALTH_MEDIA_TYPE);
  };

  return (req, res, next) => {
    serve(req, res, next).catch((err: unknown) => {
      reportOnce('health-http', `health endpoint failed: ${String((err as Error)?.message ?? err)}`);
      if (!res.headersSent) send(res, req, 503, { status: 'fail', output: 'health report unavailable' }, HEALTH_MEDIA_TYPE);
      else res.destroy();
    });
  };
}

const EMPTY_PASS: HealthReport = Object.freeze({ status: 'healthy', checks: Object.freeze({}), checkedAt: 0, group: 'liveness' });

/**
 * A `HealthReport` as the draft's JSON body. Without details only `status` (and the service fields)
 * is returned.
 */
export function toHealthResponse(report: HealthReport, details: boolean, meta: Omit<HealthResponseBody, 'status' | 'checks'> = {}): HealthResponseBody {
  const body: HealthResponseBody = { status: IETF_STATUS[report.status], ...meta };
  if (!details) return body;
  const checks: Record<string, HealthCheckEntry[]> = {};
  for (const name in report.checks) checks[name] = [entryOf(report.checks[name]!)];
  body.checks = checks;
  return body;
}

function entryOf(c: CheckReport): HealthCheckEntry {
  const e: HealthCheckEntry = {
    componentId: c.name,
    componentType: c.category,
    status: IETF_STATUS[c.status],
    time: new Date(c.checkedAt).toISOString(),
    critical: c.critical,
    durationMs: Math.round(c.durationMs * 1000) / 1000,
    consecutiveFailures: c.consecutiveFailures,
  };
  if (c.reason !== undefined) e.output = redactSecrets(String(c.reason));
  if (c.observedValue !== undefined) e.observedValue = c.observedValue;
  if (c.observedUnit !== undefined) e.observedUnit = c.observedUnit;
  if (c.lastSuccess !== undefined) e.lastSuccess = new Date(c.lastSuccess).toISOString();
  if (c.timedOut) e.timedOut = true;
  if (Object.keys(c.details).length > 0) e.details = redactDeep(c.details);
  return e;
}

const UNSAFE_IN_HTML = /[<>&\u2028\u2029]/;
const UNSAFE_IN_HTML_G = /[<>&\u2028\u2029]/g;

function send(res: ServerResponse, req: IncomingMessage, code: number, body: HealthResponseBody, type: string): void {
  let text: string;
  try {
    text = JSON.stringify(body);
  } catch (err) {
    // A checker's details that JSON cannot hold (a cycle, a BigInt) must not take /health down.
    reportOnce('health-http-json', `health details could not be serialised: ${String((err as Error)?.message ?? err)}`);
    text = JSON.stringify({ status: body.status, output: 'check details could not be serialised' });
  }
  // Check names, reasons and details are text from checkers: escaped so that the body stays
  // inert if a browser or an HTML page ever embeds it (`</script>` becomes `\u003c/script>`).
  if (UNSAFE_IN_HTML.test(text)) text = text.replace(UNSAFE_IN_HTML_G, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  res.statusCode = code;
  res.setHeader('content-type', type);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('cache-control', 'no-store');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(req.method === 'HEAD' ? undefined : text);
}
