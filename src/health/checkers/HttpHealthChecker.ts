import { requireFunction, requireHttpUrl, requireOneOf } from '../../internal/configCheck.js';
import type { HealthStatus } from '../../events/types.js';
import { worse } from '../result.js';
import { checkThresholds, explain, grade, round, type Thresholds } from '../thresholds.js';
import type { HealthCheckResult, HealthChecker } from '../types.js';

export interface HttpHealthCheckerOptions {
  /** Default `GET`. */
  method?: 'GET' | 'HEAD';
  headers?: Readonly<Record<string, string>>;
  /** Which response codes count as up. Default 200..399. */
  expectStatus?: (status: number) => boolean;
  /** Response-time limits in ms (higher is worse). Default `{ degraded: 1000 }`. */
  latencyMs?: Thresholds;
}

/**
 * A system check on a dependency's HTTP endpoint: a real request whose status code and response
 * time decide the result. When the dependency answers `application/health+json` (this SDK's own
 * `/health`, or anything following draft-inadarei-api-health-check), its `warn` makes this check
 * degraded and its `fail` unhealthy, so health propagates between services.
 *
 * @example
 * health.registerCheck('payments', new HttpHealthChecker('http://payments.internal/health/ready'), { category: 'system', timeoutMs: 2000 });
 */
export class HttpHealthChecker implements HealthChecker {
  private readonly _url: string;
  private readonly _method: 'GET' | 'HEAD';
  private readonly _headers: Readonly<Record<string, string>>;
  private readonly _expect: (status: number) => boolean;
  private readonly _latency: Thresholds | undefined;

  constructor(url: string | URL, options: HttpHealthCheckerOptions = {}) {
    const parsed = requireHttpUrl('url', url instanceof URL ? url.href : url, 'an absolute http(s) URL');
    // Credentials in the URL go in an Authorization header (fetch refuses URLs that carry them),
    // and the URL shown in reasons and details is the one without them.
    let auth: string | undefined;
    if (parsed.username !== '' || parsed.password !== '') {
      auth = `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`;
      parsed.username = '';
      parsed.password = '';
    }
    this._url = parsed.href;
    this._method = options.method ?? 'GET';
    requireOneOf('method', this._method, ['GET', 'HEAD'], 'GET or HEAD');
    this._headers = {
      accept: 'application/health+json, application/json;q=0.9, */*;q=0.1',
      ...(auth !== undefined ? { authorization: auth } : {}),
      ...options.headers,
    };
    if (options.expectStatus !== undefined) requireFunction('expectStatus', options.expectStatus);
    this._expect = options.expectStatus ?? ((s) => s >= 200 && s < 400);
    this._latency = checkThresholds('latencyMs', options.latencyMs ?? { degraded: 1000 }, 'higher-is-worse');
  }

  async check(signal: AbortSignal): Promise<HealthCheckResult> {
    const started = performance.now();
    const res = await fetch(this._url, { method: this._method, headers: this._headers, signal, redirect: 'manual' });
    const type = res.headers.get('content-type') ?? '';
    let reported: string | undefined;
    if (this._method === 'GET' && type.includes('application/health+json')) {
      const body = (await res.json().catch(() => undefined)) as { status?: unknown } | undefined;
      if (body !== undefined && typeof body.status === 'string') reported = body.status;
    } else {
      await res.body?.cancel();
    }
    const latency = performance.now() - started;
    const details: Record<string, unknown> = { url: this._url, statusCode: res.status, latencyMs: round(latency) };
    if (reported !== undefined) details['reportedStatus'] = reported;
    if (!this._expect(res.status)) {
      return { status: 'unhealthy', reason: `${this._url} answered ${res.status} ${res.statusText}`.trim(), observedValue: round(latency), observedUnit: 'ms', details };
    }
    let status: HealthStatus = grade(latency, this._latency, 'higher-is-worse');
    let reason = explain('response time', latency, ' ms', status, this._latency, 'higher-is-worse');
    const remote: HealthStatus = reported === 'fail' ? 'unhealthy' : reported === 'warn' ? 'degraded' : 'healthy';
    if (worse(status, remote) !== status) reason = `${this._url} reports "${reported}"`;
    status = worse(status, remote);
    return { status, reason, observedValue: round(latency), observedUnit: 'ms', details };
  }
}
