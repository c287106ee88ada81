import type { Attributes, HrTime } from '@opentelemetry/api';

const floatBits = new DataView(new ArrayBuffer(8));

/** MurmurHash3's 32-bit finaliser: full avalanche of one word. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The high 32 bits of the last hash. A typed-array cell, not a `let`: a module variable holding a
 * uint32 above 2^31 is a heap number, and every store would allocate one.
 */
const hashHigh = new Uint32Array(1);

/**
 * 64 bits of MurmurHash3-style hash over a string's UTF-16 code units, in two 32-bit halves (the
 * low half returned, the high half left in `hashHigh`): no encoding step, no allocation.
 */
function hashString(s: string): number {
  let h1 = 0x9747b28c;
  let h2 = 0x5bd1e995;
  for (let i = 0; i < s.length; i++) {
    let k = s.charCodeAt(i);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h1 ^= k;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    h2 ^= k;
    h2 = (h2 << 17) | (h2 >>> 15);
    h2 = (Math.imul(h2, 0x27d4eb2d) + 0x165667b1) | 0;
  }
  h1 ^= s.length;
  h2 ^= s.length;
  h1 = fmix(h1 ^ fmix(h2));
  hashHigh[0] = fmix(h2 + h1);
  return h1;
}

function hashNumber(n: number): number {
  floatBits.setFloat64(0, n);
  const a = floatBits.getUint32(0);
  const b = floatBits.getUint32(4);
  const h1 = fmix(a ^ fmix(b ^ 0x9747b28c));
  hashHigh[0] = fmix(b + fmix(a ^ 0x5bd1e995) + h1);
  return h1;
}

/**
 * HyperLogLog cardinality estimation (Flajolet et al.) with `2^precision` 6-bit registers and a
 * 64-bit hash, estimated with Ertl's improved estimator ("New cardinality estimation algorithms for
 * HyperLogLog sketches", 2017; the one Redis uses since 5.0), which needs no bias tables and stays
 * within the standard error 1.04/√m from 0 to billions. Two sketches of the same precision merge
 * by register-wise max, so per-instance sketches add up to the union's cardinality.
 *
 * @example
 * const hll = new HyperLogLog({}, [0, 0], 14);
 * hll.add('user-1'); hll.add('user-2'); hll.add('user-1');
 * hll.count(); // 2
 */
export class HyperLogLog {
  readonly registers: Uint8Array;
  readonly m: number;
  private readonly _q: number;

  constructor(
    readonly attributes: Attributes,
    readonly startTime: HrTime,
    readonly precision = 14,
  ) {
    this.m = 1 << precision;
    this._q = 64 - precision;
    this.registers = new Uint8Array(this.m);
  }

  /** Standard error of the estimate, 1.04/√m. */
  get standardError(): number {
    return 1.04 / Math.sqrt(this.m);
  }

  /** Adds an element (a string, or a number hashed by its bits); returns false for other types. */
  add(value: string | number): boolean {
    let low: number;
    if (typeof value === 'string') low = hashString(value);
    else if (typeof value === 'number') low = hashNumber(value);
    else return false;
    const p = this.precision;
    const high = hashHigh[0]!;
    const index = high >>> (32 - p);
    // The rank is the position of the first 1 bit in the remaining 64 - p bits (1-based), capped
    // at q + 1 when they are all zero.
    const rest = (high << p) >>> 0;
    let rank: number;
    if (rest !== 0) rank = Math.clz32(rest) + 1;
    else if (low !== 0) rank = 32 - p + Math.clz32(low) + 1;
    else rank = this._q + 1;
    if (rank > this.registers[index]!) this.registers[index] = rank;
    return true;
  }

  /** Merges another sketch of the same precision into this one (union). */
  merge(other: HyperLogLog): void {
    if (other.precision !== this.precision) throw new RangeError(`cannot merge HyperLogLog precision ${other.precision} into ${this.precision}`);
    const r = this.registers;
    const o = other.registers;
    for (let i = 0; i < r.length; i++) if (o[i]! > r[i]!) r[i] = o[i]!;
  }

  /** Forgets every element (for per-period counts such as unique users per hour). */
  reset(): void {
    this.registers.fill(0);
  }

  /** The estimated number of distinct elements added. */
  count(): number {
    const q = this._q;
    const m = this.m;
    const c = new Float64Array(q + 2);
    const r = this.registers;
    for (let i = 0; i < m; i++) c[r[i]!]!++;
    let z = m * tau((m - c[q + 1]!) / m);
    for (let k = q; k >= 1; k--) z = 0.5 * (z + c[k]!);
    z += m * sigma(c[0]! / m);
    return Math.round((m * m) / (2 * Math.LN2) / z);
  }
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  let zPrev: number;
  do {
    x *= x;
    zPrev = z;
    z += x * y;
    y += y;
  } while (zPrev !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let zPrev: number;
  do {
    x = Math.sqrt(x);
    zPrev = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (zPrev !== z);
  return z / 3;
}
