import { finiteIncreasing, requireArray, requireFiniteAbove, requireMatch, requireNumber, requirePositiveInt } from '../internal/configCheck.js';
import type { Attributes, HrTime } from '@opentelemetry/api';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import { hrTime } from '@opentelemetry/core';
import { ConfigurationError, InvalidRecordError } from '../errors/MonitoringError.js';
import { reportOnce } from '../internal/report.js';
import { HistogramSeries, ValueSeries } from './series.js';

/** Label values as the seed passes them: a flat object of strings, numbers or booleans. */
export type Labels = Readonly<Record<string, string | number | boolean>>;

export type MetricKind = 'counter' | 'updowncounter' | 'gauge' | 'histogram';
/** The kinds whose series hold one number. */
export type ValueKind = Exclude<MetricKind, 'histogram'>;

/** Per-metric options, fixed the first time a metric is declared or recorded. */
export interface MetricOptions {
  description?: string;
  /** UCUM unit (`s`, `ms`, `By`, `1`); inferred from a `_seconds`, `_ms` or `_bytes` suffix when absent. */
  unit?: string;
  /**
   * Histogram bucket upper bounds, strictly increasing; see `linearBuckets` and `exponentialBuckets`
   * for generated ones.
   */
  buckets?: readonly number[];
  /**
   * Histogram sampling for very hot paths: record one value in N and weight it by N, so counts,
   * sums and bucket counts stay unbiased estimates. Min and max come from the recorded values only.
   * Default 1 (record everything).
   */
  sampleOneIn?: number;
  /**
   * Keep a DDSketch per histogram series for percentiles within 1% (`getHistogram().p99`). Default:
   * the collector's `detailed` setting. Without it percentiles are interpolated from the buckets.
   */
  sketch?: boolean;
}

/**
 * An advanced instrument (sliding-window summary, decaying reservoir, HyperLogLog, exponential
 * histogram) held by the store beside the plain metric families, exported through the same producer.
 * 
 */
export interface StoreInstrument {
  readonly name: string;
  readonly kind: string;
  /** The instrument's current content as OTel metric data (one or more metrics). */
  metricData(now: HrTime): MetricData[];
}

/** Prometheus' default buckets, for metrics in seconds. */
export const SECONDS_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
/** OTel's default explicit buckets, for metrics in milliseconds and anything without a unit. */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000]);

// Dots are allowed so OTel semantic-convention names (`http.server.request.duration`,
// `http.request.method`) can live in the cells; Prometheus output maps `.` to `_`, as OTel's
// Prometheus compatibility spec does.
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:.]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_.]*$/;
const MAX_METRICS = 10_000;
/** Longest label value, in UTF-16 code units; a record with a longer one is dropped and counted. */
export const MAX_LABEL_VALUE_LENGTH = 2048;
/** Longest label name. */
export const MAX_LABEL_NAME_LENGTH = 256;

/**
 * One label's part of a series key. The value is JSON-quoted, so no value (whatever control
 * characters it holds) can end early and make two different label sets share a key; numbers,
 * booleans and strings compare by their text (`200` and `'200'` are one series).
 */
function seriesKeyPart(name: string, value: string | number | boolean): string {
  return name + '=' + JSON.stringify(String(value)) + ',';
}
/** The self-metric counting what was dropped, by reason. */
export const DROPPED_METRIC = 'service_infrastructure.records.dropped';

export type Series = ValueSeries | HistogramSeries;

export interface MetricStoreOptions {
  maxCardinality?: number;
  strict?: boolean;
  /** Keep a DDSketch per histogram series for accurate percentiles. Default true. */
  sketches?: boolean;
}

/**
 * @internal One node of the label trie: for each label name seen at this depth, the value → child
 * map. A lookup walks it with two `Map.get` per label on the caller's own strings, so an unbound
 * record with three labels costs a few tens of nanoseconds and allocates nothing (the previous
 * string-key scheme built a key string on every call).
 */
class LabelNode<S> {
  readonly next = new Map<string, Map<unknown, LabelNode<S>>>();
  series: S | null = null;
}

/**
 * Label sets to series, bounded: at most `maxCardinality` distinct label sets, then one
 * overflow series (OTel's `otel.metric.overflow` rule). Shared by the store's metric families and
 * by the advanced instruments (summaries, reservoirs, HyperLogLog, exponential histograms).
 */
export abstract class SeriesIndex<S> {
  /** Raw label sets (in the callers' key orders and value types) remembered in the lookup trie. */
  remembered = 0;
  /** Canonical (sorted) label key to series: one entry per distinct label set. */
  readonly canonical = new Map<string, S>();
  overflow: S | null = null;
  unlabelled: S | null = null;
  private readonly _root = new LabelNode<S>();

  constructor(
    readonly name: string,
    protected readonly _store: MetricStore,
  ) {}

  /** Makes a new series for a label set the first time it is seen. */
  protected abstract _make(attributes: Attributes): S;

  /** The series for `labels`, created on first use; null when the labels are invalid (counted). */
  get(labels: Labels | undefined): S | null {
    if (labels === undefined) return this.unlabelled ?? this._create(undefined);
    let node: LabelNode<S> | undefined = this._root;
    for (const k in labels) {
      const byValue: Map<unknown, LabelNode<S>> | undefined = node.next.get(k);
      if (byValue === undefined) return this._create(labels);
      node = byValue.get(labels[k]);
      if (node === undefined) return this._create(labels);
    }
    if (node === this._root) return this.unlabelled ?? this._create(undefined);
    return node.series ?? this._create(labels);
  }

  /**
   * The series already recorded for exactly `labels` (any key order; values compared as strings),
   * without creating one: for reads, which must not add label sets.
   */
  find(labels: Labels | undefined): S | undefined {
    let key = '';
    if (labels !== undefined) for (const n of Object.keys(labels).sort()) key += seriesKeyPart(n, labels[n]!);
    return this.canonical.get(key);
  }

  private _create(labels: Labels | undefined): S | null {
    const store = this._store;
    let canonicalKey = '';
    let attributes: Attributes = {};
    if (labels !== undefined) {
      const names = Object.keys(labels).sort();
      // Values keep their type (an OTLP attribute `http.response.status_code` is an int, as the
      // semantic conventions say); the canonical key compares them as strings.
      const attrs: Record<string, string | number | boolean> = {};
      for (const n of names) {
        if (n.length > MAX_LABEL_NAME_LENGTH || !LABEL_NAME.test(n) || n.startsWith('__')) {
          store.drop('invalid_label', `metric "${this.name}" label name ${JSON.stringify(n.length > 60 ? `${n.slice(0, 60)}…` : n)} is not a valid Prometheus label name of at most ${MAX_LABEL_NAME_LENGTH} characters`);
          return null;
        }
        const v = labels[n];
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
          store.drop('invalid_label', `metric "${this.name}" label "${n}" has a ${typeof v} value`);
          return null;
        }
        if (typeof v === 'string' && v.length > MAX_LABEL_VALUE_LENGTH) {
          // A 1 MB value would be kept per series and in the lookup trie, and sent on every scrape
          // and export: the record is dropped and counted, never stored.
          store.drop('label_value_too_long', `metric "${this.name}" label "${n}" has a value of ${v.length} characters (at most ${MAX_LABEL_VALUE_LENGTH})`);
          return null;
        }
        attrs[n] = v;
        canonicalKey += seriesKeyPart(n, v);
      }
      attributes = Object.freeze(attrs);
    }
    let series = this.canonical.get(canonicalKey);
    if (series === undefined) {
      if (this.canonical.size >= store.maxCardinality) {
        store.drop('cardinality_overflow', `metric "${this.name}" reached ${store.maxCardinality} label sets; further ones go to the overflow series`, false);
        series = this.overflow ??= this._make(Object.freeze({ 'otel.metric.overflow': true }));
        this._remember(labels, series);
        return series;
      }
      series = this._make(attributes);
      this.canonical.set(canonicalKey, series);
    }
    this._remember(labels, series);
    return series;
  }

  /** Adds a raw label set to the trie, bounded so hostile label values cannot grow it without limit. */
  private _remember(labels: Labels | undefined, series: S): void {
    let empty = true;
    if (labels !== undefined) for (const _ in labels) {
      empty = false;
      break;
    }
    if (empty) {
      this.unlabelled = series;
      return;
    }
    if (this.remembered >= this._store.maxCardinality * 4) return;
    this.remembered++;
    let node = this._root;
    for (const k in labels) {
      let byValue = node.next.get(k);
      if (byValue === undefined) node.next.set(k, (byValue = new Map()));
      let child = byValue.get(labels[k]);
      if (child === undefined) byValue.set(labels[k], (child = new LabelNode<S>()));
      node = child;
    }
    node.series = series;
  }

  /** Every distinct series, overflow last. */
  all(): S[] {
    const out = [...this.canonical.values()];
    if (this.overflow !== null) out.push(this.overflow);
    return out;
  }
}

/** A counter, up-down counter or gauge and its series. */
export class ValueFamily extends SeriesIndex<ValueSeries> {
  constructor(
    name: string,
    readonly kind: ValueKind,
    readonly description: string,
    readonly unit: string,
    store: MetricStore,
  ) {
    super(name, store);
  }

  protected _make(attributes: Attributes): ValueSeries {
    return new ValueSeries(attributes, hrTime());
  }
}

/** A histogram with fixed bucket boundaries and its series. */
export class HistogramFamily extends SeriesIndex<HistogramSeries> {
  readonly kind = 'histogram' as const;
  /** Histogram sampling: record one value in `sampleEvery`, weighted by it. 1 records everything. */
  sampleEvery = 1;
  /** Histogram series keep a DDSketch (defaults to the store's `sketches`). */
  sketch: boolean;

  constructor(
    name: string,
    readonly description: string,
    readonly unit: string,
    readonly boundaries: Float64Array,
    store: MetricStore,
  ) {
    super(name, store);
    this.sketch = store.sketches;
  }

  protected _make(attributes: Attributes): HistogramSeries {
    return new HistogramSeries(attributes, hrTime(), this.boundaries, this.sketch, this.sampleEvery);
  }
}

/** A metric and its series; `kind` tells which. */
export type MetricFamily = ValueFamily | HistogramFamily;

/**
 * The in-memory cells behind `MemoryCollector`: metric families keyed by name, each with
 * bounded label sets. Pure data, no OTel SDK and no I/O; `CellMetricProducer` turns it into OTel
 * metric data for every reader.
 */
export class MetricStore {
  readonly families = new Map<string, MetricFamily>();
  /** Advanced instruments by name; names are unique across `families` and `instruments`. */
  readonly instruments = new Map<string, StoreInstrument>();
  readonly maxCardinality: number;
  readonly strict: boolean;
  readonly sketches: boolean;
  readonly startTime: HrTime = hrTime();
  private readonly _invalid = new Map<string, string>();
  private readonly _dropped: ValueFamily;

  constructor(options: MetricStoreOptions = {}) {
    const max = options.maxCardinality ?? 2000;
    requirePositiveInt('maxCardinality', max);
    this.maxCardinality = max;
    this.strict = options.strict ?? false;
    this.sketches = options.sketches ?? true;
    this._dropped = this._makeValue(DROPPED_METRIC, 'counter', {
      description: 'Records the SDK dropped instead of throwing into the application, by reason.',
      unit: '{record}',
    });
  }

  /**
   * Declares a metric with options, or returns the existing one. Throws at setup when the name,
   * kind or buckets are invalid: declaring is configuration, unlike recording.
   */
  declare(name: string, kind: 'histogram', options?: MetricOptions): HistogramFamily;
  declare(name: string, kind: ValueKind, options?: MetricOptions): ValueFamily;
  declare(name: string, kind: MetricKind, options?: MetricOptions): MetricFamily;
  declare(name: string, kind: MetricKind, options: MetricOptions = {}): MetricFamily {
    const existing = this.families.get(name);
    if (existing !== undefined) {
      if (existing.kind !== kind) throw new ConfigurationError(`metric ${name}`, kind, `${existing.kind}, as first declared`);
      return existing;
    }
    this.checkNewName(name, kind);
    if (options.buckets !== undefined) validateBuckets(options.buckets);
    if (options.sampleOneIn !== undefined) requirePositiveInt('sampleOneIn', options.sampleOneIn);
    if (kind !== 'histogram') return this._makeValue(name, kind, options);
    const fam = this._makeHistogram(name, options);
    if (options.sampleOneIn !== undefined) fam.sampleEvery = options.sampleOneIn;
    if (options.sketch !== undefined) fam.sketch = options.sketch;
    return fam;
  }

  /** Throws at setup unless `name` is a valid metric name that no metric or instrument uses yet. */
  checkNewName(name: string, kind: string): void {
    requireMatch('metric name', name, METRIC_NAME, 'a metric name ([a-zA-Z_:][a-zA-Z0-9_:.]*)');
    const taken = this.instruments.get(name) ?? this.families.get(name);
    if (taken !== undefined) throw new ConfigurationError(`metric ${name}`, kind, `${taken.kind}, as first declared`);
    if (this.families.size + this.instruments.size >= MAX_METRICS) throw new ConfigurationError('metric count', this.families.size + this.instruments.size, `at most ${MAX_METRICS} metrics`);
  }

  /** Registers an advanced instrument under its (checked) name. */
  addInstrument<I extends StoreInstrument>(instrument: I): I {
    this.checkNewName(instrument.name, instrument.kind);
    this.instruments.set(instrument.name, instrument);
    return instrument;
  }

  /** The family for a record call, created with defaults on first use; null (counted) when unusable. */
  family(name: string, kind: 'histogram'): HistogramFamily | null;
  family(name: string, kind: ValueKind): ValueFamily | null;
  family(name: string, kind: MetricKind): MetricFamily | null {
    const fam = this.families.get(name);
    if (fam !== undefined) {
      if (fam.kind === kind) return fam;
      this.drop('kind_conflict', `metric "${name}" is a ${fam.kind}; a ${kind} record was dropped`);
      return null;
    }
    const known = this._invalid.get(name);
    if (known !== undefined) {
      this.drop(known, '');
      return null;
    }
    if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
      if (this._invalid.size < 10_000) this._invalid.set(String(name), 'invalid_name');
      this.drop('invalid_name', `metric name ${JSON.stringify(name)} is not a valid Prometheus metric name`);
      return null;
    }
    if (this.instruments.has(name)) {
      this.drop('kind_conflict', `metric "${name}" is a ${this.instruments.get(name)!.kind}; a ${kind} record was dropped`);
      return null;
    }
    if (this.families.size >= MAX_METRICS) {
      this.drop('too_many_metrics', `more than ${MAX_METRICS} metrics; "${name}" was dropped`);
      return null;
    }
    return kind === 'histogram' ? this._makeHistogram(name, {}) : this._makeValue(name, kind, {});
  }

  /** Counts a dropped record under `reason` and reports it once; in strict mode throws instead. */
  drop(reason: string, message: string, strictThrows = true, count = 1): void {
    if (this.strict && strictThrows) throw new InvalidRecordError(reason, message);
    const series = this._dropped.get({ reason });
    if (series !== null) series.add(count);
    if (message !== '') reportOnce(`drop:${reason}:${message}`, message);
  }

  /** How many records were dropped, per reason. */
  droppedCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this._dropped.all()) out[String(s.attributes['reason'])] = s.value;
    return out;
  }

  private _makeValue(name: string, kind: ValueKind, options: MetricOptions): ValueFamily {
    const fam = new ValueFamily(name, kind, options.description ?? '', options.unit ?? inferUnit(name), this);
    this.families.set(name, fam);
    return fam;
  }

  private _makeHistogram(name: string, options: MetricOptions): HistogramFamily {
    const unit = options.unit ?? inferUnit(name);
    const buckets = options.buckets ?? (unit === 's' ? SECONDS_BUCKETS : DEFAULT_BUCKETS);
    const fam = new HistogramFamily(name, options.description ?? '', unit, Float64Array.from(buckets), this);
    this.families.set(name, fam);
    return fam;
  }
}

function inferUnit(name: string): string {
  if (name.endsWith('_seconds') || name.endsWith('_seconds_total')) return 's';
  if (name.endsWith('_ms') || name.endsWith('_milliseconds')) return 'ms';
  if (name.endsWith('_bytes') || name.endsWith('_bytes_total')) return 'By';
  return '';
}

/**
 * `count` bucket bounds `start, start + width, ...`, as prom-client's `linearBuckets`.
 * @example linearBuckets(10, 10, 5) // [10, 20, 30, 40, 50]
 */
export function linearBuckets(start: number, width: number, count: number): number[] {
  requireNumber('linearBuckets start', start);
  requireFiniteAbove('linearBuckets width', width);
  requirePositiveInt('linearBuckets count', count);
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(start + i * width);
  return out;
}

/**
 * `count` bucket bounds `start, start * factor, start * factor^2, ...`.
 * @example exponentialBuckets(1, 2, 5) // [1, 2, 4, 8, 16]
 */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  requireFiniteAbove('exponentialBuckets start', start);
  requireFiniteAbove('exponentialBuckets factor', factor, 1);
  requirePositiveInt('exponentialBuckets count', count);
  const out: number[] = [];
  let b = start;
  for (let i = 0; i < count; i++, b *= factor) out.push(b);
  return out;
}

function validateBuckets(buckets: readonly number[]): void {
  requireArray('buckets', buckets, 'a non-empty array of numbers', undefined, 1);
  requireArray('buckets', buckets, 'finite numbers in strictly increasing order', finiteIncreasing);
}
