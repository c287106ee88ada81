import { positiveIntOr, requireBoolean, requireFunction, requireMethods, requireNonEmptyString, requireObject } from '../../internal/configCheck.js';
import type { MemoryCollector } from '../../collectors/MemoryCollector.js';
import { ConfigurationError } from '../../errors/MonitoringError.js';
import type { HealthStatus } from '../../events/types.js';
import { worse } from '../result.js';
import { checkThresholds, explain, grade, round, type Thresholds } from '../thresholds.js';
import type { HealthCheckResult, HealthChecker } from '../types.js';

/** Hit and miss counts; cumulative (the checker takes differences between runs). */
export interface CacheStats {
  readonly hits: number;
  readonly misses: number;
}

/**
 * The cache shape the checker needs: `get` and `set` (ioredis, node-redis, a `Map`, an LRU cache).
 * With `getStats()` (an in-process cache's own counters) the hit ratio comes from that. A client
 * that emits `'error'` events (ioredis, node-redis) has them counted per window.
 */
export interface CacheLike {
  get(key: string): unknown;
  set(key: string, value: string): unknown;
  info?(section: string): unknown;
  getStats?(): CacheStats | Promise<CacheStats>;
  on?(event: 'error', listener: (err: unknown) => void): unknown;
}

/** The cache lookups the app recorded with `ServiceMetrics.recordCacheHit` / `recordCacheMiss`. */
export interface RecordedCacheStats {
  /** The collector the app's `ServiceMetrics` records into. */
  collector: MemoryCollector;
  /** The cache name passed to `recordCacheHit(name)`. Default `default`. */
  cache?: string;
}

/** `cache.requests` (`cache_requests_total`), where `ServiceMetrics` counts cache lookups by `cache` and `result`. */
const CACHE_REQUESTS_METRIC = 'cache.requests';

export interface CacheHealthCheckerOptions {
  /** The key written and read back. Default `health:probe:<pid>`. */
  key?: string;
  /** Round-trip latency limits in ms (higher is worse). Default `{ degraded: 100 }`. */
  latencyMs?: Thresholds;
  /** Hit-ratio limits, 0..1 (lower is worse). Default `{ degraded: 0.5 }`; pass `{}` to only report it. */
  hitRatio?: Thresholds;
  /** Hits + misses a window needs before its ratio is graded. Default 100. */
  minSamples?: number;
  /** Where hit and miss counts come from, instead of `getStats()`. */
  stats?: () => CacheStats | Promise<CacheStats>;
  /**
   * Grade the hit ratio of the lookups this app recorded with `ServiceMetrics.recordCacheHit` /
   * `recordCacheMiss`: this app's own use of the cache, whoever else shares it.
   */
  recorded?: RecordedCacheStats;
  /**
   * Read hits and misses from Redis' server-wide `INFO stats` (`keyspace_hits`/`keyspace_misses`).
   * Only right for a Redis this app has to itself: on a shared one, other apps' misses would grade
   * this app. Default false.
   */
  serverStats?: boolean;
  /** Limits on the client's `'error'` events per window (higher is worse). Default: counted in `details.errors`, not graded. */
  errors?: Thresholds;
}

/**
 * Checks this app's use of a cache: a real write-then-read round trip of its own key (availability
 * and latency, as the app sees them), the client's errors since the previous run, and the hit
 * ratio of the app's own lookups since the previous run (graded once the window has `minSamples`
 * lookups), from `recorded` (the app's `ServiceMetrics`), `stats`, or the cache's `getStats()`.
 * Without one of those the hit ratio is not graded: Redis' `INFO stats` counts every client of
 * the server, so it is read only with `serverStats: true`.
 *
 * @example
 * const redis = new Redis(process.env.REDIS_URL);
 * const metrics = new ServiceMetrics(monitoring.collector); // the app calls metrics.recordCacheHit('users') / recordCacheMiss('users')
 * health.registerCheck('cache', new CacheHealthChecker(redis, { recorded: { collector: monitoring.collector, cache: 'users' }, hitRatio: { degraded: 0.8 } }));
 */
export class CacheHealthChecker implements HealthChecker {
  private readonly _cache: CacheLike;
  private readonly _key: string;
  private readonly _latency: Thresholds | undefined;
  private readonly _hitRatio: Thresholds | undefined;
  private readonly _minSamples: number;
  private readonly _stats: (() => unknown) | undefined;
  private readonly _errorLimits: Thresholds | undefined;
  private _previous: CacheStats | undefined;
  private _seq = 0;
  /** The client's `'error'` events since the previous run. */
  private _errors = 0;

  constructor(cache: CacheLike, options: CacheHealthCheckerOptions = {}) {
    requireMethods('cache', cache, ['get', 'set']);
    this._cache = cache;
    this._key = options.key ?? `health:probe:${process.pid}`;
    requireNonEmptyString('key', this._key);
    this._latency = checkThresholds('latencyMs', options.latencyMs ?? { degraded: 100 }, 'higher-is-worse');
    this._hitRatio = checkThresholds('hitRatio', options.hitRatio ?? { degraded: 0.5 }, 'lower-is-worse');
    this._minSamples = positiveIntOr('minSamples', options.minSamples, 100);
    if (options.stats !== undefined) requireFunction('stats', options.stats);
    const recorded = options.recorded;
    if (recorded !== undefined) {
      requireObject('recorded', recorded, '{ collector: MemoryCollector, cache?: string }');
      requireMethods('recorded.collector', recorded.collector, ['getCounterValue'], 'a MemoryCollector');
    }
    if (options.serverStats !== undefined) requireBoolean('serverStats', options.serverStats);
    if (options.serverStats === true && typeof cache.info !== 'function') throw new ConfigurationError('serverStats', true, 'a cache with info() (a Redis client)');
    this._errorLimits = checkThresholds('errors', options.errors ?? {}, 'higher-is-worse');
    if (options.stats !== undefined) this._stats = options.stats;
    else if (recorded !== undefined) {
      const name = recorded.cache ?? 'default';
      this._stats = () => ({
        hits: recorded.collector.getCounterValue(CACHE_REQUESTS_METRIC, { cache: name, result: 'hit' }) ?? 0,
        misses: recorded.collector.getCounterValue(CACHE_REQUESTS_METRIC, { cache: name, result: 'miss' }) ?? 0,
      });
    } else if (typeof cache.getStats === 'function') this._stats = () => cache.getStats?.();
    else if (options.serverStats === true) this._stats = async () => parseRedisStats(await cache.info?.('stats'));
    // The listener only counts; the app's own 'error' listener (ioredis wants one) is untouched.
    if (typeof cache.on === 'function') cache.on('error', () => void this._errors++);
  }

  async check(): Promise<HealthCheckResult> {
    const errors = this._errors;
    this._errors = 0;
    const value = `${Date.now()}:${++this._seq}`;
    const started = performance.now();
    await this._cache.set(this._key, value);
    const read: unknown = await this._cache.get(this._key);
    const latency = performance.now() - started;
    if (String(read) !== value) {
      return {
        status: 'unhealthy',
        reason: `read back ${JSON.stringify(read ?? null)} after writing ${JSON.stringify(value)}`,
        observedValue: round(latency),
        observedUnit: 'ms',
      };
    }
    let status: HealthStatus = grade(latency, this._latency, 'higher-is-worse');
    let reason = explain('round trip', latency, ' ms', status, this._latency, 'higher-is-worse');
    const details: Record<string, unknown> = { latencyMs: round(latency) };
    if (typeof this._cache.on === 'function') {
      details['errors'] = errors;
      const errorStatus = grade(errors, this._errorLimits, 'higher-is-worse');
      if (worse(status, errorStatus) !== status) reason = explain('client errors', errors, '', errorStatus, this._errorLimits, 'higher-is-worse');
      status = worse(status, errorStatus);
    }
    if (this._stats !== undefined) {
      const stats = (await this._stats()) as CacheStats | undefined;
      if (stats !== undefined && Number.isFinite(stats.hits) && Number.isFinite(stats.misses)) {
        const prev = this._previous;
        // Counters that went backwards mean the cache restarted: the window starts again from zero.
        const restarted = prev !== undefined && (stats.hits < prev.hits || stats.misses < prev.misses);
        const hits = prev === undefined || restarted ? stats.hits : stats.hits - prev.hits;
        const misses = prev === undefined || restarted ? stats.misses : stats.misses - prev.misses;
        this._previous = { hits: stats.hits, misses: stats.misses };
        details['hits'] = hits;
        details['misses'] = misses;
        const lookups = hits + misses;
        if (lookups >= this._minSamples) {
          const ratio = hits / lookups;
          details['hitRatio'] = round(ratio);
          const ratioStatus = grade(ratio, this._hitRatio, 'lower-is-worse');
          if (ratioStatus !== 'healthy' && worse(status, ratioStatus) === ratioStatus && ratioStatus !== status) {
            reason = explain('hit ratio', ratio, '', ratioStatus, this._hitRatio, 'lower-is-worse');
          }
          status = worse(status, ratioStatus);
        }
      }
    }
    return { status, reason, observedValue: round(latency), observedUnit: 'ms', details };
  }
}

/** @internal Reads `keyspace_hits` and `keyspace_misses` out of Redis `INFO stats` text. */
export function parseRedisStats(info: unknown): CacheStats | undefined {
  if (typeof info !== 'string') return undefined;
  const hits = /^keyspace_hits:(\d+)/m.exec(info);
  const misses = /^keyspace_misses:(\d+)/m.exec(info);
  if (hits === null || misses === null) return undefined;
  return { hits: Number(hits[1]), misses: Number(misses[1]) };
}
