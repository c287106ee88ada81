import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createRequire } from 'node:module';

interface Decoder {
  decode(buf: Uint8Array): { resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[] };
}
const root = createRequire(import.meta.url)('otlp-proto-decoder/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: Decoder } } } } };
};
const TraceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

/**
 * How the receiver misbehaves:
 * - `ok`: decodes and accepts;
 * - `throttle`: 429 with `Retry-After: 1`; `unavailable`: 503 with `Retry-After: 1`;
 * - `reset`: reads part of the body, then resets the connection;
 * - `slow`: accepts, but writes its answer one byte every 200 ms;
 * - `hang`: reads the request and never answers.
 */
export type ChaosMode = 'ok' | 'throttle' | 'unavailable' | 'reset' | 'slow' | 'hang';

/**
 * An OTLP/HTTP receiver on loopback whose trace endpoint misbehaves as a test says; it counts the
 * trace requests and the spans it accepted.
 */
export class ChaosReceiver {
  mode: ChaosMode = 'ok';
  /** Requests received, by the mode they were answered in. */
  readonly requests: Record<ChaosMode, number> = { ok: 0, throttle: 0, unavailable: 0, reset: 0, slow: 0, hang: 0 };
  /** Spans accepted (decoded from requests answered 200). */
  spans = 0;
  /** Most requests open at once. */
  maxOpen = 0;
  private _open = 0;
  private _server: Server | undefined;
  private readonly _sockets = new Set<Socket>();
  private readonly _timers = new Set<NodeJS.Timeout>();

  async start(): Promise<string> {
    const server = createServer((req, res) => this._handle(req, res));
    server.on('connection', (s) => {
      this._sockets.add(s);
      s.on('close', () => this._sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    this._server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const t of this._timers) clearInterval(t);
    const server = this._server;
    if (server === undefined) return;
    this._server = undefined;
    for (const s of this._sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }

  private _handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.url !== '/v1/traces') {
      // Metrics and logs are accepted unread: the chaos is on the trace path.
      req.resume();
      req.on('end', () => res.end());
      return;
    }
    const mode = this.mode;
    this.requests[mode]++;
    this._open++;
    this.maxOpen = Math.max(this.maxOpen, this._open);
    res.on('close', () => this._open--);
    if (mode === 'reset') {
      req.once('data', () => req.socket.resetAndDestroy());
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (mode === 'hang') return;
      if (mode === 'throttle' || mode === 'unavailable') {
        res.statusCode = mode === 'throttle' ? 429 : 503;
        res.setHeader('retry-after', '1');
        res.end();
        return;
      }
      try {
        const decoded = TraceRequest.decode(Buffer.concat(chunks));
        for (const rs of decoded.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) this.spans += ss.spans?.length ?? 0;
      } catch {
        res.statusCode = 400;
        res.end();
        return;
      }
      res.setHeader('content-type', 'application/x-protobuf');
      if (mode === 'ok') {
        res.end();
        return;
      }
      // slow: a header now, then a trickle that never ends while the test runs.
      res.writeHead(200, { 'content-length': '1000' });
      const t = setInterval(() => {
        if (res.destroyed) clearInterval(t);
        else res.write('\u0000');
      }, 200);
      this._timers.add(t);
    });
  }
}
