import { requireNumber } from '../internal/configCheck.js';
// The object HttpServerInstrumentation reads the readings it passes to `wouldSample(now)` from, so
// the two clocks agree even when a test replaces the global (which is also a getter; see there).
import { performance } from 'node:perf_hooks';
import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import { SamplingDecision, type Sampler, type SamplingResult } from '@opentelemetry/sdk-trace-base';

const TOKENS = 0;
const LAST = 1;

/**
 * Samples at most `tracesPerSecond` new traces per second (a token bucket refilled continuously,
 * holding at most one second's worth). Metrics are recorded for sampled-out requests all the same:
 * only spans are skipped. Wrap it in `ParentBasedSampler` so child spans follow their root.
 *
 * @example
 * new ParentBasedSampler({ root: new RateLimitingSampler(10) });
 */
export class RateLimitingSampler implements Sampler {
  /**
   * The tokens left and the clock reading they were counted at. In a Float64Array because a
   * number field is stored boxed: each of the two writes a request makes would allocate a number
   * and pass V8's write barrier (~100 instructions a request, counted with callgrind).
   */
  private readonly _bucket = new Float64Array(2);
  private readonly _now: () => number;
  /** True when the clock is `performance.now()`, so a caller may hand in a reading it already took. */
  readonly usesPerformanceClock: boolean;

  constructor(
    readonly tracesPerSecond: number,
    now?: () => number,
  ) {
    this._now = now ?? (() => performance.now());
    this.usesPerformanceClock = now === undefined;
    requireNumber('tracesPerSecond', tracesPerSecond, { min: 0 }, 'a non-negative number');
    // A second's worth to start with: the whole bucket, or under 1/s less than the one token a trace takes.
    this._bucket[TOKENS] = tracesPerSecond;
    this._bucket[LAST] = this._now();
  }

  shouldSample(_context: Context, _traceId: string, _name: string, _kind: SpanKind, _attributes: Attributes, _links: Link[]): SamplingResult {
    if (this.wouldSample()) {
      this._bucket[TOKENS]! -= 1;
      return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    }
    return { decision: SamplingDecision.NOT_RECORD };
  }

  /**
   * Whether the next root would be sampled, without taking a token: lets an instrumentation skip
   * building a span that would be dropped. A `shouldSample` right after it (same tick) agrees.
   * `now` is a `performance.now()` reading the caller already has (a clock read costs ~0.1 µs on
   * some virtual machines); it is ignored when the sampler was given a clock of its own.
   */
  wouldSample(now?: number): boolean {
    if (now === undefined || !this.usesPerformanceClock) now = this._now();
    const rate = this.tracesPerSecond;
    // The bucket holds one second of traces, and at least one, so rates under 1/s still sample.
    const bucket = this._bucket;
    const tokens = Math.min(Math.max(rate, 1), bucket[TOKENS]! + ((now - bucket[LAST]!) / 1000) * rate);
    bucket[TOKENS] = tokens;
    bucket[LAST] = now;
    return tokens >= 1;
  }

  toString(): string {
    return `RateLimitingSampler{${this.tracesPerSecond}/s}`;
  }
}
