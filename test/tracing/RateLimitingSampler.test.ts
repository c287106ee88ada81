import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { ParentBasedSampler, SamplingDecision, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { MonitoringSettings } from '../../src/config/MonitoringSettings.js';
import { ConfigurationError } from '../../src/errors/MonitoringError.js';
import { RateLimitingSampler } from '../../src/tracing/RateLimitingSampler.js';
import { createSampler } from '../../src/tracing/createSampler.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';

function decide(sampler: { shouldSample: RateLimitingSampler['shouldSample'] }, ctx = ROOT_CONTEXT): SamplingDecision {
  return sampler.shouldSample(ctx, TRACE, 'op', SpanKind.SERVER, {}, []).decision;
}

function count(sampler: RateLimitingSampler, n: number): number {
  let sampled = 0;
  for (let i = 0; i < n; i++) if (decide(sampler) === SamplingDecision.RECORD_AND_SAMPLED) sampled++;
  return sampled;
}

describe('RateLimitingSampler', () => {
  it('samples at most N traces per second, refilling with the clock', () => {
    let now = 1_000;
    const sampler = new RateLimitingSampler(10, () => now);
    expect(count(sampler, 50)).toBe(10);
    now += 100; // a tenth of a second buys one trace
    expect(count(sampler, 50)).toBe(1);
    now += 450;
    expect(count(sampler, 50)).toBe(4);
    now += 60_000; // a long idle spell does not bank more than one second's worth
    expect(count(sampler, 50)).toBe(10);
  });

  it('keeps the long-run rate over many seconds of steady traffic', () => {
    let now = 0;
    const sampler = new RateLimitingSampler(25, () => now);
    let sampled = 0;
    for (let ms = 0; ms < 10_000; ms++) {
      now = ms;
      sampled += count(sampler, 3); // 3,000 requests a second
    }
    expect(sampled).toBeGreaterThanOrEqual(25 * 10);
    expect(sampled).toBeLessThanOrEqual(25 * 11);
  });

  it('wouldSample() tells the next decision without spending a token', () => {
    let now = 0;
    const sampler = new RateLimitingSampler(2, () => now);
    for (let i = 0; i < 5; i++) expect(sampler.wouldSample()).toBe(true);
    expect(count(sampler, 1)).toBe(1);
    expect(sampler.wouldSample()).toBe(true);
    expect(count(sampler, 1)).toBe(1);
    expect(sampler.wouldSample()).toBe(false);
    expect(count(sampler, 1)).toBe(0);
    now += 500;
    expect(sampler.wouldSample()).toBe(true);
  });

  it('wouldSample(now) uses a caller\'s performance.now() reading, unless the sampler has a clock of its own', () => {
    const own = new RateLimitingSampler(1, () => 0);
    expect(own.usesPerformanceClock).toBe(false);
    expect(count(own, 1)).toBe(1);
    // A reading far in the future would refill the bucket; the sampler's own clock says no time passed.
    expect(own.wouldSample(performance.now() + 10_000)).toBe(false);

    // One trace per 1,000 s, and a rate under 1/s starts with that fraction of a token: no stall of
    // the machine between these lines fills the bucket.
    const real = new RateLimitingSampler(0.001);
    expect(real.usesPerformanceClock).toBe(true);
    expect(real.wouldSample(performance.now())).toBe(false);
    expect(real.wouldSample(performance.now() + 1_000_000)).toBe(true);
  });

  it('handles rates under one per second', () => {
    let now = 0;
    const sampler = new RateLimitingSampler(0.5, () => now);
    expect(count(sampler, 5)).toBe(0);
    now += 2_000;
    expect(count(sampler, 5)).toBe(1);
    now += 1_000;
    expect(count(sampler, 5)).toBe(0);
    now += 1_000;
    expect(count(sampler, 5)).toBe(1);
  });

  it('never samples at rate 0', () => {
    let now = 0;
    const sampler = new RateLimitingSampler(0, () => now);
    expect(count(sampler, 10)).toBe(0);
    now += 100_000;
    expect(count(sampler, 10)).toBe(0);
  });

  it('rejects a bad rate at setup, naming the option and the value', () => {
    expect(() => new RateLimitingSampler(-1)).toThrow(ConfigurationError);
    expect(() => new RateLimitingSampler(Number.NaN)).toThrow(/tracesPerSecond/);
    expect(() => new RateLimitingSampler(Infinity)).toThrow(/Infinity|null/);
  });

  it('names itself with its rate', () => {
    expect(new RateLimitingSampler(7).toString()).toBe('RateLimitingSampler{7/s}');
  });
});

describe('createSampler from OTEL_TRACES_SAMPLER', () => {
  const sampledParent = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true });
  const unsampledParent = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.NONE, isRemote: true });

  it('parentbased_rate_limited: roots are rate-limited, children follow their parent', () => {
    const settings = new MonitoringSettings({}, { OTEL_TRACES_SAMPLER: 'parentbased_rate_limited', OTEL_TRACES_SAMPLER_ARG: '2' });
    const sampler = createSampler(settings);
    expect(sampler).toBeInstanceOf(ParentBasedSampler);
    const roots = [decide(sampler), decide(sampler), decide(sampler), decide(sampler)];
    expect(roots.filter((d) => d === SamplingDecision.RECORD_AND_SAMPLED)).toHaveLength(2);
    // The bucket is empty now, yet a request that arrives with a sampled parent stays in its trace.
    expect(decide(sampler, sampledParent)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(sampler, unsampledParent)).toBe(SamplingDecision.NOT_RECORD);
  });

  it('maps the OTel standard names', () => {
    const make = (name: string, arg?: string) =>
      createSampler(new MonitoringSettings({}, { OTEL_TRACES_SAMPLER: name, ...(arg !== undefined ? { OTEL_TRACES_SAMPLER_ARG: arg } : {}) }));
    expect(decide(make('always_on'))).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(make('always_off'))).toBe(SamplingDecision.NOT_RECORD);
    expect(make('traceidratio', '0.25')).toBeInstanceOf(TraceIdRatioBasedSampler);
    expect(decide(make('traceidratio', '0'))).toBe(SamplingDecision.NOT_RECORD);
    expect(decide(make('parentbased_always_off'))).toBe(SamplingDecision.NOT_RECORD);
    expect(decide(make('parentbased_always_off'), sampledParent)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(make('parentbased_always_on'), unsampledParent)).toBe(SamplingDecision.NOT_RECORD);
    expect(make('rate_limited', '5')).toBeInstanceOf(RateLimitingSampler);
  });

  it('rejects an unknown sampler name, naming the env var', () => {
    expect(() => new MonitoringSettings({}, { OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(/OTEL_TRACES_SAMPLER/);
    expect(() => new MonitoringSettings({}, { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
  });
});
