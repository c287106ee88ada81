import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import type { MonitoringSettings } from '../config/MonitoringSettings.js';
import { RateLimitingSampler } from './RateLimitingSampler.js';

/**
 * The sampler named by `settings.tracesSampler` (`OTEL_TRACES_SAMPLER`), with
 * `settings.tracesSamplerArg` as the ratio (default 1) or traces per second (default 100).
 */
export function createSampler(settings: Pick<MonitoringSettings, 'tracesSampler' | 'tracesSamplerArg'>): Sampler {
  const ratio = settings.tracesSamplerArg ?? 1;
  const perSecond = settings.tracesSamplerArg ?? 100;
  switch (settings.tracesSampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    case 'rate_limited':
      return new RateLimitingSampler(perSecond);
    case 'parentbased_rate_limited':
      return new ParentBasedSampler({ root: new RateLimitingSampler(perSecond) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}
