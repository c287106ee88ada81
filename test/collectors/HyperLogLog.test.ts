import { describe, expect, it } from 'vitest';
import { HyperLogLog } from '../../src/collectors/HyperLogLog.js';
import { mulberry32 } from '../helpers/seededRandom.js';

describe('HyperLogLog', () => {
  it.each([
    [10, 100],
    [12, 5_000],
    [14, 1_000],
    [14, 40_000],
    [14, 200_000],
  ])('precision %i, %i distinct elements: every seed within 3 standard errors', (precision, n) => {
    const seeds = 20;
    let sumRel = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const rand = mulberry32(seed * 7919 + n);
      const hll = new HyperLogLog({}, [0, 0], precision);
      const prefix = rand().toString(36).slice(2);
      // Every element twice: duplicates must not count.
      for (let i = 0; i < n; i++) hll.add(`${prefix}:user-${i}`);
      for (let i = 0; i < n; i++) hll.add(`${prefix}:user-${i}`);
      const rel = (hll.count() - n) / n;
      sumRel += rel;
      expect(Math.abs(rel)).toBeLessThanOrEqual(3 * hll.standardError);
    }
    // No systematic bias: the mean error across seeds is well inside one standard error.
    expect(Math.abs(sumRel / seeds)).toBeLessThan(1.04 / Math.sqrt(1 << precision));
    // The largest case adds 8 million elements: seconds on a quiet machine, over the default 30 s
    // on one running three suites at once. The work is fixed, so only the deadline is raised.
  }, 180_000);

  it('counts small sets exactly and numbers by value', () => {
    const hll = new HyperLogLog({}, [0, 0], 14);
    expect(hll.count()).toBe(0);
    for (const v of ['a', 'b', 'c', 'a', 1, 2, 2, 1.5]) hll.add(v);
    expect(hll.count()).toBe(6);
  });

  it('merges to the union of two sketches', () => {
    const a = new HyperLogLog({}, [0, 0], 14);
    const b = new HyperLogLog({}, [0, 0], 14);
    for (let i = 0; i < 30_000; i++) a.add(`u${i}`);
    for (let i = 20_000; i < 50_000; i++) b.add(`u${i}`);
    a.merge(b);
    expect(Math.abs(a.count() - 50_000) / 50_000).toBeLessThan(3 * a.standardError);
    expect(() => a.merge(new HyperLogLog({}, [0, 0], 12))).toThrow(RangeError);
  });

  it('refuses values that are neither strings nor numbers', () => {
    const hll = new HyperLogLog({}, [0, 0], 10);
    expect(hll.add({} as unknown as string)).toBe(false);
    expect(hll.count()).toBe(0);
  });
});
