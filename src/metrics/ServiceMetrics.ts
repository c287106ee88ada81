import type { CounterMetric, GaugeMetric, HistogramMetric } from '../collectors/handles.js';
import type { MemoryCollector } from '../collectors/MemoryCollector.js';

/**
 * OTel names of the metrics `ServiceMetrics` records (dotted, unit in the instrument's `unit`).
 * `/metrics` shows them as `service_requests_total`, `service_request_duration_seconds`,
 * `service_errors_total`, `service_active_requests`, `cache_requests_total` and `cache_hit_ratio`;
 * the seed's names (`http_server_requests_total`, ...) still read through `SEED_METRIC_NAMES`.
 *
 * The request metrics live under `service.`, not `http.server.`: `http.server.request.duration`
 * and `http.server.active_requests` are the semantic-convention instruments the HTTP
 * instrumentation records (labels `http.request.method`, `http.route`, ...). These are recorded by
 * the app's own calls with the seed's labels (`method`, `route`, `status_code`); under the same
 * name the two would be one Prometheus family with two label sets, counting every request twice
 * in a `sum` or `histogram_quantile`.
 */
export const SERVICE_METRICS = Object.freeze({
  requests: 'service.requests',
  duration: 'service.request.duration',
  errors: 'service.errors',
  inFlight: 'service.active_requests',
  cacheRequests: 'cache.requests',
  cacheHitRatio: 'cache.hit_ratio',
});

export interface RequestRecord {
  method: string;
  /** The route template (`/users/:id`), never the raw path, to keep cardinality bounded. */
  route: string;
  statusCode: number;
  durationMs: number;
}

/**
 * The seed's application metrics for a service: request count, response time, error rate,
 * in-flight requests and cache hit ratio, recorded into a `MemoryCollector` under the names in
 * `SERVICE_METRICS`. A 5xx response counts as an error.
 *
 * @example
 * const metrics = new ServiceMetrics(monitoring.collector);
 * const done = metrics.startRequest('GET', '/users/:id');
 * // ... handle the request
 * done(200);
 * metrics.recordCacheHit('users');
 * metrics.errorRate(); // errors / requests so far
 */
export class ServiceMetrics {
  private readonly _requests: CounterMetric;
  private readonly _duration: HistogramMetric;
  private readonly _errors: CounterMetric;
  private readonly _inFlight: GaugeMetric;
  private readonly _cache: CounterMetric;
  private readonly _hitRatio: GaugeMetric;

  constructor(private readonly _collector: MemoryCollector) {
    this._requests = _collector.counter(SERVICE_METRICS.requests, { description: 'HTTP requests handled.', unit: '{request}' });
    this._duration = _collector.histogram(SERVICE_METRICS.duration, { description: 'HTTP request duration.', unit: 's' });
    this._errors = _collector.counter(SERVICE_METRICS.errors, { description: 'HTTP requests answered with a 5xx status.', unit: '{error}' });
    this._inFlight = _collector.upDownCounter(SERVICE_METRICS.inFlight, { description: 'HTTP requests being handled now.', unit: '{request}' });
    this._cache = _collector.counter(SERVICE_METRICS.cacheRequests, { description: 'Cache lookups by result (hit or miss).', unit: '{request}' });
    this._hitRatio = _collector.gauge(SERVICE_METRICS.cacheHitRatio, { description: 'Cache hits / lookups since start.', unit: '1' });
  }

  /** Counts one finished request. */
  recordRequest(record: RequestRecord): void {
    const labels = { method: record.method, route: record.route, status_code: record.statusCode };
    this._requests.add(1, labels);
    if (Number.isFinite(record.durationMs) && record.durationMs >= 0) {
      this._duration.record(record.durationMs / 1000, { method: record.method, route: record.route });
    }
    if (record.statusCode >= 500) this._errors.add(1, { method: record.method, route: record.route });
  }

  /** Marks a request in flight; the returned function records it with its status code. */
  startRequest(method: string, route: string): (statusCode: number) => void {
    const start = performance.now();
    const inFlight = this._inFlight.tryBind();
    inFlight?.add(1);
    let done = false;
    return (statusCode: number) => {
      if (done) return;
      done = true;
      inFlight?.add(-1);
      this.recordRequest({ method, route, statusCode, durationMs: performance.now() - start });
    };
  }

  recordCacheHit(cache = 'default'): void {
    this._cacheResult(cache, 'hit');
  }

  recordCacheMiss(cache = 'default'): void {
    this._cacheResult(cache, 'miss');
  }

  /** Hits / (hits + misses) of one cache since start; NaN before the first lookup. */
  cacheHitRatio(cache = 'default'): number {
    const hits = this._collector.getCounterValue(SERVICE_METRICS.cacheRequests, { cache, result: 'hit' }) ?? 0;
    const misses = this._collector.getCounterValue(SERVICE_METRICS.cacheRequests, { cache, result: 'miss' }) ?? 0;
    return hits + misses === 0 ? NaN : hits / (hits + misses);
  }

  /** 5xx responses / requests since start, over every route; NaN before the first request. */
  errorRate(): number {
    const total = this._collector.sumCounter(SERVICE_METRICS.requests);
    return total === 0 ? NaN : this._collector.sumCounter(SERVICE_METRICS.errors) / total;
  }

  /** Requests being handled now. */
  inFlight(): number {
    return this._collector.getCounterValue(SERVICE_METRICS.inFlight) ?? 0;
  }

  private _cacheResult(cache: string, result: 'hit' | 'miss'): void {
    const hits = this._cache.tryBind({ cache, result: 'hit' });
    const misses = this._cache.tryBind({ cache, result: 'miss' });
    if (hits === undefined || misses === undefined) return;
    (result === 'hit' ? hits : misses).add(1);
    this._hitRatio.set(hits.value / (hits.value + misses.value), { cache });
  }
}
