import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { MemoryCollector } from '../../../src/collectors/MemoryCollector.js';
import { ServiceMetrics } from '../../../src/metrics/ServiceMetrics.js';
import { CacheHealthChecker, parseRedisStats } from '../../../src/health/checkers/CacheHealthChecker.js';
import { ComponentHealthChecker } from '../../../src/health/checkers/ComponentHealthChecker.js';
import { RateLimiterHealthChecker, type RateLimiterStats } from '../../../src/health/checkers/RateLimiterHealthChecker.js';
import { HealthCheckManager } from '../../../src/health/HealthCheckManager.js';

const signal = new AbortController().signal;

/** A small fixed-window limiter, the kind an app would hand to the checker. */
class FixedWindowLimiter {
  private allowed = 0;
  private rejected = 0;
  private used = 0;
  constructor(private readonly limit: number) {}
  tryAcquire(): boolean {
    if (this.used >= this.limit) {
      this.rejected++;
      return false;
    }
    this.used++;
    this.allowed++;
    return true;
  }
  resetWindow(): void {
    this.used = 0;
  }
  getStats(): RateLimiterStats {
    return { allowed: this.allowed, rejected: this.rejected, remaining: this.limit - this.used, limit: this.limit };
  }
}

/** A Map-backed cache with hit/miss counters, like an in-process LRU. */
class CountingCache {
  readonly map = new Map<string, string>();
  hits = 0;
  misses = 0;
  broken = false;
  get(key: string): string | undefined {
    if (this.broken) throw new Error('cache offline');
    const v = this.map.get(key);
    if (v === undefined) this.misses++;
    else this.hits++;
    return v;
  }
  set(key: string, value: string): void {
    if (this.broken) throw new Error('cache offline');
    this.map.set(key, value);
  }
  getStats() {
    return { hits: this.hits, misses: this.misses };
  }
}

describe('ComponentHealthChecker', () => {
  it('wraps an async function returning a status, a boolean or a full result', async () => {
    expect(await new ComponentHealthChecker(async () => true).check(signal)).toEqual({ status: 'healthy' });
    expect(await new ComponentHealthChecker(() => 'degraded').check(signal)).toEqual({ status: 'degraded', reason: 'check reported degraded' });
    const full = await new ComponentHealthChecker(async () => ({ status: 'healthy' as const, details: { shards: 5 } })).check(signal);
    expect(full.details).toEqual({ shards: 5 });
    expect(() => new ComponentHealthChecker(undefined as never)).toThrow(/Invalid fn/);
  });
});

describe('CacheHealthChecker', () => {
  it('round-trips a value and grades the windowed hit ratio', async () => {
    const cache = new CountingCache();
    const checker = new CacheHealthChecker(cache, { hitRatio: { degraded: 0.8 }, minSamples: 10 });
    expect((await checker.check()).status).toBe('healthy');
    for (let i = 0; i < 20; i++) cache.get(i % 2 === 0 ? 'x' : `health:probe:${process.pid}`);
    const r = await checker.check();
    // 10 misses on "x", 10 hits on the probe key, plus the probe's own read.
    expect(r).toMatchObject({ status: 'degraded', details: { hits: 11, misses: 10 } });
    expect(r.reason).toMatch(/^hit ratio 0\.52\d* <= 0\.8$/);
    cache.broken = true;
    const m = new HealthCheckManager({ background: false });
    m.registerCheck('cache', checker);
    expect(await m.checkComponent('cache')).toMatchObject({ status: 'unhealthy', reason: 'cache offline' });
    await m.shutdown();
  });

  it('notices a cache that does not return what was written', async () => {
    const lossy = { get: () => null, set: () => 'OK' };
    const r = await new CacheHealthChecker(lossy).check();
    expect(r.status).toBe('unhealthy');
    expect(r.reason).toMatch(/^read back null after writing "\d+:1"$/);
  });

  it("counts the client's error events per window, and grades them when asked", async () => {
    class EmittingCache extends EventEmitter {
      readonly map = new Map<string, string>();
      get(key: string): string | undefined {
        return this.map.get(key);
      }
      set(key: string, value: string): void {
        this.map.set(key, value);
      }
    }
    const cache = new EmittingCache();
    const checker = new CacheHealthChecker(cache, { errors: { degraded: 2 } });
    expect((await checker.check()).details).toMatchObject({ errors: 0 });
    for (let i = 0; i < 3; i++) cache.emit('error', new Error('ECONNRESET'));
    expect(await checker.check()).toMatchObject({ status: 'degraded', reason: 'client errors 3 >= 2', details: { errors: 3 } });
    expect(await checker.check()).toMatchObject({ status: 'healthy', details: { errors: 0 } }); // a new window
  });

  it("grades the hit ratio of the app's own recorded lookups (ServiceMetrics)", async () => {
    const collector = new MemoryCollector();
    const metrics = new ServiceMetrics(collector);
    const checker = new CacheHealthChecker(new Map(), { recorded: { collector, cache: 'users' }, hitRatio: { degraded: 0.8 }, minSamples: 10 });
    await checker.check();
    for (let i = 0; i < 6; i++) metrics.recordCacheHit('users');
    for (let i = 0; i < 4; i++) metrics.recordCacheMiss('users');
    for (let i = 0; i < 50; i++) metrics.recordCacheMiss('sessions'); // another cache of the app: not this one
    expect(await checker.check()).toMatchObject({ status: 'degraded', reason: 'hit ratio 0.6 <= 0.8', details: { hits: 6, misses: 4, hitRatio: 0.6 } });
    expect(() => new CacheHealthChecker(new Map(), { recorded: {} as never })).toThrow(/recorded/);
    expect(() => new CacheHealthChecker(new Map(), { serverStats: true })).toThrow(/serverStats/);
  });

  it('parses Redis INFO stats', () => {
    expect(parseRedisStats('# Stats\r\nkeyspace_hits:12\r\nkeyspace_misses:3\r\n')).toEqual({ hits: 12, misses: 3 });
    expect(parseRedisStats('nothing')).toBeUndefined();
  });
});

describe('RateLimiterHealthChecker', () => {
  it('grades rejection rate per window and remaining capacity', async () => {
    const limiter = new FixedWindowLimiter(100);
    const checker = new RateLimiterHealthChecker(limiter, { rejectionRate: { degraded: 0.1, unhealthy: 0.5 }, remainingRatio: { degraded: 0.1 } });
    for (let i = 0; i < 50; i++) limiter.tryAcquire();
    expect(await checker.check()).toMatchObject({ status: 'healthy', observedValue: 0, details: { allowed: 50, rejected: 0, remainingRatio: 0.5 } });
    for (let i = 0; i < 80; i++) limiter.tryAcquire();
    const r = await checker.check();
    expect(r).toMatchObject({ status: 'degraded', details: { allowed: 50, rejected: 30, remainingRatio: 0 } });
    limiter.resetWindow();
    for (let i = 0; i < 300; i++) limiter.tryAcquire();
    expect(await checker.check()).toMatchObject({ status: 'unhealthy', observedValue: 0.667, reason: 'rejection rate 0.667 >= 0.5' });
    expect(() => new RateLimiterHealthChecker({} as never)).toThrow(/Invalid limiter/);
  });
});
