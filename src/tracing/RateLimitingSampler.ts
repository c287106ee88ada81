import { requireNumber } from '../internal/configCheck.js';
import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import { SamplingDecision, type Sampler, type SamplingResult } from '@opentelemetry/sdk-trace-base';

/**
 * Samples at most `tracesPerSecond` new traces per second (a token bucket refilled continuously,
 * holding at most one second's worth). Metrics are recorded for sampled-out requests all the same:
 * only spans are skipped. Wrap it in `ParentBasedSampler` so child spans follow their root.
 *
 * @example
 * new ParentBasedSampler({ root: new RateLimitingSampler(10) });
 */
export class RateLimitingSampler implements Sampler {
  private _tokens: number;
  private _last: number;
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
    this._tokens = Math.max(tracesPerSecond, 1) === 1 ? Math.min(tracesPerSecond, 1) : tracesPerSecond;
    this._last = this._now();
  }

  shouldSample(_context: Context, _traceId: string, _name: string, _kind: SpanKind, _attributes: Attributes, _links: Link[]): SamplingResult {
    if (this.wouldSample()) {
      this._tokens -= 1;
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
    this._tokens = Math.min(Math.max(rate, 1), this._tokens + ((now - this._last) / 1000) * rate);
    this._last = now;
    return this._tokens >= 1;
  }

  toString(): string {
    return `RateLimitingSampler{${this.tracesPerSecond}/s}`;
  }
}
