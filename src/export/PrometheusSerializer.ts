import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { CellExemplar } from '../collectors/CellMetricProducer.js';
import { reportOnce } from '../internal/report.js';

/** Content type of the Prometheus text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** Content type of OpenMetrics 1.0 text, the format that carries exemplars. */
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

export interface PrometheusSerializerOptions {
  /** Emit `target_info` with the resource attributes (service.name, telemetry.sdk.*). Default true. */
  targetInfo?: boolean;
  /** Series per chunk of `chunks()`; the endpoint yields the event loop between chunks. Default 500. */
  chunkSeries?: number;
}

type PromType = 'counter' | 'gauge' | 'histogram';

/** A Prometheus family built from one or more OTel metrics with the same resulting name. */
interface Family {
  /** Name without `_total` (OpenMetrics' family name); `sample` is what samples are called. */
  readonly base: string;
  readonly sample: string;
  readonly type: PromType;
  readonly help: string;
  /** Factor converting the OTel unit to the Prometheus base unit (ms -> s: 0.001). */
  readonly scale: number;
  readonly metrics: MetricData[];
}

/** How one OTel (name, unit, kind) maps onto Prometheus; computed once per metric and cached. */
interface NameInfo {
  readonly base: string;
  readonly sample: string;
  readonly scale: number;
}

/**
 * Units per the OTel → Prometheus compatibility spec, converted to Prometheus' base units
 * (seconds, bytes), because `promtool check metrics` flags `milliseconds` and friends.
 */
const UNITS: Readonly<Record<string, readonly [suffix: string, scale: number]>> = {
  s: ['seconds', 1],
  ms: ['seconds', 1e-3],
  us: ['seconds', 1e-6],
  ns: ['seconds', 1e-9],
  min: ['seconds', 60],
  h: ['seconds', 3600],
  d: ['seconds', 86400],
  By: ['bytes', 1],
  KiBy: ['bytes', 1024],
  MiBy: ['bytes', 1024 ** 2],
  GiBy: ['bytes', 1024 ** 3],
  KBy: ['bytes', 1e3],
  MBy: ['bytes', 1e6],
  GBy: ['bytes', 1e9],
  bit: ['bits', 1],
  m: ['meters', 1],
  V: ['volts', 1],
  A: ['amperes', 1],
  J: ['joules', 1],
  W: ['watts', 1],
  g: ['grams', 1],
  Cel: ['celsius', 1],
  Hz: ['hertz', 1],
  '%': ['percent', 1],
};
/** Name endings that already spell a unit we convert away (`response_time_ms` → `response_time_seconds`). */

/**
 * Units spelled as an abbreviation at the end of a unit-less metric's name (the seed's
 * `memory_usage_mb`): `promtool check metrics` rejects abbreviated and non-base units, so these are
 * converted like a declared unit. `mb`/`kb`/`gb` are read as binary (MiB...), as Node code computes
 * them (`rss / 1024 / 1024`).
 */
const NAME_UNITS: readonly (readonly [ending: string, unit: string])[] = [
  ['_ms', 'ms'],
  ['_milliseconds', 'ms'],
  ['_us', 'us'],
  ['_microseconds', 'us'],
  ['_ns', 'ns'],
  ['_nanoseconds', 'ns'],
  ['_sec', 's'],
  ['_secs', 's'],
  ['_minutes', 'min'],
  ['_hours', 'h'],
  ['_kb', 'KiBy'],
  ['_kilobytes', 'KiBy'],
  ['_mb', 'MiBy'],
  ['_megabytes', 'MiBy'],
  ['_gb', 'GiBy'],
  ['_gigabytes', 'GiBy'],
];

const UNIT_WORDS = NAME_UNITS.map(([ending]) => ending).concat(['_days']);

function unitFromName(base: string): string {
  for (const [ending, unit] of NAME_UNITS) if (base.endsWith(ending)) return unit;
  return '';
}

const ESCAPE_LABEL = /[\\"\n]/;
const ESCAPE_HELP = /[\\\n]/;

/** Escapes a label value: backslash, double quote and newline, per the exposition format. */
export function escapeLabelValue(value: string): string {
  if (!ESCAPE_LABEL.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Escapes `# HELP` text: backslash and newline (quotes stay as they are in 0.0.4). */
export function escapeHelp(text: string): string {
  if (!ESCAPE_HELP.test(text)) return text;
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A metric or label name reduced to `[a-zA-Z0-9_:]`, camelCase turned snake_case, no leading digit. */
export function sanitizeName(name: string, allowColon = true): string {
  let out = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  out = out.replace(allowColon ? /[^a-z0-9_:]/g : /[^a-z0-9_]/g, '_').replace(/__+/g, '_');
  if (out === '' || (out.charCodeAt(0) >= 48 && out.charCodeAt(0) <= 57)) out = '_' + out;
  return out;
}

/** Prometheus float rendering: `+Inf`, `-Inf`, `NaN`, otherwise JavaScript's shortest round-trip form. */
export function formatValue(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return '' + v;
}

function unitSuffix(unit: string, type: PromType): readonly [string, number] {
  if (unit === '' || unit === '1') return [unit === '1' && type === 'gauge' ? 'ratio' : '', 1];
  const known = UNITS[unit];
  if (known !== undefined) return known;
  // `{request}` annotations carry no unit; `By/s` becomes `bytes_per_second`.
  const bare = unit.replace(/\{[^}]*\}/g, '');
  if (bare === '' || bare === '1') return ['', 1];
  const slash = bare.indexOf('/');
  if (slash > 0) {
    const per: Readonly<Record<string, string>> = { s: 'second', m: 'minute', min: 'minute', h: 'hour', d: 'day' };
    const top = UNITS[bare.slice(0, slash)];
    const bottom = bare.slice(slash + 1);
    return [`${top !== undefined && top[1] === 1 ? top[0] : sanitizeName(bare.slice(0, slash), false)}_per_${per[bottom] ?? sanitizeName(bottom, false)}`, 1];
  }
  return [sanitizeName(bare, false), 1];
}

/**
 * Serialises OTel metric data (`MetricReader.collect()`: OTel instruments and the collector's cells)
 * to the Prometheus text format 0.0.4 or to OpenMetrics 1.0 with exemplars.
 *
 * Written instead of using `@opentelemetry/exporter-prometheus`' serializer because
 * `bench/prometheus.js` measured that one at ~1 s for 10,000 histogram series, in one blocking
 * call. This one caches rendered label sets per attributes object (the SDK and our cells keep the
 * same frozen object per series across collections) and produces output in chunks, so an endpoint
 * can yield the event loop between them.
 *
 * Names follow the Prometheus guidelines: snake_case, unit suffixes in base units (`ms` values are
 * converted to seconds), `_total` on counters, `_ratio` on unit-1 gauges.
 *
 * @example
 * const serializer = new PrometheusSerializer();
 * const { resourceMetrics } = await monitoring.collector.collect();
 * const text = serializer.serialize(resourceMetrics);            // text/plain; version=0.0.4
 * const om = serializer.serialize(resourceMetrics, true);        // OpenMetrics, with exemplars
 */
export class PrometheusSerializer {
  private readonly _targetInfo: boolean;
  private readonly _chunkSeries: number;
  private readonly _names = new Map<string, NameInfo>();
  private _labels = new WeakMap<Attributes, string>();
  private _labelCount = 0;

  constructor(options: PrometheusSerializerOptions = {}) {
    this._targetInfo = options.targetInfo ?? true;
    const chunk = options.chunkSeries ?? 500;
    if (!Number.isInteger(chunk) || chunk < 1) throw new TypeError(`Invalid chunkSeries: ${String(chunk)} (expected a positive integer)`);
    this._chunkSeries = chunk;
  }

  /** The whole exposition as one string. */
  serialize(resourceMetrics: ResourceMetrics, openMetrics = false): string {
    let out = '';
    for (const chunk of this.chunks(resourceMetrics, openMetrics)) out += chunk;
    return out;
  }

  /** The exposition in pieces of about `chunkSeries` series each; concatenated they are `serialize()`. */
  *chunks(resourceMetrics: ResourceMetrics, openMetrics = false): Generator<string, void, undefined> {
    const families = this._families(resourceMetrics);
    let out = '';
    if (this._targetInfo) out += this._targetInfoText(resourceMetrics, openMetrics);
    let series = 0;
    for (const fam of families.values()) {
      out += `# HELP ${openMetrics ? fam.base : fam.sample} ${fam.help}\n# TYPE ${openMetrics ? fam.base : fam.sample} ${fam.type}\n`;
      for (const m of fam.metrics) {
        if (m.dataPointType === DataPointType.HISTOGRAM) {
          const bounds = m.dataPoints.length > 0 ? boundStrings(m.dataPoints[0]!.value.buckets.boundaries, fam.scale) : [];
          for (const p of m.dataPoints) {
            out += this._histogram(fam, p.attributes, p.value, bounds, openMetrics ? (p as { exemplars?: CellExemplar[] }).exemplars : undefined);
            if (++series >= this._chunkSeries) {
              yield out;
              out = '';
              series = 0;
            }
          }
        } else if (m.dataPointType === DataPointType.SUM || m.dataPointType === DataPointType.GAUGE) {
          for (const p of m.dataPoints) {
            const labels = this._labelsOf(p.attributes);
            out += fam.sample + (labels === '' ? ' ' : '{' + labels + '} ') + formatValue(fam.scale === 1 ? p.value : roundScaled(p.value * fam.scale)) + '\n';
            if (++series >= this._chunkSeries) {
              yield out;
              out = '';
              series = 0;
            }
          }
        }
      }
    }
    if (openMetrics) out += '# EOF\n';
    yield out;
  }

  private _histogram(
    fam: Family,
    attributes: Attributes,
    h: { buckets: { boundaries: number[]; counts: number[] }; count: number; sum?: number | undefined },
    bounds: readonly string[],
    exemplars: readonly CellExemplar[] | undefined,
  ): string {
    const labels = this._labelsOf(attributes);
    const open = fam.base + '_bucket{' + (labels === '' ? '' : labels + ',') + 'le="';
    const counts = h.buckets.counts;
    let out = '';
    let cum = 0;
    let ex = 0;
    for (let i = 0; i < counts.length; i++) {
      cum += counts[i]!;
      out += open + (i < bounds.length ? bounds[i]! : '+Inf') + '"} ' + cum;
      if (exemplars !== undefined && ex < exemplars.length && exemplars[ex]!.bucket === i) {
        const e = exemplars[ex++]!;
        out +=
          ' # {trace_id="' + e.traceId + '",span_id="' + e.spanId + '"} ' + formatValue(fam.scale === 1 ? e.value : roundScaled(e.value * fam.scale)) + ' ' +
          (e.timestamp[0] + e.timestamp[1] / 1e9).toFixed(3);
      }
      out += '\n';
    }
    const tail = labels === '' ? ' ' : '{' + labels + '} ';
    out += fam.base + '_sum' + tail + formatValue(fam.scale === 1 ? h.sum ?? 0 : roundScaled((h.sum ?? 0) * fam.scale)) + '\n';
    out += fam.base + '_count' + tail + h.count + '\n';
    return out;
  }

  /** Groups metrics by Prometheus name across scopes; a name claimed by two types keeps the first. */
  private _families(resourceMetrics: ResourceMetrics): Map<string, Family> {
    const families = new Map<string, Family>();
    for (const sm of resourceMetrics.scopeMetrics) {
      for (const m of sm.metrics) {
        let type: PromType;
        if (m.dataPointType === DataPointType.HISTOGRAM) type = 'histogram';
        else if (m.dataPointType === DataPointType.SUM) type = m.isMonotonic ? 'counter' : 'gauge';
        else if (m.dataPointType === DataPointType.GAUGE) type = 'gauge';
        else {
          reportOnce(`prom:exphist:${m.descriptor.name}`, `metric "${m.descriptor.name}" is an exponential histogram, which the Prometheus text format cannot carry; it is left out of /metrics`);
          continue;
        }
        if (m.dataPoints.length === 0) continue;
        const info = this._name(m.descriptor.name, m.descriptor.unit, type);
        const fam = families.get(info.sample);
        if (fam === undefined) {
          const help = escapeHelp(m.descriptor.description !== '' ? m.descriptor.description : `${m.descriptor.name}${m.descriptor.unit !== '' ? ` (${m.descriptor.unit})` : ''}`);
          families.set(info.sample, { base: info.base, sample: info.sample, type, help, scale: info.scale, metrics: [m] });
        } else if (fam.type === type && fam.scale === info.scale) {
          fam.metrics.push(m);
        } else {
          reportOnce(`prom:conflict:${info.sample}`, `metric "${m.descriptor.name}" maps to Prometheus name "${info.sample}" already used by a ${fam.type}; it is left out of /metrics`);
        }
      }
    }
    return families;
  }

  private _name(name: string, unit: string, type: PromType): NameInfo {
    const key = name + '\u0000' + unit + '\u0000' + type;
    let info = this._names.get(key);
    if (info !== undefined) return info;
    let base = sanitizeName(name);
    if (base.endsWith('_total')) base = base.slice(0, -6);
    const [suffix, scale] = unitSuffix(unit !== '' ? unit : unitFromName(base), type);
    if (scale !== 1) {
      for (const w of UNIT_WORDS) {
        if (base.endsWith(w)) {
          base = base.slice(0, -w.length);
          break;
        }
      }
    }
    if (suffix !== '' && !base.endsWith('_' + suffix) && !base.includes('_' + suffix + '_')) base += '_' + suffix;
    info = { base, sample: type === 'counter' ? base + '_total' : base, scale };
    if (this._names.size < 20_000) this._names.set(key, info);
    return info;
  }

  /** `k="v",k2="v2"` for an attributes object, cached for as long as the object lives. */
  private _labelsOf(attributes: Attributes): string {
    let s = this._labels.get(attributes);
    if (s !== undefined) return s;
    s = renderLabels(attributes);
    // A WeakMap frees entries with their series; the counter only bounds how much a scrape of
    // short-lived attribute objects can pile up before a reset.
    if (++this._labelCount > 1_000_000) {
      this._labels = new WeakMap();
      this._labelCount = 0;
    }
    this._labels.set(attributes, s);
    return s;
  }

  private _targetInfoText(resourceMetrics: ResourceMetrics, openMetrics: boolean): string {
    const labels = renderLabels(resourceMetrics.resource.attributes);
    const head = openMetrics ? '# HELP target Target metadata\n# TYPE target info\n' : '# HELP target_info Target metadata\n# TYPE target_info gauge\n';
    return head + 'target_info' + (labels === '' ? ' 1\n' : '{' + labels + '} 1\n');
  }
}

function renderLabels(attributes: Attributes): string {
  let s = '';
  for (const k in attributes) {
    const v = attributes[k];
    if (v === undefined || v === null) continue;
    s += (s === '' ? '' : ',') + sanitizeName(k, false) + '="' + escapeLabelValue(attributeString(v)) + '"';
  }
  return s;
}

function attributeString(v: AttributeValue): string {
  return typeof v === 'string' ? v : Array.isArray(v) ? JSON.stringify(v) : String(v);
}

function boundStrings(boundaries: readonly number[], scale: number): string[] {
  const out: string[] = new Array<string>(boundaries.length);
  for (let i = 0; i < boundaries.length; i++) out[i] = formatValue(scale === 1 ? boundaries[i]! : roundScaled(boundaries[i]! * scale));
  return out;
}

/** `45.2 * 0.001` is 0.0452 in decimal but not in binary; 15 significant digits print it cleanly. */
function roundScaled(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(15)) : v;
}
