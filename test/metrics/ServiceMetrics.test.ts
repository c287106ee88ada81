import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryCollector, SERVICE_METRICS, ServiceMetrics } from '../../src/index.js';

describe('ServiceMetrics', () => {
  afterEach(() => vi.useRealTimers());

  it('records request count, duration, errors and in-flight requests', () => {
    // The durations of startRequest() come from performance.now(): faked, so they are the 3 ms the
    // test says and not whatever a loaded machine took between two lines.
    vi.useFakeTimers({ toFake: ['performance'] });
    const collector = new MemoryCollector();
    const metrics = new ServiceMetrics(collector);
    expect(metrics.errorRate()).toBeNaN();
    const a = metrics.startRequest('GET', '/users/:id');
    const b = metrics.startRequest('POST', '/orders');
    expect(metrics.inFlight()).toBe(2);
    vi.advanceTimersByTime(3);
    a(200);
    a(200); // a second call is ignored
    b(503);
    metrics.recordRequest({ method: 'GET', route: '/users/:id', statusCode: 404, durationMs: 12 });
    expect(metrics.inFlight()).toBe(0);
    expect(collector.getCounterValue(SERVICE_METRICS.requests, { method: 'GET', route: '/users/:id', status_code: 200 })).toBe(1);
    expect(collector.getCounterValue(SERVICE_METRICS.requests, { method: 'GET', route: '/users/:id', status_code: 404 })).toBe(1);
    expect(collector.getCounterValue(SERVICE_METRICS.errors, { method: 'POST', route: '/orders' })).toBe(1);
    expect(metrics.errorRate()).toBeCloseTo(1 / 3);
    const h = collector.getHistogram(SERVICE_METRICS.duration, { method: 'GET', route: '/users/:id' })!;
    expect(h.count).toBe(2);
    expect(h.min).toBeCloseTo(0.003, 9);
    expect(h.max).toBeCloseTo(0.012, 9);
    expect(h.sum).toBeCloseTo(0.015, 9);
  });

  it('tracks the cache hit ratio per cache, also as a gauge', () => {
    const collector = new MemoryCollector();
    const metrics = new ServiceMetrics(collector);
    expect(metrics.cacheHitRatio('users')).toBeNaN();
    metrics.recordCacheHit('users');
    metrics.recordCacheHit('users');
    metrics.recordCacheHit('users');
    metrics.recordCacheMiss('users');
    metrics.recordCacheMiss('sessions');
    expect(metrics.cacheHitRatio('users')).toBe(0.75);
    expect(metrics.cacheHitRatio('sessions')).toBe(0);
    expect(collector.getGaugeValue(SERVICE_METRICS.cacheHitRatio, { cache: 'users' })).toBe(0.75);
  });
});
