// Every setup check of the health module names the option and the value it was given, and says
// what it expected; the edges just inside each range are still accepted.
import { afterEach, describe, expect, it } from 'vitest';
import { BacklogHealthChecker } from '../../src/health/checkers/BacklogHealthChecker.js';
import { CacheHealthChecker } from '../../src/health/checkers/CacheHealthChecker.js';
import { ConnectionPoolHealthChecker } from '../../src/health/checkers/ConnectionPoolHealthChecker.js';
import { DiskSpaceHealthChecker } from '../../src/health/checkers/DiskSpaceHealthChecker.js';
import { ErrorRateHealthChecker } from '../../src/health/checkers/ErrorRateHealthChecker.js';
import { EventLoopHealthChecker } from '../../src/health/checkers/EventLoopHealthChecker.js';
import { HttpHealthChecker } from '../../src/health/checkers/HttpHealthChecker.js';
import { LatencyHealthChecker } from '../../src/health/checkers/LatencyHealthChecker.js';
import { RateLimiterHealthChecker } from '../../src/health/checkers/RateLimiterHealthChecker.js';
import { SlaHealthChecker } from '../../src/health/checkers/SlaHealthChecker.js';
import { ThroughputHealthChecker } from '../../src/health/checkers/ThroughputHealthChecker.js';
import { HealthCheckManager } from '../../src/health/HealthCheckManager.js';
import { messageOf } from '../helpers/configError.js';
import { collectorPerTest } from '../helpers/perTest.js';

// Registered before the closers' hook, so (hooks run last-registered first) the closers run first.
const collector = collectorPerTest();
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});
const pool = { query: async () => ({ rows: [] }) };

const BAD: [string, () => unknown, string][] = [
  ['Throughput options', () => new ThroughputHealthChecker(null as never), 'Invalid options: null (expected { count, perSecond })'],
  ['Throughput perSecond', () => new ThroughputHealthChecker({ count: () => 1 } as never), 'Invalid perSecond: undefined (expected { degraded?, unhealthy? })'],
  ['Backlog options', () => new BacklogHealthChecker(7 as never), 'Invalid options: 7 (expected { depth, thresholds })'],
  ['Backlog thresholds', () => new BacklogHealthChecker({ depth: () => 1 } as never), 'Invalid thresholds: undefined'],
  ['Backlog depth', () => new BacklogHealthChecker({ depth: { metric: '' }, thresholds: { degraded: 1 } }), 'Invalid depth'],
  ['threshold value', () => new BacklogHealthChecker({ depth: () => 1, thresholds: { degraded: Number.NaN } }), 'Invalid thresholds.degraded: NaN (expected a finite number)'],
  ['threshold object', () => new BacklogHealthChecker({ depth: () => 1, thresholds: 5 as never }), 'Invalid thresholds: 5 (expected an object { degraded?, unhealthy? })'],
  ['ErrorRate options', () => new ErrorRateHealthChecker('x' as never), 'Invalid options: "x" (expected { errors, total })'],
  ['Latency collector', () => new LatencyHealthChecker({} as never, { metric: 'h', thresholds: { degraded: 1 } }), 'Invalid collector: {} (expected a MemoryCollector)'],
  ['Latency metric', () => new LatencyHealthChecker(collector(), { metric: '', thresholds: { degraded: 1 } }), 'Invalid metric: "" (expected a histogram name)'],
  ['Latency quantile', () => new LatencyHealthChecker(collector(), { metric: 'h', quantile: 1.5, thresholds: { degraded: 1 } }), 'Invalid quantile: 1.5 (expected a number in (0, 1])'],
  ['Latency quantile 0', () => new LatencyHealthChecker(collector(), { metric: 'h', quantile: 0, thresholds: { degraded: 1 } }), 'Invalid quantile: 0'],
  ['Latency thresholds', () => new LatencyHealthChecker(collector(), { metric: 'h' } as never), 'Invalid thresholds: undefined'],
  ['Latency minCount', () => new LatencyHealthChecker(collector(), { metric: 'h', thresholds: { degraded: 1 }, minCount: 0 }), 'Invalid minCount: 0 (expected a positive integer)'],
  ['Sla metric', () => new SlaHealthChecker(collector(), null as never), 'Invalid options: null'],
  ['Sla target', () => new SlaHealthChecker(collector(), { metric: 'h', target: Number.POSITIVE_INFINITY, compliance: { degraded: 0.99 } }), 'Invalid target: Infinity (expected a positive duration)'],
  ['Sla compliance', () => new SlaHealthChecker(collector(), { metric: 'h', target: 100 } as never), 'Invalid compliance: undefined'],
  ['Pool', () => new ConnectionPoolHealthChecker({ end() {} } as never), 'Invalid pool: {} (expected an object with query())'],
  ['Pool query', () => new ConnectionPoolHealthChecker(pool, { query: '  ' }), 'Invalid query: "  " (expected a SQL string)'],
  ['Cache', () => new CacheHealthChecker({ get() {} } as never), 'Invalid cache: {} (expected an object with get() and set())'],
  ['Cache key', () => new CacheHealthChecker(new Map(), { key: '' }), 'Invalid key: "" (expected a non-empty string)'],
  ['Cache recorded', () => new CacheHealthChecker(new Map(), { recorded: null as never }), 'Invalid recorded: null'],
  ['Cache recorded.collector', () => new CacheHealthChecker(new Map(), { recorded: { collector: {} } as never }), 'Invalid recorded.collector: {} (expected a MemoryCollector)'],
  ['EventLoop percentile', () => new EventLoopHealthChecker({ percentile: 101 }), 'Invalid percentile: 101 (expected a number in (0, 100])'],
  ['Http url', () => new HttpHealthChecker('ftp://probe:hunter2@example.test/'), 'Invalid url: "ftp://probe:***@example.test/" (expected an absolute http(s) URL)'],
  ['Http url relative', () => new HttpHealthChecker('/health'), 'Invalid url: "/health"'],
  ['Http method', () => new HttpHealthChecker('http://127.0.0.1:1/', { method: 'POST' as never }), 'Invalid method: "POST" (expected GET or HEAD)'],
  ['Disk path', () => new DiskSpaceHealthChecker({ path: '' }), 'Invalid path: "" (expected a file system path)'],
  ['RateLimiter', () => new RateLimiterHealthChecker(null as never), 'Invalid limiter: null (expected an object with getStats() or a function returning stats)'],
  ['Manager interval', () => new HealthCheckManager({ intervalSeconds: 3e6, background: false }), 'Invalid intervalSeconds: 3000000 (expected a number of seconds from 1 to 2147483)'],
  ['Manager events', () => new HealthCheckManager({ events: {} as never, background: false }), 'Invalid events: {} (expected an EventBus)'],
  ['Manager defaultTimeoutMs', () => new HealthCheckManager({ defaultTimeoutMs: 0, background: false }), 'Invalid defaultTimeoutMs: 0 (expected a number of milliseconds from 1 to 2147483647)'],
];

describe('health option errors', () => {
  it.each(BAD)('%s: names the option and the value', (_what, make, text) => {
    expect(messageOf(make)).toContain(text);
  });

  it('registerCheck names the check, the option and the value', () => {
    const m = new HealthCheckManager({ background: false });
    closers.push(() => m.shutdown());
    expect(messageOf(() => m.registerCheck('db', () => true, { cacheTtlMs: -1 }))).toBe('Invalid cacheTtlMs of "db": -1 (expected a non-negative number of milliseconds)');
    expect(messageOf(() => m.registerCheck('db', () => true, { tags: 'critical' as never }))).toContain('Invalid tags of "db": "critical"');
    expect(messageOf(() => m.registerCheck('db', { run() {} } as never))).toContain('Invalid checker of "db": {} (expected a function or an object with check())');
    expect(() => m.registerCheck('db', () => true, { cacheTtlMs: 0, tags: ['a.b-c_1'], timeoutMs: 0.5 })).not.toThrow();
  });

  it('accepts the edges of each range', () => {
    const c = collector();
    expect(() => new LatencyHealthChecker(c, { metric: 'h', quantile: 1, thresholds: { degraded: 1 } })).not.toThrow();
    expect(() => new EventLoopHealthChecker({ percentile: 100 }).close()).not.toThrow();
    expect(() => new HttpHealthChecker(new URL('https://user:pw@127.0.0.1:1/'), { method: 'HEAD' })).not.toThrow();
    expect(() => new RateLimiterHealthChecker(() => ({ allowed: 1, rejected: 0 }))).not.toThrow();
    expect(() => new CacheHealthChecker(new Map(), { recorded: { collector: c } })).not.toThrow();
    expect(() => new ConnectionPoolHealthChecker(pool)).not.toThrow();
    const m = new HealthCheckManager({ intervalSeconds: 1, background: false });
    closers.push(() => m.shutdown());
  });
});
