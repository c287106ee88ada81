import { randomFillSync } from 'node:crypto';
import type { IdGenerator } from '@opentelemetry/sdk-trace-base';

/** Random bytes drawn at a time: 256 trace ids, or 512 span ids. */
const POOL_BYTES = 4096;
const POOL_HEX = POOL_BYTES * 2;
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
  private _at = POOL_HEX;

  /** `fill` writes random bytes into the buffer it is given (a test can make them zeros). */
  constructor(private readonly _fill: (bytes: Buffer) => void = (bytes) => void randomFillSync(bytes)) {}

  generateTraceId(): string {
    return this._id(4);
  }

  generateSpanId(): string {
    return this._id(2);
  }

  /** An id of `pieces` × 8 hex characters. W3C trace context forbids all zeros: those are drawn again. */
  private _id(pieces: number): string {
    for (;;) {
      const at = this._next(pieces * 8);
      let id = '';
      let zero = true;
      for (let i = at; i < at + pieces * 8; i += 8) {
        const piece = this._hex.slice(i, i + 8);
        if (piece !== ZERO) zero = false;
        id += piece;
      }
      if (!zero) return id;
    }
  }

  /** Where the next `chars` hex characters start, drawing new bytes when too few are left. */
  private _next(chars: number): number {
    if (this._at + chars > POOL_HEX) {
      this._fill(this._bytes);
      this._hex = this._bytes.toString('hex');
      this._at = 0;
    }
    const at = this._at;
    this._at = at + chars;
    return at;
  }
}
