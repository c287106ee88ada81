import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// The official generated decoders, from an aliased older otlp-transformer (see DESIGN.md).
const root = require('otlp-proto-decoder/build/src/generated/root') as {
  opentelemetry: {
    proto: {
      collector: {
        trace: { v1: { ExportTraceServiceRequest: Decoder } };
        metrics: { v1: { ExportMetricsServiceRequest: Decoder } };
      };
    };
  };
};
interface Decoder {
  decode(buf: Uint8Array): unknown;
  toObject(msg: unknown, opts: Record<string, unknown>): Record<string, unknown>;
}

type Attr = { key: string; value: { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number } };

export interface ReceivedSpan {
  service: string;
  resource: Record<string, unknown>;
  scope: string;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  status: number;
  attributes: Record<string, unknown>;
}

export interface ReceivedPoint {
  service: string;
  metric: string;
  attributes: Record<string, unknown>;
  value?: number;
  count?: number;
}

function attrs(list: Attr[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of list ?? []) {
    const v = a.value;
    out[a.key] = v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.boolValue ?? v.doubleValue;
  }
  return out;
}

/** A local OTLP/HTTP receiver (protobuf) that decodes what arrives and keeps it for assertions. */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly points: ReceivedPoint[] = [];
  private readonly _server = http.createServer((req, res) => this._handle(req, res));

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this._server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this._server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this._server.closeAllConnections();
    await new Promise<void>((resolve) => this._server.close(() => resolve()));
  }

  private _handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const opts = { longs: String, enums: Number, bytes: String, defaults: false };
      if (req.url === '/v1/traces') {
        const T = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
        const msg = T.toObject(T.decode(body), opts) as { resourceSpans?: { resource?: { attributes?: Attr[] }; scopeSpans?: { scope?: { name?: string }; spans?: Record<string, unknown>[] }[] }[] };
        for (const rs of msg.resourceSpans ?? []) {
          const resource = attrs(rs.resource?.attributes);
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              this.spans.push({
                service: String(resource['service.name']),
                resource,
                scope: ss.scope?.name ?? '',
                name: String(s['name']),
                kind: Number(s['kind'] ?? 0),
                traceId: hex(s['traceId']),
                spanId: hex(s['spanId']),
                parentSpanId: hex(s['parentSpanId']),
                status: Number((s['status'] as { code?: number } | undefined)?.code ?? 0),
                attributes: attrs(s['attributes'] as Attr[]),
              });
            }
          }
        }
      } else if (req.url === '/v1/metrics') {
        const M = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
        const msg = M.toObject(M.decode(body), opts) as { resourceMetrics?: { resource?: { attributes?: Attr[] }; scopeMetrics?: { metrics?: Record<string, unknown>[] }[] }[] };
        for (const rm of msg.resourceMetrics ?? []) {
          const service = String(attrs(rm.resource?.attributes)['service.name']);
          for (const sm of rm.scopeMetrics ?? []) {
            for (const m of sm.metrics ?? []) {
              const data = (m['sum'] ?? m['gauge'] ?? m['histogram'] ?? m['exponentialHistogram']) as { dataPoints?: Record<string, unknown>[] } | undefined;
              for (const p of data?.dataPoints ?? []) {
                const value = p['asDouble'] ?? p['asInt'];
                this.points.push({
                  service,
                  metric: String(m['name']),
                  attributes: attrs(p['attributes'] as Attr[]),
                  ...(value !== undefined ? { value: Number(value) } : {}),
                  ...(p['count'] !== undefined ? { count: Number(p['count']) } : {}),
                });
              }
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  }
}

function hex(v: unknown): string {
  if (v === undefined || v === null || v === '') return '';
  // bytes come back base64-encoded from toObject({ bytes: String })
  return Buffer.from(String(v), 'base64').toString('hex');
}
