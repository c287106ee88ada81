/** Seeded uniform PRNG (mulberry32), so accuracy tests are reproducible. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal via Box-Muller. */
export function normal(rand: () => number): number {
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export type Distribution = 'uniform' | 'long-tailed' | 'bimodal';

/** `n` positive values from one of the accuracy tests' distributions. */
export function sample(dist: Distribution, n: number, seed: number): number[] {
  const rand = mulberry32(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (dist === 'uniform') out.push(1 + rand() * 999);
    // Log-normal with sigma 1.5: a long right tail, p99 about 30x the median.
    else if (dist === 'long-tailed') out.push(Math.exp(3 + 1.5 * normal(rand)));
    // Two well-separated modes (fast cache hits, slow misses).
    else out.push(rand() < 0.7 ? Math.abs(5 + normal(rand)) + 0.01 : Math.abs(200 + 20 * normal(rand)) + 0.01);
  }
  return out;
}

/** Exact q-quantile by the nearest-rank rule (the first value whose rank reaches q*n). */
export function exactQuantile(sorted: readonly number[], q: number): number {
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}
