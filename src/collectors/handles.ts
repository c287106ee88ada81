import { ConfigurationError } from '../errors/MonitoringError.js';
import type { HistogramFamily, Labels, MetricStore, SeriesIndex, ValueFamily } from './MetricStore.js';
import type { HistogramSeries, ValueSeries } from './series.js';

/**
 * Resolves the series a bound handle will write to. Binding is setup, so labels that recording
 * would drop (bad names, non-scalar values) throw here, naming the metric and the labels.
 * @internal
 */
export function bindSeries<S>(family: SeriesIndex<S>, labels: Labels | undefined): S {
  const series = family.get(labels);
  if (series === null) {
    throw new ConfigurationError(`labels of metric ${family.name}`, labels, 'Prometheus label names with string, number or boolean values');
  }
  return series;
}

/**
 * A counter series bound to one label set: `add` is a bounds check and two field writes, with no
 * label lookup and no allocation (≈1 ns; OTel's `counter.add` with three attributes costs ~1 µs).
 *
 * @example
 * const hits = collector.counter('cache_hits_total').bind({ cache: 'users' });
 * hits.inc();
 */
export class BoundCounter {
  /** @internal */
  constructor(
    private readonly _series: ValueSeries,
    private readonly _store: MetricStore,
    private readonly _name: string,
  ) {}

  /** Adds a finite, non-negative number (default 1); anything else is dropped and counted. */
  add(value = 1): void {
    if (typeof value === 'number' && value >= 0 && value !== Infinity) {
      const s = this._series;
      s.value += value;
      s.updates++;
    } else {
      dropBadIncrement(this._store, this._name, value);
    }
  }

  inc(): void {
    const s = this._series;
    s.value++;
    s.updates++;
  }

  /** The current value. */
  get value(): number {
    return this._series.value;
  }
}

/** A gauge or up-down counter series bound to one label set. */
export class BoundGauge {
  /** @internal */
  constructor(
    private readonly _series: ValueSeries,
    private readonly _store: MetricStore,
    private readonly _name: string,
  ) {}

  set(value: number): void {
    if (typeof value === 'number' && value - value === 0) {
      const s = this._series;
      s.value = value;
      s.updates++;
    } else dropBadValue(this._store, 'gauge', this._name, value);
  }

  /** Adds a finite delta (either sign): in-flight requests, queue depth. */
  add(delta: number): void {
    if (typeof delta === 'number' && delta - delta === 0) {
      const s = this._series;
      s.value += delta;
      s.updates++;
    } else dropBadValue(this._store, 'gauge', this._name, delta);
  }

  get value(): number {
    return this._series.value;
  }
}

/**
 * A histogram series bound to one label set: `record` is a finiteness check, a binary search over
 * the boundaries and, with detailed metrics, a DDSketch insert; no allocation.
 *
 * @example
 * const latency = collector.histogram('db_query_seconds', { buckets: exponentialBuckets(0.001, 2, 12) })
 *   .bind({ table: 'orders' });
 * latency.record(0.0042);
 */
export class BoundHistogram {
  /** @internal */
  constructor(
    private readonly _series: HistogramSeries,
    private readonly _store: MetricStore,
    private readonly _name: string,
  ) {}

  record(value: number): void {
    // v - v is 0 for finite numbers and NaN for NaN and ±Infinity: one check for both. The typeof
    // check keeps strings out ('5' - '5' is 0 too, and '5' + 1 is '51').
    if (typeof value === 'number' && value - value === 0) this._series.record(value);
    else dropBadValue(this._store, 'histogram', this._name, value);
  }

  /**
   * Records `value` and keeps it as its bucket's exemplar, linked to a sampled span (OpenMetrics
   * `# {trace_id=...}` and OTLP exemplars). `timeMs` is the wall-clock time of the record, when
   * the caller has it already (a span's end time); default `Date.now()`.
   *
   * @example
   * const sc = span.spanContext();
   * latency.recordWithExemplar(0.042, sc.traceId, sc.spanId);
   */
  recordWithExemplar(value: number, traceId: string, spanId: string, timeMs?: number): void {
    if (typeof value === 'number' && value - value === 0) this._series.recordWithExemplar(value, traceId, spanId, timeMs);
    else dropBadValue(this._store, 'histogram', this._name, value);
  }
}

/**
 * A counter declared once, for repeated use: `add(value, labels)` skips the by-name lookup of
 * `incrementCounter`, and `bind(labels)` returns a handle with no lookup at all.
 *
 * @example
 * const requests = collector.counter('http_requests_total', { description: 'Requests served.' });
 * requests.add(1, { method: 'GET', route: '/users', status: 200 });
 * const ok = requests.bind({ method: 'GET', route: '/users', status: 200 });
 * ok.inc();
 */
export class CounterMetric {
  /** @internal */
  constructor(
    private readonly _family: ValueFamily,
    private readonly _store: MetricStore,
  ) {}

  get name(): string {
    return this._family.name;
  }

  add(value = 1, labels?: Labels): void {
    if (typeof value === 'number' && value >= 0 && value !== Infinity) this._family.get(labels)?.add(value);
    else dropBadIncrement(this._store, this._family.name, value);
  }

  /** A handle for one label set; throws `ConfigurationError` when the labels are invalid (binding is setup). */
  bind(labels?: Labels): BoundCounter {
    return new BoundCounter(bindSeries(this._family, labels), this._store, this._family.name);
  }

  /**
   * A handle for one label set, for label values that arrive at run time: invalid labels are
   * dropped and counted like a record's, and the result is undefined instead of a throw.
   */
  tryBind(labels?: Labels): BoundCounter | undefined {
    const series = this._family.get(labels);
    return series === null ? undefined : new BoundCounter(series, this._store, this._family.name);
  }
}

/** A gauge (or up-down counter) declared once; see `CounterMetric`. */
export class GaugeMetric {
  /** @internal */
  constructor(
    private readonly _family: ValueFamily,
    private readonly _store: MetricStore,
  ) {}

  get name(): string {
    return this._family.name;
  }

  set(value: number, labels?: Labels): void {
    if (typeof value === 'number' && value - value === 0) this._family.get(labels)?.set(value);
    else dropBadValue(this._store, 'gauge', this._family.name, value);
  }

  add(delta: number, labels?: Labels): void {
    if (typeof delta === 'number' && delta - delta === 0) this._family.get(labels)?.add(delta);
    else dropBadValue(this._store, 'gauge', this._family.name, delta);
  }

  /** A handle for one label set; throws `ConfigurationError` when the labels are invalid (binding is setup). */
  bind(labels?: Labels): BoundGauge {
    return new BoundGauge(bindSeries(this._family, labels), this._store, this._family.name);
  }

  /** As `bind`, but invalid labels are dropped and counted and the result is undefined; see `CounterMetric.tryBind`. */
  tryBind(labels?: Labels): BoundGauge | undefined {
    const series = this._family.get(labels);
    return series === null ? undefined : new BoundGauge(series, this._store, this._family.name);
  }
}

/** A histogram declared once with its buckets and sampling; see `CounterMetric`. */
export class HistogramMetric {
  /** @internal */
  constructor(
    private readonly _family: HistogramFamily,
    private readonly _store: MetricStore,
  ) {}

  get name(): string {
    return this._family.name;
  }

  /** The bucket upper bounds in use. */
  get boundaries(): readonly number[] {
    return Array.from(this._family.boundaries);
  }

  record(value: number, labels?: Labels): void {
    if (typeof value === 'number' && value - value === 0) this._family.get(labels)?.record(value);
    else dropBadValue(this._store, 'histogram', this._family.name, value);
  }

  /** A handle for one label set; throws `ConfigurationError` when the labels are invalid (binding is setup). */
  bind(labels?: Labels): BoundHistogram {
    return new BoundHistogram(bindSeries(this._family, labels), this._store, this._family.name);
  }

  /** As `bind`, but invalid labels are dropped and counted and the result is undefined; see `CounterMetric.tryBind`. */
  tryBind(labels?: Labels): BoundHistogram | undefined {
    const series = this._family.get(labels);
    return series === null ? undefined : new BoundHistogram(series, this._store, this._family.name);
  }
}

/**
 * @internal Counts a value that is not a finite number: `not_a_number` for strings, bigints,
 * objects and the like (a string would otherwise concatenate: '5' + 1 is '51'), `non_finite` for
 * NaN and ±Infinity.
 */
export function dropBadValue(store: MetricStore, kind: string, name: string, value: unknown): void {
  if (typeof value !== 'number') store.drop('not_a_number', `${kind} "${name}" got a ${typeof value} (${describeValue(value)}); only finite numbers are recorded`);
  else store.drop('non_finite', `${kind} "${name}" got ${value}`);
}

/** @internal Like `dropBadValue`, for counter increments (which must also be >= 0). */
export function dropBadIncrement(store: MetricStore, name: string, value: unknown): void {
  if (typeof value === 'number' && value < 0) store.drop('negative_increment', `counter "${name}" got ${value}; counters only go up by finite amounts`);
  else dropBadValue(store, 'counter', name, value);
}

function describeValue(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' ? `${value}n` : String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
