import { randomFillSync } from 'node:crypto';
import type { IdGenerator } from '@opentelemetry/sdk-trace-base';

/** Random bytes drawn at a time: 256 trace ids, or 512 span ids. */
const POOL_BYTES = 4096;
const ZERO = '00000000';

/**
 * Trace and span ids for the tracer provider `createMonitoring` builds: random bytes from
 * `crypto.randomFillSync`, drawn 4 KiB at a time and written out as hex once per draw, then
 * handed out eight hex characters at a time. OTel's `RandomIdGenerator` calls `Math.random()`
 * four times per id, writes the results into a `Buffer` and converts it to hex; that was ~10% of
 * a traced request in-process (decision 005).
 *
 * Each id is joined from short copies of the hex text rather than sliced out of it, so an id
 * kept for long (an exemplar on a rarely hit bucket) does not keep the 8 KiB text alive.
 */
export class PooledIdGenerator implements IdGenerator {
  private readonly _bytes = Buffer.allocUnsafe(POOL_BYTES);
  private _hex = '';
  private _at = POOL_BYTES * 2;

  /** `fill` writes random bytes into the buffer it is given (a test can make them zeros). */
  constructor(private readonly _fill: (bytes: Buffer) => void = (bytes) => void randomFillSync(bytes)) {}

  generateTraceId(): string {
    for (;;) {
      const a = this._next(32);
      const hex = this._hex;
      const p1 = hex.slice(a, a + 8);
      const p2 = hex.slice(a + 8, a + 16);
      const p3 = hex.slice(a + 16, a + 24);
      const p4 = hex.slice(a + 24, a + 32);
      // W3C trace context: an all-zero id is invalid. Draw again (a 2^-128 chance).
      if (p1 !== ZERO || p2 !== ZERO || p3 !== ZERO || p4 !== ZERO) return p1 + p2 + p3 + p4;
    }
  }

  generateSpanId(): string {
    for (;;) {
      const a = this._next(16);
      const hex = this._hex;
      const p1 = hex.slice(a, a + 8);
      const p2 = hex.slice(a + 8, a + 16);
      if (p1 !== ZERO || p2 !== ZERO) return p1 + p2;
    }
  }

  /** Where the next `chars` hex characters start, drawing new bytes when too few are left. */
  private _next(chars: number): number {
    if (this._at + chars > POOL_BYTES * 2) {
      this._fill(this._bytes);
      this._hex = this._bytes.toString('hex');
      this._at = 0;
    }
    const at = this._at;
    this._at = at + chars;
    return at;
  }
}
