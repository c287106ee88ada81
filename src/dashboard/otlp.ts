import { lazyRequire } from '../internal/lazyRequire.js';
import type { Exemplar, MetricSample, SeriesKind, SpanRecord } from './model.js';
import { toAttrs } from './model.js';

/**
 * OTLP/HTTP request bodies (protobuf or JSON, traces and metrics) as dashboard records. Protobuf is
 * decoded by the generated OTLP root that `@opentelemetry/otlp-transformer` 0.214 ships (0.223 no
 * longer ships it); both encodings then go through one normaliser, since `toObject` gives the
 * protobuf message the JSON encoding's field names.
 */
interface Decoder {
  decode(buf: Uint8Array): object;
  toObject(msg: object, opts: Record<string, unknown>): Record<string, unknown>;
}

interface OtlpRoot {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: Decoder } }; metrics: { v1: { ExportMetricsServiceRequest: Decoder } } } } };
}
const otlpRoot = lazyRequire<OtlpRoot>('otlp-proto-decoder/build/src/generated/root.js');

function protobufDecoder(kind: 'traces' | 'metrics'): Decoder {
  const collector = otlpRoot().opentelemetry.proto.collector;
  return kind === 'traces' ? collector.trace.v1.ExportTraceServiceRequest : collector.metrics.v1.ExportMetricsServiceRequest;
}

type Obj = Record<string, unknown>;
const TO_OBJECT = { longs: String, enums: Number, bytes: Array, defaults: false, arrays: true };

/** Decodes an OTLP body; `json` for `application/json`. Throws on a malformed body. */
export function decodeOtlp(kind: 'traces' | 'metrics', body: Uint8Array, json: boolean): Obj {
  if (json) {
    const parsed: unknown = JSON.parse(Buffer.from(body).toString('utf8'));
    if (parsed === null || typeof parsed !== 'object') throw new Error('OTLP JSON body must be an object');
    return parsed as Obj;
  }
  const d = protobufDecoder(kind);
  return d.toObject(d.decode(body), TO_OBJECT);
}

const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

/** Trace and span ids: hex in OTLP JSON, bytes in protobuf (as a number array here). */
function hexId(id: unknown): string {
  if (id === undefined || id === null) return '';
  if (typeof id === 'string') return /^[0-9a-fA-F]*$/.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex');
  if (Array.isArray(id) || id instanceof Uint8Array) return Buffer.from(id as number[]).toString('hex');
  return '';
}

function nanosToMs(v: unknown): number {
  if (v === undefined || v === null) return 0;
  const s = String(v);
  // Nanoseconds since the epoch overflow a double's integer precision: split before converting.
  if (s.length > 6) return Number(s.slice(0, -6)) + Number(s.slice(-6)) / 1e6;
  return Number(s) / 1e6;
}

function anyValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return undefined;
  const o = v as Obj;
  if ('stringValue' in o) return o.stringValue;
  if ('boolValue' in o) return o.boolValue;
  if ('intValue' in o) return Number(o.intValue);
  if ('doubleValue' in o) return Number(o.doubleValue);
  if ('arrayValue' in o) return arr((o.arrayValue as Obj | undefined)?.values).map(anyValue);
  if ('kvlistValue' in o) return JSON.stringify(attrsOf((o.kvlistValue as Obj | undefined)?.values));
  if ('bytesValue' in o) return hexId(o.bytesValue);
  return undefined;
}

function attrsOf(list: unknown): Obj {
  const out: Obj = {};
  for (const kv of arr(list)) if (typeof kv.key === 'string') out[kv.key] = anyValue(kv.value);
  return out;
}

/** Spans of an `ExportTraceServiceRequest`. */
export function spansFromOtlp(req: Obj): SpanRecord[] {
  const out: SpanRecord[] = [];
  for (const rs of arr(req.resourceSpans)) {
    const resource = toAttrs(attrsOf((rs.resource as Obj | undefined)?.attributes));
    const service = typeof resource['service.name'] === 'string' ? resource['service.name'] : 'unknown_service';
    for (const ss of arr(rs.scopeSpans ?? rs.instrumentationLibrarySpans)) {
      const scope = String(((ss.scope ?? ss.instrumentationLibrary) as Obj | undefined)?.name ?? '');
      for (const s of arr(ss.spans)) {
        const status = (s.status as Obj | undefined) ?? {};
        const code = Number(status.code ?? 0);
        const parent = hexId(s.parentSpanId);
        const traceId = hexId(s.traceId);
        const spanId = hexId(s.spanId);
        if (traceId === '' || spanId === '') continue;
        out.push({
          traceId,
          spanId,
          parentSpanId: parent === '' ? undefined : parent,
          name: String(s.name ?? ''),
          // OTLP numbers kinds from 1 (internal); the API from 0.
          kind: Math.max(0, Number(s.kind ?? 1) - 1),
          service,
          scope,
          start: nanosToMs(s.startTimeUnixNano),
          end: nanosToMs(s.endTimeUnixNano),
          status: code === 2 ? 'error' : code === 1 ? 'ok' : 'unset',
          statusMessage: typeof status.message === 'string' && status.message !== '' ? status.message : undefined,
          attributes: toAttrs(attrsOf(s.attributes)),
          events: arr(s.events).slice(0, 100).map((e) => ({ name: String(e.name ?? ''), time: nanosToMs(e.timeUnixNano), attributes: toAttrs(attrsOf(e.attributes)) })),
          resource,
        });
      }
    }
  }
  return out;
}

function labelsOf(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrsOf(list))) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(',') : String(v);
  return out;
}

function pointValue(p: Obj): number | undefined {
  if (p.asDouble !== undefined) return Number(p.asDouble);
  if (p.asInt !== undefined) return Number(p.asInt);
  return undefined;
}

function exemplarsOf(p: Obj): Exemplar[] | undefined {
  const list = arr(p.exemplars);
  if (list.length === 0) return undefined;
  return list
    .map((e) => ({ time: nanosToMs(e.timeUnixNano), value: pointValue(e) ?? NaN, traceId: hexId(e.traceId), spanId: hexId(e.spanId) }))
    .filter((e) => e.traceId !== '' && Number.isFinite(e.value));
}

/** Points of an `ExportMetricsServiceRequest`. `now` stands in for points without a time. */
export function samplesFromOtlp(req: Obj, now: number): { service: string; samples: MetricSample[] }[] {
  const out: { service: string; samples: MetricSample[] }[] = [];
  for (const rm of arr(req.resourceMetrics)) {
    const resource = attrsOf((rm.resource as Obj | undefined)?.attributes);
    const service = typeof resource['service.name'] === 'string' ? resource['service.name'] : 'unknown_service';
    const samples: MetricSample[] = [];
    for (const sm of arr(rm.scopeMetrics ?? rm.instrumentationLibraryMetrics)) {
      for (const m of arr(sm.metrics)) {
        const base = { name: String(m.name ?? ''), unit: String(m.unit ?? ''), description: String(m.description ?? ''), service };
        if (base.name === '') continue;
        const time = (p: Obj): number => nanosToMs(p.timeUnixNano) || now;
        if (m.sum !== undefined) {
          const sum = m.sum as Obj;
          const kind: SeriesKind = sum.isMonotonic === true ? 'counter' : 'updowncounter';
          const delta = Number(sum.aggregationTemporality) === 1;
          for (const p of arr(sum.dataPoints)) {
            const value = pointValue(p);
            if (value !== undefined) samples.push({ ...base, kind, labels: labelsOf(p.attributes), time: time(p), value, delta });
          }
        } else if (m.gauge !== undefined) {
          for (const p of arr((m.gauge as Obj).dataPoints)) {
            const value = pointValue(p);
            if (value !== undefined) samples.push({ ...base, kind: 'gauge', labels: labelsOf(p.attributes), time: time(p), value });
          }
        } else if (m.histogram !== undefined) {
          const h = m.histogram as Obj;
          const delta = Number(h.aggregationTemporality) === 1;
          for (const p of arr(h.dataPoints)) {
            const bounds = (Array.isArray(p.explicitBounds) ? p.explicitBounds : []).map(Number);
            const counts = (Array.isArray(p.bucketCounts) ? p.bucketCounts : []).map(Number);
            const exemplars = exemplarsOf(p);
            samples.push({
              ...base,
              kind: 'histogram',
              labels: labelsOf(p.attributes),
              time: time(p),
              histogram: { count: Number(p.count ?? 0), sum: Number(p.sum ?? 0), bounds, counts: counts.length === bounds.length + 1 ? counts : [Number(p.count ?? 0)] },
              delta,
              ...(exemplars !== undefined ? { exemplars } : {}),
            });
          }
        } else if (m.exponentialHistogram !== undefined) {
          const h = m.exponentialHistogram as Obj;
          const delta = Number(h.aggregationTemporality) === 1;
          for (const p of arr(h.dataPoints)) {
            samples.push({ ...base, kind: 'histogram', labels: labelsOf(p.attributes), time: time(p), histogram: { count: Number(p.count ?? 0), sum: Number(p.sum ?? 0), bounds: [], counts: [Number(p.count ?? 0)] }, delta });
          }
        }
      }
    }
    out.push({ service, samples });
  }
  return out;
}
