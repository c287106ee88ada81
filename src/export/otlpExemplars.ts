import type { AttributeValue, Attributes, HrTime } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, type HistogramMetricData, type MetricData, type ResourceMetrics, type ScopeMetrics } from '@opentelemetry/sdk-metrics';
import { exemplarsOf } from '../collectors/exemplars.js';
import { reportOnce } from '../internal/report.js';

/**
 * OTel JS 0.223's OTLP metric serializers (protobuf and JSON) write no exemplars, although the
 * OTLP data model has them. Our histogram cells carry them (`CellExemplar` on a data point), so the
 * exporter's serializer is wrapped here:
 *
 * - protobuf: the request OTel encodes without the histograms that carry exemplars, followed by a
 *   second `ResourceMetrics` (same resource and scope) holding those histograms, encoded here with
 *   their exemplars. Concatenated protobuf messages merge, and a repeated field appends, so the
 *   receiver decodes one request with both entries.
 * - JSON: OTel's request, with `exemplars` added to the histogram points that have them.
 *
 * @internal
 */
interface Serializer {
  serializeRequest(request: ResourceMetrics): Uint8Array | undefined;
  deserializeResponse(data: Uint8Array): unknown;
}

/**
 * Wraps the serializer inside an OTLP metric exporter so exemplars are sent. Reaches into the
 * exporter's private delegate (`_delegate._serializer`, as in otlp-exporter-base 0.223.0, which
 * the package pins); when that shape is not found it leaves the exporter alone and says so once.
 * Returns whether it was installed.
 * @internal
 */
export function sendExemplars(exporter: object, protocol: 'http/protobuf' | 'http/json'): boolean {
  const delegate = (exporter as { _delegate?: { _serializer?: Serializer } })._delegate;
  const inner = delegate?._serializer;
  if (delegate === undefined || inner === undefined || typeof inner.serializeRequest !== 'function') {
    reportOnce('otlp:exemplars', 'this OTLP metric exporter version has an unknown shape; histogram exemplars are not sent over OTLP');
    return false;
  }
  delegate._serializer = {
    serializeRequest: protocol === 'http/json' ? (rm) => withJsonExemplars(inner, rm) : (rm) => withProtobufExemplars(inner, rm),
    deserializeResponse: (data) => inner.deserializeResponse(data),
  };
  return true;
}

function hasExemplars(m: MetricData): m is HistogramMetricData {
  if (m.dataPointType !== DataPointType.HISTOGRAM) return false;
  for (const p of m.dataPoints) if (exemplarsOf(p) !== undefined) return true;
  return false;
}

function withProtobufExemplars(inner: Serializer, rm: ResourceMetrics): Uint8Array | undefined {
  let any = false;
  for (const sm of rm.scopeMetrics) for (const m of sm.metrics) if (hasExemplars(m)) any = true;
  if (!any) return inner.serializeRequest(rm);
  const rest: ScopeMetrics[] = [];
  const withEx: ScopeMetrics[] = [];
  for (const sm of rm.scopeMetrics) {
    const a = sm.metrics.filter((m) => !hasExemplars(m));
    const b = sm.metrics.filter(hasExemplars);
    if (a.length > 0) rest.push({ scope: sm.scope, metrics: a });
    if (b.length > 0) withEx.push({ scope: sm.scope, metrics: b });
  }
  const head = rest.length > 0 ? inner.serializeRequest({ resource: rm.resource, scopeMetrics: rest }) : new Uint8Array(0);
  if (head === undefined) return undefined;
  const w = new Writer();
  w.message(1, (r) => encodeResourceMetrics(r, rm, withEx));
  const tail = w.finish();
  const out = new Uint8Array(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  return out;
}

function withJsonExemplars(inner: Serializer, rm: ResourceMetrics): Uint8Array | undefined {
  const bytes = inner.serializeRequest(rm);
  let any = false;
  for (const sm of rm.scopeMetrics) for (const m of sm.metrics) if (hasExemplars(m)) any = true;
  if (bytes === undefined || !any) return bytes;
  type JsonPoint = Record<string, unknown>;
  const request = JSON.parse(new TextDecoder().decode(bytes)) as {
    resourceMetrics: { scopeMetrics: { metrics: { name: string; histogram?: { dataPoints: JsonPoint[] } }[] }[] }[];
  };
  const scopes = request.resourceMetrics[0]?.scopeMetrics ?? [];
  rm.scopeMetrics.forEach((sm, i) => {
    const jsonMetrics = scopes[i]?.metrics ?? [];
    sm.metrics.forEach((m, j) => {
      const jm = jsonMetrics[j];
      if (!hasExemplars(m) || jm === undefined || jm.name !== m.descriptor.name || jm.histogram === undefined) return;
      m.dataPoints.forEach((p, k) => {
        const ex = exemplarsOf(p);
        const jp = jm.histogram!.dataPoints[k];
        if (ex === undefined || jp === undefined) return;
        jp['exemplars'] = ex.map((e) => ({
          filteredAttributes: [],
          timeUnixNano: nanos(e.timestamp).toString(),
          asDouble: e.value,
          spanId: e.spanId,
          traceId: e.traceId,
        }));
      });
    });
  });
  return new TextEncoder().encode(JSON.stringify(request));
}

function nanos(t: HrTime): bigint {
  return BigInt(t[0]) * 1_000_000_000n + BigInt(Math.round(t[1]));
}

// --- a minimal protobuf writer for the messages below (opentelemetry/proto/metrics/v1) ---

class Writer {
  private _buf = new Uint8Array(256);
  private _pos = 0;

  private _ensure(n: number): void {
    if (this._pos + n <= this._buf.length) return;
    const next = new Uint8Array(Math.max(this._buf.length * 2, this._pos + n));
    next.set(this._buf.subarray(0, this._pos));
    this._buf = next;
  }

  varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    this._ensure(10);
    while (x >= 0x80n) {
      this._buf[this._pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this._buf[this._pos++] = Number(x);
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  fixed64(field: number, v: bigint): void {
    this.tag(field, 1);
    this._ensure(8);
    new DataView(this._buf.buffer, this._buf.byteOffset).setBigUint64(this._pos, BigInt.asUintN(64, v), true);
    this._pos += 8;
  }

  double(field: number, v: number): void {
    this.tag(field, 1);
    this._ensure(8);
    new DataView(this._buf.buffer, this._buf.byteOffset).setFloat64(this._pos, v, true);
    this._pos += 8;
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2);
    this.varint(b.length);
    this._ensure(b.length);
    this._buf.set(b, this._pos);
    this._pos += b.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, fill: (w: Writer) => void): void {
    const sub = new Writer();
    fill(sub);
    this.bytes(field, sub.finish());
  }

  finish(): Uint8Array {
    return this._buf.subarray(0, this._pos);
  }
}

function encodeAnyValue(w: Writer, v: AttributeValue): void {
  if (typeof v === 'string') w.string(1, v);
  else if (typeof v === 'boolean') {
    w.tag(2, 0);
    w.varint(v ? 1 : 0);
  } else if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) {
      w.tag(3, 0);
      w.varint(v);
    } else w.double(4, v);
  } else if (Array.isArray(v)) {
    w.message(5, (arr) => {
      for (const item of v) if (item !== null && item !== undefined) arr.message(1, (x) => encodeAnyValue(x, item));
    });
  }
}

function encodeAttributes(w: Writer, field: number, attributes: Attributes): void {
  for (const key in attributes) {
    const v = attributes[key];
    if (v === undefined || v === null) continue;
    w.message(field, (kv) => {
      kv.string(1, key);
      kv.message(2, (av) => encodeAnyValue(av, v));
    });
  }
}

function hexBytes(id: string): Uint8Array {
  return Uint8Array.from(Buffer.from(id, 'hex'));
}

function encodeResourceMetrics(w: Writer, rm: ResourceMetrics, scopes: ScopeMetrics[]): void {
  w.message(1, (r) => encodeAttributes(r, 1, rm.resource.attributes));
  for (const sm of scopes) {
    w.message(2, (s) => {
      s.message(1, (scope) => {
        scope.string(1, sm.scope.name);
        if (sm.scope.version !== undefined) scope.string(2, sm.scope.version);
      });
      for (const m of sm.metrics) s.message(2, (mw) => encodeHistogramMetric(mw, m));
      if (sm.scope.schemaUrl !== undefined) s.string(3, sm.scope.schemaUrl);
    });
  }
}

function encodeHistogramMetric(w: Writer, m: MetricData): void {
  if (m.dataPointType !== DataPointType.HISTOGRAM) return;
  w.string(1, m.descriptor.name);
  if (m.descriptor.description !== '') w.string(2, m.descriptor.description);
  if (m.descriptor.unit !== '') w.string(3, m.descriptor.unit);
  w.message(9, (h) => {
    for (const p of m.dataPoints) {
      h.message(1, (dp) => {
        const v = p.value;
        dp.fixed64(2, nanos(p.startTime));
        dp.fixed64(3, nanos(p.endTime));
        dp.fixed64(4, BigInt(v.count));
        if (v.sum !== undefined) dp.double(5, v.sum);
        if (v.buckets.counts.length > 0) {
          // Packed repeated fixed64: the raw little-endian values as one length-delimited field.
          const raw = new Uint8Array(v.buckets.counts.length * 8);
          const view = new DataView(raw.buffer);
          v.buckets.counts.forEach((c, i) => view.setBigUint64(i * 8, BigInt(c), true));
          dp.bytes(6, raw);
        }
        if (v.buckets.boundaries.length > 0) {
          const raw = new Uint8Array(v.buckets.boundaries.length * 8);
          const view = new DataView(raw.buffer);
          v.buckets.boundaries.forEach((b, i) => view.setFloat64(i * 8, b, true));
          dp.bytes(7, raw);
        }
        for (const e of exemplarsOf(p) ?? []) {
          dp.message(8, (ex) => {
            ex.fixed64(2, nanos(e.timestamp));
            ex.double(3, e.value);
            ex.bytes(4, hexBytes(e.spanId));
            ex.bytes(5, hexBytes(e.traceId));
            encodeAttributes(ex, 7, e.filteredAttributes);
          });
        }
        encodeAttributes(dp, 9, p.attributes);
        if (v.min !== undefined) dp.double(11, v.min);
        if (v.max !== undefined) dp.double(12, v.max);
      });
    }
    h.tag(2, 0);
    h.varint(m.aggregationTemporality === AggregationTemporality.DELTA ? 1 : 2);
  });
}
