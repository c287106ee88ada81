import type { MemoryCollector } from '../collectors/MemoryCollector.js';
import type { SeriesReading } from './SampleWindow.js';

/** Where the evaluator reads a metric's series. The default reads a `MemoryCollector`. */
export interface AlertMetricSource {
  /** Every series of `metric` right now (empty when the metric does not exist). */
  read(metric: string): readonly SeriesReading[];
}

/**
 * Reads series through the collector's public API, on the evaluation tick only: recording is not
 * touched at all, so loading rules costs the record path nothing.
 * @internal
 */
export function collectorSource(collector: Pick<MemoryCollector, 'getSeries'>): AlertMetricSource {
  return {
    read(metric: string): SeriesReading[] {
      return collector.getSeries(metric).map((s) => {
        const labels: Record<string, string> = {};
        for (const [k, v] of Object.entries(s.labels)) if (v !== undefined) labels[k] = String(v);
        if (s.histogram !== undefined) {
          return { labels, histogram: { buckets: s.histogram.buckets, count: s.histogram.count, sum: s.histogram.sum } };
        }
        return { labels, value: s.value };
      });
    },
  };
}
