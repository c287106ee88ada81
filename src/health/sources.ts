import { requireMethods, requireNonEmptyString, requireObject } from '../internal/configCheck.js';
import type { HistogramSummary } from '../collectors/MemoryCollector.js';
import type { Labels } from '../collectors/MetricStore.js';

/** What the metric-based checkers read from a `MemoryCollector`. */
export interface CollectorReader {
  getHistogram(name: string, labels?: Labels): HistogramSummary | undefined;
  sumCounter(name: string, match?: Labels): number;
  getGaugeValue(name: string, labels?: Labels): number | undefined;
}

/**
 * A number a checker reads on each run: a metric of the collector (a counter summed over every label
 * set that includes `labels`, or a gauge with exactly `labels`), or a function.
 */
export type ValueSource = { readonly metric: string; readonly labels?: Labels } | (() => number | Promise<number>);

/** @internal Compiles a source once, at setup. */
export function compileSource(
  option: string,
  source: ValueSource | undefined,
  collector: CollectorReader | undefined,
  kind: 'counter' | 'gauge',
): () => number | Promise<number> | undefined {
  if (typeof source === 'function') return source;
  requireObject(option, source, 'a function or { metric, labels? }');
  requireNonEmptyString(`${option}.metric`, source.metric, 'a metric name');
  requireMethods('collector', collector, ['sumCounter'], `a MemoryCollector to read "${source.metric}" from`);
  const { metric, labels } = source;
  return kind === 'counter' ? () => collector.sumCounter(metric, labels) : () => collector.getGaugeValue(metric, labels);
}
