import type { Attributes, HrTime } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import { ConfigurationError, InvalidRecordError } from '../errors/MonitoringError.js';
import { reportOnce } from '../internal/report.js';
import { HistogramSeries, ValueSeries } from './series.js';

/** Label values as the seed passes them: a flat object of strings, numbers or booleans. */
export type Labels = Readonly<Record<string, string | number | boolean>>;

export type MetricKind = 'counter' | 'updowncounter' | 'gauge' | 'histogram';

/** Per-metric options, fixed the first time a metric is declared or recorded. */
export interface MetricOptions {
  description?: string;
  /** UCUM unit (`s`, `ms`, `By`, `1`); inferred from a `_seconds`, `_ms` or `_bytes` suffix when absent. */
  unit?: string;
  /** Histogram bucket upper bounds, strictly increasing. */
  buckets?: readonly number[];
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
/** The self-metric counting what was dropped, by reason. */
export const DROPPED_METRIC = 'service_infrastructure_records_dropped_total';

export type Series = ValueSeries | HistogramSeries;

export interface MetricStoreOptions {
  maxCardinality?: number;
  strict?: boolean;
  /** Keep a DDSketch per histogram series for accurate percentiles. Default true. */
  sketches?: boolean;
}

/** @internal A metric and its series. */
export class MetricFamily<S extends Series = Series> {
  /** Raw label key (in the caller's key order) to series; several raw keys may alias one series. */
  readonly series = new Map<string, S>();
  /** Canonical (sorted) label key to series: one entry per distinct label set. */
  readonly canonical = new Map<string, S>();
  overflow: S | null = null;
  unlabelled: S | null = null;

  constructor(
    readonly name: string,
    readonly kind: MetricKind,
    readonly description: string,
    readonly unit: string,
    readonly boundaries: Float64Array,
    private readonly _store: MetricStore,
  ) {}

  /** The series for `labels`, created on first use; null when the labels are invalid (counted). */
  get(labels: Labels | undefined): S | null {
    if (labels === undefined) return this.unlabelled ?? this._create(undefined, '');
    let key = '';
    for (const k in labels) key += k + '\u0000' + labels[k] + '\u0001';
    if (key === '') return this.unlabelled ?? this._create(undefined, '');
    return this.series.get(key) ?? this._create(labels, key);
  }

  private _create(labels: Labels | undefined, rawKey: string): S | null {
    const store = this._store;
    let canonicalKey = '';
    let attributes: Attributes = {};
    if (labels !== undefined) {
      const names = Object.keys(labels).sort();
      const attrs: Record<string, string> = {};
      for (const n of names) {
        if (!LABEL_NAME.test(n) || n.startsWith('__')) {
          store.drop('invalid_label', `metric "${this.name}" label name ${JSON.stringify(n)} is not a valid Prometheus label name`);
          return null;
        }
        const v = labels[n];
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
          store.drop('invalid_label', `metric "${this.name}" label "${n}" has a ${typeof v} value`);
          return null;
        }
        attrs[n] = String(v);
        canonicalKey += n + '\u0000' + attrs[n] + '\u0001';
      }
      attributes = Object.freeze(attrs);
    }
    let series = this.canonical.get(canonicalKey);
    if (series === undefined) {
      if (this.canonical.size >= store.maxCardinality) {
        store.drop('cardinality_overflow', `metric "${this.name}" reached ${store.maxCardinality} label sets; further ones go to the overflow series`, false);
        series = this.overflow ??= this._make(Object.freeze({ 'otel.metric.overflow': true }));
        if (rawKey !== '' && this.series.size < store.maxCardinality * 4) this.series.set(rawKey, series);
        return series;
      }
      series = this._make(attributes);
      this.canonical.set(canonicalKey, series);
    }
    if (rawKey === '') this.unlabelled = series;
    else if (this.series.size < store.maxCardinality * 4) this.series.set(rawKey, series);
    return series;
  }

  private _make(attributes: Attributes): S {
    const start = hrTime();
    return (this.kind === 'histogram'
      ? new HistogramSeries(attributes, start, this.boundaries, this._store.sketches)
      : new ValueSeries(attributes, start)) as S;
  }

  /** Every distinct series, overflow last. */
  all(): S[] {
    const out = [...this.canonical.values()];
    if (this.overflow !== null) out.push(this.overflow);
    return out;
  }
}

/**
 * @internal The in-memory cells behind `MemoryCollector`: metric families keyed by name, each with
 * bounded label sets. Pure data, no OTel SDK and no I/O; `CellMetricProducer` turns it into OTel
 * metric data for every reader.
 */
export class MetricStore {
  readonly families = new Map<string, MetricFamily>();
  readonly maxCardinality: number;
  readonly strict: boolean;
  readonly sketches: boolean;
  readonly startTime: HrTime = hrTime();
  private readonly _invalid = new Map<string, string>();
  private readonly _dropped: MetricFamily<ValueSeries>;

  constructor(options: MetricStoreOptions = {}) {
    const max = options.maxCardinality ?? 2000;
    if (!Number.isInteger(max) || max < 1) throw new ConfigurationError('maxCardinality', max, 'a positive integer');
    this.maxCardinality = max;
    this.strict = options.strict ?? false;
    this.sketches = options.sketches ?? true;
    this._dropped = this._make(DROPPED_METRIC, 'counter', {
      description: 'Records the SDK dropped instead of throwing into the application, by reason.',
      unit: '1',
    }) as MetricFamily<ValueSeries>;
  }

  /**
   * Declares a metric with options, or returns the existing one. Throws at setup when the name,
   * kind or buckets are invalid: declaring is configuration, unlike recording.
   */
  declare(name: string, kind: MetricKind, options: MetricOptions = {}): MetricFamily {
    const existing = this.families.get(name);
    if (existing !== undefined) {
      if (existing.kind !== kind) throw new ConfigurationError(`metric ${name}`, kind, `${existing.kind}, as first declared`);
      return existing;
    }
    if (typeof name !== 'string' || !METRIC_NAME.test(name)) throw new ConfigurationError('metric name', name, 'a metric name ([a-zA-Z_:][a-zA-Z0-9_:.]*)');
    if (options.buckets !== undefined) validateBuckets(options.buckets);
    return this._make(name, kind, options);
  }

  /** The family for a record call, created with defaults on first use; null (counted) when unusable. */
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
    if (this.families.size >= MAX_METRICS) {
      this.drop('too_many_metrics', `more than ${MAX_METRICS} metrics; "${name}" was dropped`);
      return null;
    }
    return this._make(name, kind, {});
  }

  /** Counts a dropped record under `reason` and reports it once; in strict mode throws instead. */
  drop(reason: string, message: string, strictThrows = true): void {
    if (this.strict && strictThrows) throw new InvalidRecordError(reason, message);
    const series = this._dropped.get({ reason });
    if (series !== null) series.add(1);
    if (message !== '') reportOnce(`drop:${reason}:${message}`, message);
  }

  /** How many records were dropped, per reason. */
  droppedCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this._dropped.all()) out[String(s.attributes['reason'])] = s.value;
    return out;
  }

  private _make(name: string, kind: MetricKind, options: MetricOptions): MetricFamily {
    const unit = options.unit ?? inferUnit(name);
    const buckets = options.buckets ?? (unit === 's' ? SECONDS_BUCKETS : DEFAULT_BUCKETS);
    const fam = new MetricFamily(name, kind, options.description ?? '', unit, Float64Array.from(buckets), this);
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

function validateBuckets(buckets: readonly number[]): void {
  if (!Array.isArray(buckets) || buckets.length === 0) throw new ConfigurationError('buckets', buckets, 'a non-empty array of numbers');
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i]!;
    if (typeof b !== 'number' || !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!)) {
      throw new ConfigurationError('buckets', buckets, 'finite numbers in strictly increasing order');
    }
  }
}
