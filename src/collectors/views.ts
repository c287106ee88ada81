import { finiteIncreasing, requireArray, requireIntAtLeast, requireNonEmptyString } from '../internal/configCheck.js';
import { AggregationType, type ViewOptions } from '@opentelemetry/sdk-metrics';

/**
 * An OTel view giving the matching OTel histogram instruments base-2 exponential buckets, so
 * instruments the SDK does not own (an instrumentation library's) get the same adaptive buckets as
 * `MemoryCollector.exponentialHistogram`. Pass it in `MeterProvider`'s (or the standalone
 * collector's) `views`.
 *
 * @example
 * new MemoryCollector({ views: [exponentialHistogramView('http.server.request.duration')] });
 */
export function exponentialHistogramView(instrumentName: string, maxSize = 160): ViewOptions {
  requireNonEmptyString('instrumentName', instrumentName, 'an instrument name or wildcard');
  requireIntAtLeast('maxSize', maxSize, 2, 'an integer >= 2');
  return { instrumentName, aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize, recordMinMax: true } } };
}

/**
 * An OTel view setting explicit bucket boundaries on the matching OTel histogram instruments
 * (use `linearBuckets` / `exponentialBuckets` to generate them).
 *
 * @example
 * new MemoryCollector({ views: [explicitBucketsView('db.query.duration', exponentialBuckets(0.001, 2, 12))] });
 */
export function explicitBucketsView(instrumentName: string, boundaries: readonly number[]): ViewOptions {
  requireNonEmptyString('instrumentName', instrumentName, 'an instrument name or wildcard');
  requireArray('boundaries', boundaries, 'finite numbers in strictly increasing order', finiteIncreasing, 1);
  return { instrumentName, aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [...boundaries], recordMinMax: true } } };
}
