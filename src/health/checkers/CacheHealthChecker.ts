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
 * With an `info(section)` method (both Redis clients) the hit ratio comes from Redis' own
 * `keyspace_hits` / `keyspace_misses`; with `getStats()` from that.
 */
export interface CacheLike {
  get(key: string): unknown;
  set(key: string, value: string): unknown;
  info?(section: string): unknown;
  getStats?(): CacheStats | Promise<CacheStats>;
}

export interface CacheHealthCheckerOptions {
  /** The key written and read back. Default `health:probe:<pid>`. */
  key?: string;
  /** Round-trip latency limits in ms (higher is worse). Default `{ degraded: 100 }`. */
  latencyMs?: Thresholds;
  /** Hit-ratio limits, 0..1 (lower is worse). Default `{ degraded: 0.5 }`; pass `{}` to only report it. */
  hitRatio?: Thresholds;
  /** Hits + misses a window needs before its ratio is graded. Default 100. */
  minSamples?: number;
  /** Where hit and miss counts come from, instead of `getStats()` or Redis INFO. */
  stats?: () => CacheStats | Promise<CacheStats>;
}

/**
 * Checks a cache: a real write-then-read round trip (availability and latency) and the hit ratio
 * since the previous run (graded once the window has `minSamples` lookups).
 *
 * @example
 * const redis = new Redis(process.env.REDIS_URL);
 * health.registerCheck('cache', new CacheHealthChecker(redis, { hitRatio: { degraded: 0.8, unhealthy: 0.3 } }));
 */
export class CacheHealthChecker implements HealthChecker {
  private readonly _cache: CacheLike;
  private readonly _key: string;
  private readonly _latency: Thresholds | undefined;
  private readonly _hitRatio: Thresholds | undefined;
  private readonly _minSamples: number;
  private readonly _stats: (() => unknown) | undefined;
  private _previous: CacheStats | undefined;
  private _seq = 0;

  constructor(cache: CacheLike, options: CacheHealthCheckerOptions = {}) {
    if (cache === null || typeof cache !== 'object' || typeof cache.get !== 'function' || typeof cache.set !== 'function') {
      throw new ConfigurationError('cache', cache, 'an object with get() and set()');
    }
    this._cache = cache;
    this._key = options.key ?? `health:probe:${process.pid}`;
    if (typeof this._key !== 'string' || this._key === '') throw new ConfigurationError('key', options.key, 'a non-empty string');
    this._latency = checkThresholds('latencyMs', options.latencyMs ?? { degraded: 100 }, 'higher-is-worse');
    this._hitRatio = checkThresholds('hitRatio', options.hitRatio ?? { degraded: 0.5 }, 'lower-is-worse');
    this._minSamples = options.minSamples ?? 100;
    if (!Number.isInteger(this._minSamples) || this._minSamples < 1) throw new ConfigurationError('minSamples', options.minSamples, 'a positive integer');
    if (options.stats !== undefined && typeof options.stats !== 'function') throw new ConfigurationError('stats', options.stats, 'a function');
    if (options.stats !== undefined) this._stats = options.stats;
    else if (typeof cache.getStats === 'function') this._stats = () => cache.getStats?.();
    else if (typeof cache.info === 'function') this._stats = async () => parseRedisStats(await cache.info?.('stats'));
  }

  async check(): Promise<HealthCheckResult> {
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
