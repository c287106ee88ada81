import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

// The official generated OTLP decoders (protobufjs), from the aliased dev dependency.
interface Decoder {
  decode(buf: Uint8Array): object;
  toObject(msg: object, opts: Record<string, unknown>): Record<string, unknown>;
}
const root = createRequire(import.meta.url)('otlp-proto-decoder/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: Decoder } }; metrics: { v1: { ExportMetricsServiceRequest: Decoder } } } } };
};
const TraceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const MetricsRequest = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;

type Obj = Record<string, unknown>;

/** A span as the receiver saw it, the same shape whether it came as protobuf or JSON. */
export interface ReceivedSpan {
  readonly name: string;
  /** OTLP span kind: the API's SpanKind + 1 (1 internal, 2 server, 3 client, ...). */
  readonly kind: number;
  /** The resource's `service.name`. */
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly status: { code: number; message: string };
  readonly events: { name: string; attributes: Obj }[];
  readonly attributes: Obj;
  readonly resource: Obj;
  readonly scope: string;
  /** The span as decoded, every OTLP field (JSON: as sent; protobuf: through the official decoder). */
  readonly otlp: Obj;
  /** Its instrumentation scope as decoded. */
  readonly scopeOtlp: Obj;
}

/** One metric data point as received. */
export interface ReceivedPoint {
  readonly metric: string;
  /** The resource's `service.name`. */
  readonly service: string;
  readonly kind: 'sum' | 'gauge' | 'histogram' | 'other';
  readonly attributes: Obj;
  readonly resource: Obj;
  readonly value: number | undefined;
  readonly count: number | undefined;
  readonly sum: number | undefined;
  readonly bucketCounts: number[];
  readonly explicitBounds: number[];
  readonly exemplars: { traceId: string; spanId: string; value: number }[];
}

function hex(id: unknown): string {
  if (id === undefined || id === null || id === '') return '';
  if (typeof id === 'string') return /^[0-9a-f]+$/i.test(id) && (id.length === 32 || id.length === 16) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex');
  return Buffer.from(id as Uint8Array).toString('hex');
}

function anyValue(v: Obj | undefined): unknown {
  if (v === undefined || v === null) return undefined;
  if ('stringValue' in v) return v['stringValue'];
  if ('intValue' in v) return Number(v['intValue']);
  if ('doubleValue' in v) return Number(v['doubleValue']);
  if ('boolValue' in v) return v['boolValue'];
  return v;
}

function attrs(list: unknown): Obj {
  const out: Obj = {};
  for (const kv of (list as { key: string; value: Obj }[] | undefined) ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

const num = (v: unknown): number | undefined => (v === undefined || v === null ? undefined : Number(v));
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * A local OTLP/HTTP receiver on a real port: decodes `/v1/traces` and `/v1/metrics` bodies with
 * the official protobuf decoders (or JSON.parse for `application/json`) into flat records.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly points: ReceivedPoint[] = [];
  readonly requests: { path: string; contentType: string }[] = [];
  private _server: Server | undefined;
  port = 0;
  /** Answer this many next requests with `failStatus` (and decode nothing): a collector under pressure. */
  failNext = 0;
  failStatus = 503;
  /** Only requests to this path fail (all paths when empty). */
  failPath = '';
  /** Path and arrival time (ms) of every request, failed or not. */
  readonly attempts: { path: string; at: number }[] = [];

  /** A receiver already listening on a free port, stopped by the test's `cleanups`. */
  static async started(cleanups: (() => Promise<unknown>)[]): Promise<OtlpReceiver> {
    const r = new OtlpReceiver();
    await r.start();
    cleanups.push(() => r.stop());
    return r;
  }

  /** Listens on 127.0.0.1 (`port` 0: a free one) and resolves with the base URL. */
  async start(port = 0): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const contentType = String(req.headers['content-type'] ?? '');
        const json = contentType.includes('json');
        this.attempts.push({ path: req.url ?? '', at: Date.now() });
        if (this.failNext > 0 && (this.failPath === '' || this.failPath === req.url)) {
          this.failNext--;
          res.statusCode = this.failStatus;
          res.end();
          return;
        }
        this.requests.push({ path: req.url ?? '', contentType });
        try {
          if (req.url === '/v1/traces') this._traces(json ? (JSON.parse(body.toString('utf8')) as Obj) : TraceRequest.toObject(TraceRequest.decode(body), OPTS));
          else if (req.url === '/v1/metrics') this._metrics(json ? (JSON.parse(body.toString('utf8')) as Obj) : MetricsRequest.toObject(MetricsRequest.decode(body), OPTS));
          else {
            res.statusCode = 404;
            res.end();
            return;
          }
        } catch (err) {
          res.statusCode = 400;
          res.end(String(err));
          return;
        }
        res.setHeader('content-type', json ? 'application/json' : 'application/x-protobuf');
        res.end(json ? '{}' : Buffer.alloc(0));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this._server = server;
    this.port = (server.address() as AddressInfo).port;
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Closes the port and cuts open connections: the collector went down. */
  async stop(): Promise<void> {
    const server = this._server;
    this._server = undefined;
    if (server === undefined) return;
    const closed = new Promise<void>((r) => server.close(() => r()));
    server.closeAllConnections();
    await closed;
  }

  /** Polls until `predicate` holds, or throws after `ms`. */
  async waitFor(what: string, predicate: () => boolean, ms = 20_000): Promise<void> {
    const until = Date.now() + ms;
    while (!predicate()) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; got ${this.spans.length} spans, ${this.points.length} points`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private _traces(req: Obj): void {
    for (const rs of arr(req['resourceSpans']) as Obj[]) {
      const resource = attrs((rs['resource'] as Obj | undefined)?.['attributes']);
      for (const ss of arr(rs['scopeSpans']) as Obj[]) {
        const scopeOtlp = (ss['scope'] as Obj | undefined) ?? {};
        const scope = String(scopeOtlp['name'] ?? '');
        for (const s of arr(ss['spans']) as Obj[]) {
          const status = (s['status'] as Obj | undefined) ?? {};
          this.spans.push({
            name: String(s['name']),
            kind: Number(s['kind'] ?? 0),
            service: String(resource['service.name'] ?? ''),
            traceId: hex(s['traceId']),
            spanId: hex(s['spanId']),
            parentSpanId: hex(s['parentSpanId']),
            status: { code: Number(status['code'] ?? 0), message: String(status['message'] ?? '') },
            events: (arr(s['events']) as Obj[]).map((e) => ({ name: String(e['name']), attributes: attrs(e['attributes']) })),
            attributes: attrs(s['attributes']),
            resource,
            scope,
            otlp: s,
            scopeOtlp,
          });
        }
      }
    }
  }

  private _metrics(req: Obj): void {
    for (const rm of arr(req['resourceMetrics']) as Obj[]) {
      const resource = attrs((rm['resource'] as Obj | undefined)?.['attributes']);
      for (const sm of arr(rm['scopeMetrics']) as Obj[]) {
        for (const m of arr(sm['metrics']) as Obj[]) {
          const kind = m['histogram'] !== undefined ? 'histogram' : m['sum'] !== undefined ? 'sum' : m['gauge'] !== undefined ? 'gauge' : 'other';
          const data = (m[kind] as Obj | undefined) ?? {};
          for (const p of arr(data['dataPoints']) as Obj[]) {
            this.points.push({
              metric: String(m['name']),
              service: String(resource['service.name'] ?? ''),
              kind,
              attributes: attrs(p['attributes']),
              resource,
              value: num(p['asDouble'] ?? p['asInt']),
              count: num(p['count']),
              sum: num(p['sum']),
              bucketCounts: arr(p['bucketCounts']).map(Number),
              explicitBounds: arr(p['explicitBounds']).map(Number),
              exemplars: (arr(p['exemplars']) as Obj[]).map((e) => ({
                traceId: hex(e['traceId']),
                spanId: hex(e['spanId']),
                value: Number(e['asDouble'] ?? e['asInt']),
              })),
            });
          }
        }
      }
    }
  }
}

const OPTS = { longs: Number, enums: Number, defaults: false, arrays: true };
