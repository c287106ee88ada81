import { describe, expect, it } from 'vitest';
import {
  addValue,
  createRollup,
  mergeRollup,
  rollupFromHash,
  rollupQuantile,
  ROLLUP_RELATIVE_ACCURACY,
  summarizeRollup,
  type RollupState,
} from '../../src/distributed/Rollup.js';
import { mulberry32 as rng } from '../helpers/seededRandom.js';

/** The element DDSketch targets for quantile q: rank q·(n−1), rounded down. */
function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

function toHash(r: RollupState): Record<string, string> {
  const h: Record<string, string> = { c: String(r.count), s: String(r.sum), lo: String(r.min), hi: String(r.max) };
  if (r.zero > 0) h['z'] = String(r.zero);
  for (const [k, c] of r.positive) h[`p${k}`] = String(c);
  for (const [k, c] of r.negative) h[`n${k}`] = String(c);
  return h;
}

describe('Rollup', () => {
  it('merged percentiles are those of all values together, within the stated relative error', () => {
    // Three "instances" with very different latency profiles: averaging their p99s would be wrong.
    const profiles = [
      { seed: 1, scale: 5, n: 4000 },
      { seed: 2, scale: 50, n: 1000 },
      { seed: 3, scale: 500, n: 100 },
    ];
    const all: number[] = [];
    const parts = profiles.map(({ seed, scale, n }) => {
      const next = rng(seed);
      const r = createRollup();
      for (let i = 0; i < n; i++) {
        const v = scale * Math.exp(next() * 2);
        addValue(r, v);
        all.push(v);
      }
      return r;
    });
    const merged = parts.reduce((acc, r) => mergeRollup(acc, r), createRollup());
    all.sort((a, b) => a - b);
    expect(merged.count).toBe(all.length);
    expect(merged.min).toBe(all[0]);
    expect(merged.max).toBe(all[all.length - 1]);
    expect(merged.sum).toBeCloseTo(all.reduce((a, b) => a + b, 0), 6);
    for (const q of [0.5, 0.9, 0.95, 0.99]) {
      const exact = exactQuantile(all, q);
      expect(Math.abs(rollupQuantile(merged, q) - exact)).toBeLessThanOrEqual(exact * ROLLUP_RELATIVE_ACCURACY + 1e-9);
    }
    const naive = parts.reduce((s, r) => s + rollupQuantile(r, 0.99), 0) / parts.length;
    expect(Math.abs(naive - exactQuantile(all, 0.99))).toBeGreaterThan(exactQuantile(all, 0.99) * 0.1);
  });

  it('merging is order-independent and equal to adding every value to one rollup', () => {
    const next = rng(7);
    const values = Array.from({ length: 3000 }, () => (next() - 0.3) * 100);
    const one = createRollup();
    for (const v of values) addValue(one, v);
    const a = createRollup();
    const b = createRollup();
    values.forEach((v, i) => addValue(i % 3 === 0 ? a : b, v));
    const ab = mergeRollup(mergeRollup(createRollup(), a), b);
    const ba = mergeRollup(mergeRollup(createRollup(), b), a);
    for (const m of [ab, ba]) {
      expect(m.count).toBe(one.count);
      expect(m.zero).toBe(one.zero);
      expect([...m.positive].sort()).toEqual([...one.positive].sort());
      expect([...m.negative].sort()).toEqual([...one.negative].sort());
      expect(m.sum).toBeCloseTo(one.sum, 6);
    }
  });

  it('handles negative values and zeros', () => {
    const r = createRollup();
    for (const v of [-100, -10, 0, 0, 0, 10, 100]) addValue(r, v);
    expect(r.zero).toBe(3);
    expect(rollupQuantile(r, 0.5)).toBe(0);
    expect(Math.abs(rollupQuantile(r, 1 / 6) - -10)).toBeLessThanOrEqual(0.1);
    expect(rollupQuantile(r, 0)).toBe(-100);
    expect(rollupQuantile(r, 1)).toBe(100);
  });

  it('survives the trip through a Redis hash, ignoring fields it does not know', () => {
    const next = rng(11);
    const r = createRollup();
    for (let i = 0; i < 500; i++) addValue(r, next() * 1000 - 100);
    const back = rollupFromHash({ ...toHash(r), junk: 'x', pabc: '3', p12: 'NaN' });
    expect(summarizeRollup(back)).toEqual(summarizeRollup(r));
  });

  it('summarises an empty rollup as count 0 and NaN statistics', () => {
    const s = summarizeRollup(createRollup());
    expect(s.count).toBe(0);
    expect(s.mean).toBeNaN();
    expect(s.p99).toBeNaN();
    expect(s.min).toBeNaN();
  });
});
