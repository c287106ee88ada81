import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import type { MonitoringSettings } from '../config/MonitoringSettings.js';
import { RateLimitingSampler } from './RateLimitingSampler.js';

/** How a sampler built by `createSampler` treats roots, for instrumentations that decide early. */
export interface SamplerShape {
  /** True when sampled parents are followed and unsampled parents dropped (the `parentbased_*` samplers). */
  readonly parentBased: boolean;
  /**
   * Whether the next root would be sampled, without deciding it; undefined when that cannot be
   * known up front. `now`, when given, is a `performance.now()` reading taken just before.
   */
  readonly wouldSampleRoot: ((now?: number) => boolean) | undefined;
}

const SHAPES = new WeakMap<Sampler, SamplerShape>();

/** @internal What `createSampler` recorded about `sampler`, or undefined for samplers it did not build. */
export function samplerShape(sampler: Sampler): SamplerShape | undefined {
  return SHAPES.get(sampler);
}

const ALWAYS = (): boolean => true;
const NEVER = (): boolean => false;

/**
 * The sampler named by `settings.tracesSampler` (`OTEL_TRACES_SAMPLER`), with
 * `settings.tracesSamplerArg` as the ratio (default 1) or traces per second (default 100).
 */
export function createSampler(settings: Pick<MonitoringSettings, 'tracesSampler' | 'tracesSamplerArg'>): Sampler {
  const { sampler, shape } = build(settings);
  SHAPES.set(sampler, shape);
  return sampler;
}

function build(settings: Pick<MonitoringSettings, 'tracesSampler' | 'tracesSamplerArg'>): { sampler: Sampler; shape: SamplerShape } {
  const ratio = settings.tracesSamplerArg ?? 1;
  const perSecond = settings.tracesSamplerArg ?? 100;
  switch (settings.tracesSampler) {
    case 'always_on':
      return { sampler: new AlwaysOnSampler(), shape: { parentBased: false, wouldSampleRoot: ALWAYS } };
    case 'always_off':
      return { sampler: new AlwaysOffSampler(), shape: { parentBased: false, wouldSampleRoot: NEVER } };
    case 'traceidratio':
      return { sampler: new TraceIdRatioBasedSampler(ratio), shape: { parentBased: false, wouldSampleRoot: undefined } };
    case 'parentbased_always_off':
      return { sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }), shape: { parentBased: true, wouldSampleRoot: NEVER } };
    case 'parentbased_traceidratio':
      return { sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }), shape: { parentBased: true, wouldSampleRoot: undefined } };
    case 'rate_limited': {
      const root = new RateLimitingSampler(perSecond);
      return { sampler: root, shape: { parentBased: false, wouldSampleRoot: (now) => root.wouldSample(now) } };
    }
    case 'parentbased_rate_limited': {
      const root = new RateLimitingSampler(perSecond);
      return { sampler: new ParentBasedSampler({ root }), shape: { parentBased: true, wouldSampleRoot: (now) => root.wouldSample(now) } };
    }
    default:
      return { sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }), shape: { parentBased: true, wouldSampleRoot: ALWAYS } };
  }
}
