import type { Attributes, Meter } from '@opentelemetry/api';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { MeterProvider, MetricReader, type ViewOptions } from '@opentelemetry/sdk-metrics';
import { ConfigurationError } from '../errors/MonitoringError.js';
import { reportOnce } from '../internal/report.js';
import {
  createExponentialHistogram,
  createHyperLogLog,
  createReservoir,
  createSummary,
  type ExponentialHistogramMetric,
  type ExponentialHistogramOptions,
  type HyperLogLogMetric,
  type HyperLogLogOptions,
  type ReservoirMetric,
  type ReservoirOptions,
  type SummaryMetric,
  type SummaryOptions,
} from './advancedInstruments.js';
import { CellMetricProducer } from './CellMetricProducer.js';
import { CounterMetric, GaugeMetric, HistogramMetric, dropBadIncrement, dropBadValue } from './handles.js';
import type { IMetricsCollector } from './IMetricsCollector.js';
import { toMetricSnapshots, type MetricSnapshot } from './MetricSnapshot.js';
import { MetricStore, type Labels, type MetricKind, type MetricOptions, type Series } from './MetricStore.js';
import { HistogramSeries, SKETCH_RELATIVE_ACCURACY, ValueSeries } from './series.js';
import { canonicalMetricName } from './metricNames.js';

export interface MemoryCollectorOptions {
  /** Most label sets per metric; more go to one overflow series. Default 2000. */
  maxCardinality?: number;
  /** Throw on bad records instead of dropping and counting them. Default false. */
  strict?: boolean;
  /** Keep a DDSketch per histogram series for percentiles within 1%. Default true. */
  detailed?: boolean;
  /**
   * Create a MeterProvider with this collector as its reader, so it works on its own as in the
   * seed. Default true; `createMonitoring` passes false and adds the collector to its own provider.
   */
  standalone?: boolean;
  /** Resource of the standalone provider. */
  resource?: Resource;
  /**
   * OTel views of the standalone provider, e.g. `exponentialHistogramView('http.server.duration')`
   * to give an OTel instrument base-2 exponential buckets.
   */
  views?: ViewOptions[];
}

/** A histogram series read back: statistics, cumulative buckets and percentiles. */
export interface HistogramSummary {
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** Cumulative counts per upper bound, `Infinity` last (Prometheus `le` semantics). */
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  /** Relative error of the percentiles: 0.01 with a sketch, undefined when interpolated from buckets. */
  readonly relativeError: number | undefined;
  /** Any quantile in 0..1. */
  percentile(q: number): number;
}

const NO_LABELS: Labels = Object.freeze({});

/**
 * In-memory metrics, as in the seed's `MemoryCollector`, and an OTel `MetricReader`.
 *
 * The seed's calls (`incrementCounter`, `recordGauge`, `recordHistogram`, timers) write straight
 * into in-memory cells: a label lookup and an add, no OTel attribute hashing. The cells reach every
 * OTel reader through a `MetricProducer` (`collector.producer`), and whatever OTel instruments of
 * the same MeterProvider record (an instrumentation library's, say) is read back through
 * `collector.read()`, which is OTel's own `collect()`.
 *
 * @example
 * const collector = new MemoryCollector();
 * collector.incrementCounter('requests_total', { endpoint: '/api/v1' });
 * collector.recordGauge('memory_usage_mb', 256.5);
 * collector.recordHistogram('response_time_ms', 45.2);
 * collector.getCounterValue('requests_total', { endpoint: '/api/v1' }); // 1
 * collector.getHistogram('response_time_ms')?.p99;                      // 45.2
 */
export class MemoryCollector extends MetricReader implements IMetricsCollector {
  /** The cells' OTel view; give it to other readers as a `metricProducers` entry. */
  readonly producer: CellMetricProducer;
  /** The provider this collector created when standalone, else undefined. */
  readonly meterProvider: MeterProvider | undefined;
  private readonly _store: MetricStore;
  private _meterSource: { getMeter(name: string, version?: string): Meter } | undefined;

  constructor(options: MemoryCollectorOptions = {}) {
    const store = new MetricStore({
      ...(options.maxCardinality !== undefined ? { maxCardinality: options.maxCardinality } : {}),
      ...(options.strict !== undefined ? { strict: options.strict } : {}),
      sketches: options.detailed ?? true,
    });
    const producer = new CellMetricProducer(store);
    super({ metricProducers: [producer] });
    this._store = store;
    this.producer = producer;
    if (options.standalone ?? true) {
      this.meterProvider = new MeterProvider({
        resource: options.resource ?? resourceFromAttributes({ 'service.name': 'unknown_service:node' }),
        readers: [this],
        ...(options.views !== undefined ? { views: options.views } : {}),
      });
      this._meterSource = this.meterProvider;
    } else {
      this.meterProvider = undefined;
    }
  }

  /** @internal Called by `createMonitoring` with the provider this collector was added to. */
  bindMeterProvider(provider: { getMeter(name: string, version?: string): Meter }): void {
    this._meterSource = provider;
  }

  /** An OTel meter of the provider this collector reads; what it records shows up in `read()`. */
  getMeter(name = 'service-infrastructure', version?: string): Meter {
    if (this._meterSource === undefined) throw new ConfigurationError('meterProvider', undefined, 'a collector attached to a MeterProvider');
    return this._meterSource.getMeter(name, version);
  }

  /** Declares a metric ahead of use, with a description, unit or histogram buckets. Throws on bad options. */
  declare(name: string, kind: MetricKind, options: MetricOptions = {}): void {
    this._store.declare(name, kind, options);
  }

  /**
   * A counter handle: `add(value, labels)` without the by-name lookup, `bind(labels)` for a series
   * handle whose `add` costs a couple of nanoseconds. Declares the counter (options apply the first time).
   */
  counter(name: string, options: Omit<MetricOptions, 'buckets' | 'sampleOneIn'> = {}): CounterMetric {
    return new CounterMetric(this._store.declare(name, 'counter', options), this._store);
  }

  /** An up-down counter handle (`add` takes either sign). */
  upDownCounter(name: string, options: Omit<MetricOptions, 'buckets' | 'sampleOneIn'> = {}): GaugeMetric {
    return new GaugeMetric(this._store.declare(name, 'updowncounter', options), this._store);
  }

  /** A gauge handle (`set`, `bind(labels).set`). */
  gauge(name: string, options: Omit<MetricOptions, 'buckets' | 'sampleOneIn'> = {}): GaugeMetric {
    return new GaugeMetric(this._store.declare(name, 'gauge', options), this._store);
  }

  /**
   * A histogram handle with its own buckets (`buckets`, or `linearBuckets`/`exponentialBuckets`)
   * and optional sampling (`sampleOneIn`). Throws at setup on bad options.
   */
  histogram(name: string, options: MetricOptions = {}): HistogramMetric {
    return new HistogramMetric(this._store.declare(name, 'histogram', options), this._store);
  }

  /** A base-2 exponential histogram (OTel `EXPONENTIAL_HISTOGRAM` on export). Throws if `name` is taken. */
  exponentialHistogram(name: string, options: ExponentialHistogramOptions = {}): ExponentialHistogramMetric {
    return createExponentialHistogram(this._store, name, options);
  }

  /** A summary over a sliding time window. Throws if `name` is taken or options are bad. */
  summary(name: string, options: SummaryOptions = {}): SummaryMetric {
    return createSummary(this._store, name, options);
  }

  /** A forward-decaying reservoir (Dropwizard semantics, decays while idle). Throws if `name` is taken. */
  reservoir(name: string, options: ReservoirOptions = {}): ReservoirMetric {
    return createReservoir(this._store, name, options);
  }

  /** A HyperLogLog distinct counter per label set. Throws if `name` is taken or the precision is bad. */
  hyperLogLog(name: string, options: HyperLogLogOptions = {}): HyperLogLogMetric {
    return createHyperLogLog(this._store, name, options);
  }

  incrementCounter(name: string, labels?: Labels, value = 1): void {
    if (typeof value !== 'number' || !(value >= 0) || value === Infinity) {
      dropBadIncrement(this._store, name, value);
      return;
    }
    const fam = this._store.family(name, 'counter');
    if (fam === null) return;
    fam.get(labels)?.add(value);
  }

  /** Adds a positive or negative delta to an up-down counter (in-flight requests, queue depth). */
  addUpDownCounter(name: string, delta: number, labels?: Labels): void {
    if (!Number.isFinite(delta)) {
      dropBadValue(this._store, 'up-down counter', name, delta);
      return;
    }
    const fam = this._store.family(name, 'updowncounter');
    if (fam === null) return;
    fam.get(labels)?.add(delta);
  }

  recordGauge(name: string, value: number, labels?: Labels): void {
    if (!Number.isFinite(value)) {
      dropBadValue(this._store, 'gauge', name, value);
      return;
    }
    const fam = this._store.family(name, 'gauge');
    if (fam === null) return;
    fam.get(labels)?.set(value);
  }

  recordHistogram(name: string, value: number, labels?: Labels): void {
    if (!Number.isFinite(value)) {
      dropBadValue(this._store, 'histogram', name, value);
      return;
    }
    const fam = this._store.family(name, 'histogram');
    if (fam === null) return;
    fam.get(labels)?.record(value);
  }

  /** Starts a timer; the returned function records the elapsed milliseconds in histogram `name` and returns them. */
  startTimer(name: string, labels?: Labels): () => number {
    const start = performance.now();
    let stopped = -1;
    return () => {
      if (stopped >= 0) return stopped;
      stopped = performance.now() - start;
      this.recordHistogram(name, stopped, labels);
      return stopped;
    };
  }

  /** Runs `fn` and records how long it took (until its promise settles, for async functions). */
  time<T>(name: string, fn: () => T, labels?: Labels): T {
    const stop = this.startTimer(name, labels);
    let result: T;
    try {
      result = fn();
    } catch (err) {
      stop();
      throw err;
    }
    if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
      return (result as unknown as Promise<unknown>).finally(stop) as T;
    }
    stop();
    return result;
  }

  /** A counter's (or up-down counter's) current value for exactly these labels. */
  getCounterValue(name: string, labels: Labels = NO_LABELS): number | undefined {
    const s = this._find(name, labels);
    return s instanceof ValueSeries ? s.value : undefined;
  }

  getGaugeValue(name: string, labels: Labels = NO_LABELS): number | undefined {
    const s = this._find(name, labels);
    return s instanceof ValueSeries && s.updates > 0 ? s.value : undefined;
  }

  getHistogram(name: string, labels: Labels = NO_LABELS): HistogramSummary | undefined {
    const s = this._find(name, labels);
    return s instanceof HistogramSeries && s.count > 0 ? summarize(s) : undefined;
  }

  /** Sum of a counter over every label set that includes `match` (e.g. all routes of one method). */
  sumCounter(name: string, match: Labels = NO_LABELS): number {
    let total = 0;
    for (const s of this._series(name)) if (s instanceof ValueSeries && includes(s.attributes, match)) total += s.value;
    return total;
  }

  /** Every label set recorded for `name` with its value or histogram summary. */
  getSeries(name: string): { labels: Attributes; value?: number; histogram?: HistogramSummary }[] {
    return this._series(name).map((s) =>
      s instanceof HistogramSeries ? { labels: s.attributes, histogram: summarize(s) } : { labels: s.attributes, value: s.value },
    );
  }

  /** Names of the metrics recorded through this collector's own API. */
  metricNames(): string[] {
    return [...this._store.families.keys(), ...this._store.instruments.keys()];
  }

  /** Dropped records by reason (invalid name, non-finite value, negative increment, ...). */
  droppedRecords(): Record<string, number> {
    return this._store.droppedCounts();
  }

  /**
   * The seed's snapshot of the collector's own metrics, synchronously: counters and gauges by name
   * and label key, histograms summarised.
   */
  getSnapshot(): {
    timestamp: number;
    counters: Record<string, { labels: Attributes; value: number }[]>;
    gauges: Record<string, { labels: Attributes; value: number }[]>;
    histograms: Record<string, { labels: Attributes; summary: HistogramSummary }[]>;
  } {
    const snap: ReturnType<MemoryCollector['getSnapshot']> = { timestamp: Date.now(), counters: {}, gauges: {}, histograms: {} };
    for (const fam of this._store.families.values()) {
      if (fam.canonical.size === 0 && fam.overflow === null) continue;
      if (fam.kind === 'histogram') {
        snap.histograms[fam.name] = fam.all().map((s) => ({ labels: s.attributes, summary: summarize(s) }));
      } else {
        const target = fam.kind === 'gauge' ? snap.gauges : snap.counters;
        target[fam.name] = fam.all().map((s) => ({ labels: s.attributes, value: s.value }));
      }
    }
    return snap;
  }

  /**
   * Everything the provider's readers would see right now, as typed snapshots: the collector's
   * cells and every OTel instrument of the same MeterProvider, with labels, values, histogram
   * buckets, exemplars and timestamps. It reads through OTel's own `collect()`, the route the
   * Prometheus endpoint and OTLP export take too, so all three agree.
   *
   * @example
   * for (const m of await collector.read()) {
   *   if (m.kind === 'histogram') for (const s of m.series) console.log(m.name, s.labels, s.histogram.count);
   *   else for (const s of m.series) console.log(m.name, s.labels, s.value);
   * }
   */
  async read(): Promise<MetricSnapshot[]> {
    const { resourceMetrics, errors } = await this.collect();
    for (const err of errors) reportOnce(`read:${String(err)}`, `collecting metrics: ${String(err)}`);
    return toMetricSnapshots(resourceMetrics);
  }

  /** One metric from `read()`, by name. */
  async readMetric(name: string): Promise<MetricSnapshot | undefined> {
    const wanted = canonicalMetricName(name);
    return (await this.read()).find((m) => m.name === wanted);
  }

  protected override async onForceFlush(): Promise<void> {}

  protected override async onShutdown(): Promise<void> {}

  /**
   * Counts a record that instrumentation code built on this collector dropped (a bad duration, a
   * value it cannot use) under `reason` in `service_infrastructure_records_dropped_total`, and
   * reports `message` once through OTel's diag; in strict mode it throws `InvalidRecordError`.
   *
   * @example
   * if (!(ms >= 0)) collector.dropRecord('invalid_duration', `operation "${name}" got ${ms}`);
   */
  dropRecord(reason: string, message: string): void {
    this._store.drop(reason, message);
  }

  /**
   * Counts `count` records the SDK itself gave up (spans an exporter could not deliver) under
   * `reason`, and reports `message` once; never throws, strict or not.
   * @internal
   */
  dropExported(reason: string, count: number, message: string): void {
    this._store.drop(reason, message, false, count);
  }

  private _find(name: string, labels: Labels): Series | undefined {
    return this._store.families.get(canonicalMetricName(name))?.find(labels);
  }

  private _series(name: string): Series[] {
    return this._store.families.get(canonicalMetricName(name))?.all() ?? [];
  }
}

/** Label values compare as strings, as the series key does: `{ status: 200 }` matches a stored `'200'` and `200`. */
function includes(attrs: Attributes, match: Labels): boolean {
  for (const k of Object.keys(match)) {
    const v = attrs[k];
    if (v === undefined || String(v) !== String(match[k])) return false;
  }
  return true;
}

/** @internal */
export function summarize(s: HistogramSeries): HistogramSummary {
  const buckets: { le: number; count: number }[] = [];
  let cum = 0;
  for (let i = 0; i < s.counts.length; i++) {
    cum += s.counts[i]!;
    buckets.push({ le: i < s.boundaries.length ? s.boundaries[i]! : Infinity, count: cum });
  }
  const percentile = (q: number): number => s.quantile(q);
  return {
    count: s.count,
    sum: s.sum,
    min: s.min,
    max: s.max,
    mean: s.count > 0 ? s.sum / s.count : NaN,
    buckets,
    p50: percentile(0.5),
    p90: percentile(0.9),
    p95: percentile(0.95),
    p99: percentile(0.99),
    relativeError: s.sketch !== null ? SKETCH_RELATIVE_ACCURACY : undefined,
    percentile,
  };
}
