import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ForwardDecayReservoir } from '../../src/collectors/ForwardDecayReservoir.js';
import { exactQuantile, mulberry32, sample, type Distribution } from '../helpers/seededRandom.js';

describe('ForwardDecayReservoir', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each(['uniform', 'long-tailed', 'bimodal'] as Distribution[])('tracks quantiles of stationary %s data within sampling error', (dist) => {
    // 20,000 values over 20 s: decay barely matters, so the reservoir is a near-uniform sample of
    // 1028; the q-quantile of such a sample lies within a few rank-percent of the exact one.
    const values = sample(dist, 20_000, 5);
    const r = new ForwardDecayReservoir({}, [0, 0], 1028, 0.015, 0.01, mulberry32(99));
    for (let i = 0; i < values.length; i++) {
      if (i % 1000 === 0) vi.advanceTimersByTime(1000);
      r.record(values[i]!);
    }
    const sorted = [...values].sort((a, b) => a - b);
    const snap = r.snapshot();
    expect(snap.size).toBe(1028);
    for (const q of [0.5, 0.9, 0.99]) {
      const est = snap.quantile(q);
      // Compare ranks, not values: the estimate's rank in the exact data is within ±4 percentage points.
      const rank = sorted.findIndex((v) => v >= est) / sorted.length;
      expect(Math.abs(rank - q)).toBeLessThan(0.04);
      expect(est).toBeGreaterThan(0);
      expect(exactQuantile(sorted, q)).toBeGreaterThan(0);
    }
  });

  it('weights recent values over old ones (forward decay)', () => {
    const r = new ForwardDecayReservoir({}, [0, 0], 1028, 0.015, 1e-6, mulberry32(3));
    for (let i = 0; i < 5000; i++) r.record(1000); // five minutes ago: slow
    vi.advanceTimersByTime(300_000);
    for (let i = 0; i < 5000; i++) r.record(10); // now: fast
    // exp(-0.015 * 300) ≈ 1.1%: old samples are both rarely kept and lightly weighted.
    expect(r.snapshot().quantile(0.95)).toBe(10);
  });

  it('decays while idle: old samples leave the read-out instead of going stale', () => {
    const r = new ForwardDecayReservoir({}, [0, 0], 100, 0.015, 0.01, mulberry32(4));
    for (let i = 0; i < 1000; i++) r.record(50);
    vi.advanceTimersByTime(60_000);
    expect(r.snapshot().size).toBe(100);
    expect(r.snapshot().quantile(0.5)).toBe(50);
    const before = r.decayedCount();
    vi.advanceTimersByTime(300_000); // past ln(100)/0.015 ≈ 307 s
    expect(r.snapshot().size).toBe(0);
    expect(r.snapshot().quantile(0.5)).toBeNaN();
    expect(r.decayedCount()).toBeLessThan(before * 0.02);
  });

  it('survives landmark rescales (hours of records) with the same behaviour', () => {
    const r = new ForwardDecayReservoir({}, [0, 0], 64, 0.015, 0.01, mulberry32(5));
    for (let h = 0; h < 5; h++) {
      for (let i = 0; i < 100; i++) {
        r.record(h);
        vi.advanceTimersByTime(36_000);
      }
    }
    const snap = r.snapshot();
    expect(snap.quantile(0.5)).toBe(4);
    expect(Number.isFinite(r.decayedCount())).toBe(true);
    // One record every 36 s, read 36 s after the last: Σ e^(-0.015·36·k) for k ≥ 1, a geometric series.
    const x = Math.exp(-0.015 * 36);
    expect(r.decayedCount()).toBeCloseTo(x / (1 - x), 6);
  });

  it('refuses NaN and infinities', () => {
    const r = new ForwardDecayReservoir({}, [0, 0], 8);
    expect(r.record(Number.NaN)).toBe(false);
    expect(r.snapshot().size).toBe(0);
  });
});
