/** Attribute values as the dashboard keeps them: JSON-safe scalars and arrays of them. */
export type AttrValue = string | number | boolean | (string | number | boolean | null)[];
export type Attrs = Record<string, AttrValue>;

/** One ended span, in the form both the in-process and the OTLP paths produce. */
export interface SpanRecord {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  /** OTel SpanKind number (0 internal, 1 server, 2 client, 3 producer, 4 consumer). */
  readonly kind: number;
  readonly service: string;
  readonly scope: string;
  /** Epoch milliseconds (fractional). */
  readonly start: number;
  readonly end: number;
  readonly status: 'unset' | 'ok' | 'error';
  readonly statusMessage: string | undefined;
  readonly attributes: Attrs;
  readonly events: readonly { readonly name: string; readonly time: number; readonly attributes: Attrs }[];
  readonly resource: Attrs;
}

/** The kinds a metric series can have once normalised. */
export type SeriesKind = 'counter' | 'updowncounter' | 'gauge' | 'histogram';

/** A histogram point: cumulative since the series began. */
export interface HistogramPoint {
  readonly count: number;
  readonly sum: number;
  readonly bounds: readonly number[];
  /** Per-bucket (not cumulative) counts, `bounds.length + 1` of them. */
  readonly counts: readonly number[];
}

/** One metric point of one series, as collected or received. */
export interface MetricSample {
  readonly name: string;
  readonly kind: SeriesKind;
  readonly unit: string;
  readonly description: string;
  readonly service: string;
  readonly labels: Record<string, string>;
  /** Epoch milliseconds. */
  readonly time: number;
  /** Cumulative value (counters), or the current value (gauges). */
  readonly value?: number;
  readonly histogram?: HistogramPoint;
  /** True when `value`/`histogram` is a delta since the previous point (OTLP delta temporality). */
  readonly delta?: boolean;
  readonly exemplars?: readonly Exemplar[];
}

export interface Exemplar {
  readonly time: number;
  readonly value: number;
  readonly traceId: string;
  readonly spanId: string;
}

/** A bus event as the dashboard keeps it. */
export interface EventRecord {
  readonly seq: number;
  readonly type: string;
  readonly timestamp: number;
  readonly traceId?: string | undefined;
  readonly data: Record<string, unknown>;
}

/** Turns any attribute-like value into something JSON can carry; drops what it cannot. */
export function toAttrs(input: Record<string, unknown> | undefined): Attrs {
  const out: Attrs = {};
  if (input === undefined || input === null) return out;
  for (const key of Object.keys(input)) {
    const v = input[key];
    if (typeof v === 'string' || typeof v === 'boolean') out[key] = v;
    else if (typeof v === 'number') out[key] = Number.isFinite(v) ? v : String(v);
    else if (typeof v === 'bigint') out[key] = v.toString();
    else if (Array.isArray(v)) {
      out[key] = v.map((x) => (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean' ? x : x === null || x === undefined ? null : String(x)));
    }
  }
  return out;
}
