import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

// The official generated protobuf decoders, from an aliased dev dependency (see DESIGN.md).
const require = createRequire(import.meta.url);
const root = require('otlp-proto-decoder/build/src/generated/root') as {
  opentelemetry: {
    proto: {
      collector: {
        trace: { v1: { ExportTraceServiceRequest: ProtoType } };
        metrics: { v1: { ExportMetricsServiceRequest: ProtoType } };
      };
    };
  };
};
interface ProtoType {
  decode(buf: Uint8Array): unknown;
  toObject(msg: unknown, opts: Record<string, unknown>): Record<string, unknown>;
}

const TO_OBJECT = { longs: String, bytes: String, enums: Number, defaults: false, arrays: true };

/** A decoded OTLP request, as plain objects (ids as base64 strings from protobuf, hex from JSON). */
export interface Received {
  path: string;
  contentType: string;
  body: Record<string, unknown>;
}

/** A local OTLP/HTTP receiver on 127.0.0.1, decoding protobuf with the official definitions. */
export class OtlpReceiver {
  readonly received: Received[] = [];
  private _server: Server | undefined;
  port = 0;

  async start(port = 0): Promise<this> {
    this._server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const buf = Buffer.concat(chunks);
        const contentType = String(req.headers['content-type'] ?? '');
        const path = req.url ?? '';
        let body: Record<string, unknown>;
        if (contentType.includes('json')) body = JSON.parse(buf.toString('utf8')) as Record<string, unknown>;
        else {
          const collector = root.opentelemetry.proto.collector;
          const type = path.includes('traces') ? collector.trace.v1.ExportTraceServiceRequest : collector.metrics.v1.ExportMetricsServiceRequest;
          body = type.toObject(type.decode(buf), TO_OBJECT);
        }
        this.received.push({ path, contentType, body });
        res.writeHead(200, { 'content-type': contentType.includes('json') ? 'application/json' : 'application/x-protobuf' });
        res.end(contentType.includes('json') ? '{}' : undefined);
      });
    });
    await new Promise<void>((resolve) => this._server!.listen(port, '127.0.0.1', resolve));
    this.port = (this._server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Every span received, flattened, with its resource attributes. */
  spans(): { span: OtlpSpan; resource: Record<string, unknown> }[] {
    const out: { span: OtlpSpan; resource: Record<string, unknown> }[] = [];
    for (const r of this.received.filter((x) => x.path === '/v1/traces')) {
      for (const rs of (r.body['resourceSpans'] as ResourceSpans[] | undefined) ?? []) {
        const resource = attributesOf(rs.resource?.attributes ?? []);
        for (const ss of rs.scopeSpans ?? []) for (const span of ss.spans ?? []) out.push({ span, resource });
      }
    }
    return out;
  }

  async stop(): Promise<void> {
    const s = this._server;
    this._server = undefined;
    if (s === undefined) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  status?: { code?: number; message?: string };
  attributes?: KeyValue[];
  events?: { name: string }[];
}
interface ResourceSpans {
  resource?: { attributes?: KeyValue[] };
  scopeSpans?: { spans?: OtlpSpan[] }[];
}
interface KeyValue {
  key: string;
  value: Record<string, unknown>;
}

/** Flattens OTLP KeyValue attributes into a plain object. */
export function attributesOf(kvs: KeyValue[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of kvs) out[kv.key] = Object.values(kv.value)[0];
  return out;
}

/** A protobuf `bytes` id (base64 after toObject) as the hex string OTel uses. */
export function hexId(id: string | undefined): string | undefined {
  if (id === undefined || id === '') return undefined;
  return /^[0-9a-f]+$/.test(id) && (id.length === 32 || id.length === 16) ? id : Buffer.from(id, 'base64').toString('hex');
}
