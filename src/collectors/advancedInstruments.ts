import { requireArray, requireFiniteAbove, requireFunction, requireIntRange, requireNumber } from '../internal/configCheck.js';
import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, type MetricData } from '@opentelemetry/sdk-metrics';
import { ConfigurationError } from '../errors/MonitoringError.js';
import { ExponentialHistogramSeries } from './ExponentialHistogramSeries.js';
import { ForwardDecayReservoir, type ReservoirSnapshot } from './ForwardDecayReservoir.js';
import { bindSeries } from './handles.js';
import { HyperLogLog } from './HyperLogLog.js';
import { InstrumentFamily, gaugeData } from './InstrumentFamily.js';
import type { Labels, MetricStore } from './MetricStore.js';
import { SlidingWindowQuantiles } from './SlidingWindowQuantiles.js';

/** Something that takes numbers and says whether it kept them. */
interface NumberSink {
  record(value: number): boolean;
}

/**
 * A series of an advanced instrument bound to one label set: `record` goes straight to the series;
 * a value it refuses (NaN, ±Infinity) is dropped and counted.
 */
export class BoundRecorder<S extends NumberSink> {
  /** @internal */
  constructor(
    readonly series: S,
    private readonly _family: InstrumentFamily<S & ExportedSeries>,
  ) {}

  record(value: number): void {
    if (!this.series.record(value)) this._family.store.drop('non_finite', `${this._family.kind} "${this._family.name}" got ${value}`);
  }
}

type ExportedSeries = { readonly attributes: Attributes; readonly startTime: HrTime };

/** The part every advanced instrument handle shares: record with labels, bind, read a series. */
abstract class RecordingMetric<S extends NumberSink & ExportedSeries> {
  /** @internal */
  constructor(protected readonly _family: InstrumentFamily<S>) {}

  get name(): string {
    return this._family.name;
  }

  record(value: number, labels?: Labels): void {
    const s = this._family.get(labels);
    if (s !== null && !s.record(value)) this._family.store.drop('non_finite', `${this._family.kind} "${this._family.name}" got ${value}`);
  }

  bind(labels?: Labels): BoundRecorder<S> {
    return new BoundRecorder(bindSeries(this._family, labels), this._family);
  }

  /** The series for exactly these labels, when it has been recorded. */
  series(labels?: Labels): S | undefined {
    return findSeries(this._family, labels);
  }
}

function findSeries<S extends ExportedSeries>(family: InstrumentFamily<S>, labels: Labels | undefined): S | undefined {
  const want = labels ?? {};
  const keys = Object.keys(want);
  return family.all().find((s) => {
    const attrs = s.attributes;
    if (Object.keys(attrs).length !== keys.length) return false;
    for (const k of keys) if (attrs[k] !== String(want[k])) return false;
    return true;
  });
}

/** Options of `MemoryCollector.exponentialHistogram`. */
export interface ExponentialHistogramOptions {
  description?: string;
  unit?: string;
  /** Buckets per sign (OTel's `maxSize`), at least 2. Default 160. */
  maxSize?: number;
  /** Starting (finest) scale, -10..20. Default 20; the histogram downscales as values spread. */
  maxScale?: number;
}

/**
 * A base-2 exponential histogram: buckets that adapt to the data's range at a fixed count, exported
 * as OTel `EXPONENTIAL_HISTOGRAM` points (OTLP's native type; Prometheus 2.40+ native histograms).
 *
 * @example
 * const h = collector.exponentialHistogram('payload_bytes', { maxSize: 160 });
 * h.record(5120, { route: '/upload' });
 * h.series({ route: '/upload' })?.quantile(0.99);
 */
export class ExponentialHistogramMetric extends RecordingMetric<ExponentialHistogramSeries> {}

/** @internal */
export function createExponentialHistogram(store: MetricStore, name: string, options: ExponentialHistogramOptions): ExponentialHistogramMetric {
  const maxSize = options.maxSize ?? 160;
  const maxScale = options.maxScale ?? 20;
  requireIntRange('maxSize', maxSize, 2, 16_384);
  requireIntRange('maxScale', maxScale, -10, 20);
  const family = new InstrumentFamily<ExponentialHistogramSeries>(
    name,
    'exponential_histogram',
    options.description ?? '',
    options.unit ?? '',
    store,
    (attributes, start) => new ExponentialHistogramSeries(attributes, start, maxSize, maxScale),
    (fam, now): MetricData[] => [
      {
        descriptor: { name: fam.name, description: fam.description, unit: fam.unit, valueType: ValueType.DOUBLE },
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.EXPONENTIAL_HISTOGRAM,
        dataPoints: fam.all().map((s) => ({
          attributes: s.attributes,
          startTime: s.startTime,
          endTime: now,
          value: {
            count: s.count,
            sum: s.sum,
            scale: s.scale,
            zeroCount: s.zeroCount,
            positive: s.positiveBuckets(),
            negative: s.negativeBuckets(),
            ...(s.count > 0 ? { min: s.min, max: s.max } : {}),
          },
        })),
      },
    ],
  );
  store.addInstrument(family);
  return new ExponentialHistogramMetric(family);
}

/** Options of `MemoryCollector.summary`. */
export interface SummaryOptions {
  description?: string;
  unit?: string;
  /** Length of the sliding window in seconds. Default 60. */
  maxAgeSeconds?: number;
  /** Rotating buckets the window is split into (more: smoother ageing, more memory). Default 5. */
  ageBuckets?: number;
  /** Quantiles exported as `<name>_p50`-style gauges. Default [0.5, 0.9, 0.99]. */
  quantiles?: readonly number[];
}

/**
 * A summary over a sliding time window: percentiles, count and mean of the last `maxAgeSeconds`.
 * Exported as gauges: `<name>_p50`, `<name>_p99`, ... (one per quantile), `<name>_window_observations`
 * and `<name>_window_mean`.
 *
 * @example
 * const s = collector.summary('checkout_seconds', { maxAgeSeconds: 300, ageBuckets: 5 });
 * s.record(0.42);
 * s.series()?.quantile(0.99);
 */
export class SummaryMetric extends RecordingMetric<SlidingWindowQuantiles> {}

/** @internal */
export function createSummary(store: MetricStore, name: string, options: SummaryOptions): SummaryMetric {
  const maxAge = options.maxAgeSeconds ?? 60;
  const ageBuckets = options.ageBuckets ?? 5;
  const quantiles = checkQuantiles(options.quantiles ?? [0.5, 0.9, 0.99]);
  requireFiniteAbove('maxAgeSeconds', maxAge, 0, 'a finite number of seconds > 0');
  requireIntRange('ageBuckets', ageBuckets, 1, 1000);
  const suffixes = quantileSuffixes(name, quantiles, store);
  const family = new InstrumentFamily<SlidingWindowQuantiles>(
    name,
    'summary',
    options.description ?? '',
    options.unit ?? '',
    store,
    (attributes, start) => new SlidingWindowQuantiles(attributes, start, maxAge, ageBuckets),
    (fam, now) => {
      const perQuantile = quantiles.map(() => [] as Point[]);
      const counts: Point[] = [];
      const means: Point[] = [];
      for (const s of fam.all()) {
        const values = s.quantiles(quantiles);
        for (let i = 0; i < quantiles.length; i++) {
          if (!Number.isNaN(values[i]!)) perQuantile[i]!.push({ attributes: s.attributes, startTime: s.startTime, value: values[i]! });
        }
        const n = s.count();
        counts.push({ attributes: s.attributes, startTime: s.startTime, value: n });
        if (n > 0) means.push({ attributes: s.attributes, startTime: s.startTime, value: s.sum() / n });
      }
      return [
        ...quantiles.map((q, i) => gaugeData(`${fam.name}_${suffixes[i]!}`, `${quantileText(q)} of ${fam.name} over the last ${maxAge} s.`, fam.unit, perQuantile[i]!, now)),
        gaugeData(`${fam.name}_window_observations`, `Values of ${fam.name} recorded in the last ${maxAge} s.`, '', counts, now),
        gaugeData(`${fam.name}_window_mean`, `Mean of ${fam.name} over the last ${maxAge} s.`, fam.unit, means, now),
      ];
    },
  );
  store.addInstrument(family);
  return new SummaryMetric(family);
}

/** Options of `MemoryCollector.reservoir`. */
export interface ReservoirOptions {
  description?: string;
  unit?: string;
  /** Samples kept. Default 1028 (Dropwizard's). */
  size?: number;
  /** Decay factor per second. Default 0.015 (Dropwizard's: weight halves every ~46 s). */
  alpha?: number;
  /** Samples weighing less than this fraction of a fresh one are left out of reads. Default 0.01. */
  minWeight?: number;
  /** Quantiles exported as `<name>_p50`-style gauges. Default [0.5, 0.75, 0.95, 0.99]. */
  quantiles?: readonly number[];
  /** Source of uniform randoms in [0, 1), for reproducible tests. Default Math.random. */
  random?: () => number;
}

/**
 * A forward-decaying reservoir per label set: quantiles biased towards the last few minutes that
 * empty out while idle. Exported as gauges `<name>_p50`, ... and `<name>_decayed_observations`.
 *
 * @example
 * const r = collector.reservoir('render_ms');
 * r.record(18.5);
 * r.snapshot()?.quantile(0.95);
 */
export class ReservoirMetric extends RecordingMetric<ForwardDecayReservoir> {
  /** The weighted snapshot of the series for `labels`, when it has been recorded. */
  snapshot(labels?: Labels): ReservoirSnapshot | undefined {
    return this.series(labels)?.snapshot();
  }
}

/** @internal */
export function createReservoir(store: MetricStore, name: string, options: ReservoirOptions): ReservoirMetric {
  const size = options.size ?? 1028;
  const alpha = options.alpha ?? 0.015;
  const minWeight = options.minWeight ?? 0.01;
  const random = options.random ?? Math.random;
  const quantiles = checkQuantiles(options.quantiles ?? [0.5, 0.75, 0.95, 0.99]);
  requireIntRange('size', size, 1, 1_000_000);
  requireFiniteAbove('alpha', alpha);
  requireNumber('minWeight', minWeight, { above: 0, below: 1 }, 'a number between 0 and 1 (exclusive)');
  requireFunction('random', random, 'a function returning numbers in [0, 1)');
  const suffixes = quantileSuffixes(name, quantiles, store);
  const family = new InstrumentFamily<ForwardDecayReservoir>(
    name,
    'reservoir',
    options.description ?? '',
    options.unit ?? '',
    store,
    (attributes, start) => new ForwardDecayReservoir(attributes, start, size, alpha, minWeight, random),
    (fam, now) => {
      const perQuantile = quantiles.map(() => [] as Point[]);
      const counts: Point[] = [];
      for (const s of fam.all()) {
        const snap = s.snapshot();
        if (snap.size > 0) {
          for (let i = 0; i < quantiles.length; i++) perQuantile[i]!.push({ attributes: s.attributes, startTime: s.startTime, value: snap.quantile(quantiles[i]!) });
        }
        counts.push({ attributes: s.attributes, startTime: s.startTime, value: s.decayedCount() });
      }
      return [
        ...quantiles.map((q, i) => gaugeData(`${fam.name}_${suffixes[i]!}`, `${quantileText(q)} of ${fam.name}, forward-decayed (recent values weigh more).`, fam.unit, perQuantile[i]!, now)),
        gaugeData(`${fam.name}_decayed_observations`, `Forward-decayed number of ${fam.name} records.`, '', counts, now),
      ];
    },
  );
  store.addInstrument(family);
  return new ReservoirMetric(family);
}

/** Options of `MemoryCollector.hyperLogLog`. */
export interface HyperLogLogOptions {
  description?: string;
  /** log2 of the register count, 4..18. Default 14 (Redis' choice: 16 KiB, standard error 0.81%). */
  precision?: number;
}

/** A HyperLogLog series bound to one label set. */
export class BoundHyperLogLog {
  /** @internal */
  constructor(
    readonly series: HyperLogLog,
    private readonly _family: InstrumentFamily<HyperLogLog>,
  ) {}

  add(value: string | number): void {
    if (!this.series.add(value)) this._family.store.drop('invalid_value', `hyperloglog "${this._family.name}" got a ${typeof value}`);
  }
}

/**
 * Distinct-element counts (unique users, distinct IPs) per label set in constant memory, exported
 * as a gauge of the estimate. Call `reset()` at the start of each period for per-period counts.
 *
 * @example
 * const users = collector.hyperLogLog('unique_users', { precision: 14 });
 * users.add(userId, { plan: 'pro' });
 * users.count({ plan: 'pro' });
 */
export class HyperLogLogMetric {
  /** @internal */
  constructor(private readonly _family: InstrumentFamily<HyperLogLog>) {}

  get name(): string {
    return this._family.name;
  }

  add(value: string | number, labels?: Labels): void {
    const s = this._family.get(labels);
    if (s !== null && !s.add(value)) this._family.store.drop('invalid_value', `hyperloglog "${this._family.name}" got a ${typeof value}`);
  }

  bind(labels?: Labels): BoundHyperLogLog {
    return new BoundHyperLogLog(bindSeries(this._family, labels), this._family);
  }

  /** Estimated distinct elements for exactly these labels (0 when never recorded). */
  count(labels?: Labels): number {
    return findSeries(this._family, labels)?.count() ?? 0;
  }

  /** The sketch for exactly these labels, to merge or inspect. */
  series(labels?: Labels): HyperLogLog | undefined {
    return findSeries(this._family, labels);
  }

  /** Forgets every element of every label set (start of a new period). */
  reset(): void {
    for (const s of this._family.all()) s.reset();
  }
}

/** @internal */
export function createHyperLogLog(store: MetricStore, name: string, options: HyperLogLogOptions): HyperLogLogMetric {
  const precision = options.precision ?? 14;
  requireIntRange('precision', precision, 4, 18);
  const family = new InstrumentFamily<HyperLogLog>(
    name,
    'hyperloglog',
    options.description ?? '',
    // A count of distinct elements: no unit. (Unit "1" means a ratio to Prometheus: `_ratio`.)
    '',
    store,
    (attributes, start) => new HyperLogLog(attributes, start, precision),
    (fam, now) => [gaugeData(fam.name, fam.description, fam.unit, fam.all().map((s) => ({ attributes: s.attributes, startTime: s.startTime, value: s.count() })), now)],
  );
  store.addInstrument(family);
  return new HyperLogLogMetric(family);
}

function checkQuantiles(qs: readonly number[]): readonly number[] {
  requireArray('quantiles', qs, 'a non-empty array of numbers in [0, 1]', (q) => typeof q === 'number' && q >= 0 && q <= 1, 1);
  return Object.freeze([...qs]);
}

type Point = { attributes: Attributes; startTime: HrTime; value: number };

/** `p50`, `p99`, `p99_9`: the metric-name suffix of a quantile. */
function quantileSuffix(q: number): string {
  return `p${String(Number((q * 100).toPrecision(12))).replace('.', '_')}`;
}

function quantileText(q: number): string {
  return `${Number((q * 100).toPrecision(12))}th percentile`;
}

/**
 * The suffixes of an instrument's quantile gauges, checked against names already taken. Quantiles
 * are exported as one gauge per quantile (`<name>_p99`) rather than a `quantile` label: OTel JS has
 * no summary data type, and Prometheus' linter rejects a `quantile` label on gauges.
 */
function quantileSuffixes(name: string, qs: readonly number[], store: MetricStore): string[] {
  const out = qs.map(quantileSuffix);
  for (const suffix of out) {
    if (store.families.has(`${name}_${suffix}`) || store.instruments.has(`${name}_${suffix}`)) {
      throw new ConfigurationError(`metric ${name}`, `${name}_${suffix}`, 'names not used by another metric');
    }
  }
  return out;
}
