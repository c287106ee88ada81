import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SlidingWindowQuantiles } from '../../src/collectors/SlidingWindowQuantiles.js';
import { exactQuantile, sample, type Distribution } from '../helpers/seededRandom.js';

describe('SlidingWindowQuantiles', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each(['uniform', 'long-tailed', 'bimodal'] as Distribution[])('quantiles of %s data are within 1%% of the exact ones', (dist) => {
    const values = sample(dist, 20_000, 11);
    const w = new SlidingWindowQuantiles({}, [0, 0], 60, 5);
    for (const v of values) w.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99]) {
      const exact = exactQuantile(sorted, q);
      expect(Math.abs(w.quantile(q) - exact) / exact).toBeLessThanOrEqual(0.01 + 1e-9);
    }
    expect(w.count()).toBe(20_000);
  });

  it('forgets values older than the window, bucket by bucket', () => {
    const w = new SlidingWindowQuantiles({}, [0, 0], 60, 6); // 10-second buckets
    for (let i = 0; i < 100; i++) w.record(1000); // a slow minute...
    vi.advanceTimersByTime(30_000);
    for (let i = 0; i < 100; i++) w.record(10); // ...then fast requests
    expect(w.count()).toBe(200);
    expect(w.quantile(0.99)).toBeCloseTo(1000, -1);
    vi.advanceTimersByTime(30_000); // the slow values are now 60 s old: out of the window
    expect(w.count()).toBe(100);
    expect(w.quantile(0.99)).toBeCloseTo(10, 0);
    expect(w.sum()).toBeCloseTo(1000, 6);
  });

  it('reports an empty window after a long idle gap', () => {
    const w = new SlidingWindowQuantiles({}, [0, 0], 10, 5);
    w.record(5);
    vi.advanceTimersByTime(3_600_000);
    expect(w.count()).toBe(0);
    expect(w.quantile(0.5)).toBeNaN();
    w.record(7);
    expect(w.quantile(0.5)).toBeCloseTo(7, 1);
  });

  it('refuses NaN and infinities', () => {
    const w = new SlidingWindowQuantiles({}, [0, 0], 10, 2);
    expect(w.record(Number.NaN)).toBe(false);
    expect(w.record(-Infinity)).toBe(false);
    expect(w.count()).toBe(0);
  });
});
