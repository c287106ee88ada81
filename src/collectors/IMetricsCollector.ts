import { createToken } from '../registry/Token.js';
import type { Labels } from './MetricStore.js';

/**
 * What the SDK needs from a metrics collector: the seed's recording API plus timers. Recording
 * never throws (bad input is dropped and counted) unless the collector is in strict mode.
 */
export interface IMetricsCollector {
  incrementCounter(name: string, labels?: Labels, value?: number): void;
  recordGauge(name: string, value: number, labels?: Labels): void;
  recordHistogram(name: string, value: number, labels?: Labels): void;
  /** Starts a timer; the returned function records the elapsed milliseconds and returns them. */
  startTimer(name: string, labels?: Labels): () => number;
  time<T>(name: string, fn: () => T, labels?: Labels): T;
}

/** Registry token for `IMetricsCollector`. */
export const IMetricsCollector = createToken<IMetricsCollector>('IMetricsCollector');
