import { http } from '../internal/builtins.js';
import { requireIntAtLeast, requirePort } from '../internal/configCheck.js';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { reportOnce } from '../internal/report.js';
import { closeServer } from '../internal/ownServers.js';
import { DashboardServer, type DashboardServerOptions, type DashboardStores } from './DashboardServer.js';
import { EventLog } from './EventLog.js';
import { Journal } from './Journal.js';
import type { MetricSample } from './model.js';
import { HealthHistory } from './HealthHistory.js';
import { MetricHistory } from './MetricHistory.js';
import { decodeOtlp, samplesFromOtlp, spansFromOtlp } from './otlp.js';
import { TraceStore } from './TraceStore.js';

export interface StandaloneDashboardOptions extends DashboardServerOptions {
  /** Port of the OTLP/HTTP receiver (`/v1/traces`, `/v1/metrics`). Default 4318; 0 picks a free one. */
  otlpPort?: number;
  /** Traces kept in memory. Default 20,000. */
  maxTraces?: number;
  /** Points kept per metric series. Default 720. */
  maxPoints?: number;
  /** Metric series kept. Default 10,000. */
  maxSeries?: number;
  /** Largest OTLP request body accepted, in bytes. Default 8 MiB. */
  maxBodyBytes?: number;
  /**
   * Keep what is received in this directory (a two-segment NDJSON journal) and replay it at start,
   * so a restart keeps the history. Default: memory only.
   */
  dataDir?: string;
  /** Most bytes the journal holds. Default 100 MiB. */
  dataMaxBytes?: number;
}

const HEALTH_GAUGES = new Set(['health_check_status', 'health.check.status']);
const STATUS_OF = (v: number): 'healthy' | 'degraded' | 'unhealthy' => (v >= 1 ? 'healthy' : v > 0 ? 'degraded' : 'unhealthy');

/**
 * The dashboard as a local OTLP backend for any number of services: an OTLP/HTTP receiver
 * (protobuf and JSON, traces and metrics, gzip bodies) on `otlpPort` feeding bounded in-memory
 * stores, and the same UI as the embedded dashboard on `port`. Health comes from the services'
 * `health_check_status` gauges; the Events page lists what was received.
 *
 * @example
 * const standalone = new StandaloneDashboard({ port: 9465, otlpPort: 4318 });
 * const { ui, otlp } = await standalone.listen();
 * // OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 node app.js
 */
export class StandaloneDashboard {
  readonly stores: DashboardStores;
  readonly ui: DashboardServer;
  private readonly _host: string;
  private readonly _otlpPort: number;
  private readonly _token: string | undefined;
  private readonly _maxBody: number;
  private readonly _journal: Journal | undefined;
  private _otlp: Server | undefined;
  private _received = { spans: 0, points: 0, requests: 0, rejected: 0 };

  constructor(options: StandaloneDashboardOptions = {}) {
    const otlpPort = options.otlpPort ?? 4318;
    requirePort('dashboard.otlpPort', otlpPort);
    const maxBody = options.maxBodyBytes ?? 8 * 1024 * 1024;
    requireIntAtLeast('dashboard.maxBodyBytes', maxBody, 1024);
    this.stores = {
      traces: new TraceStore({ maxTraces: options.maxTraces ?? 20_000 }),
      metrics: new MetricHistory({ maxPoints: options.maxPoints ?? 720, maxSeries: options.maxSeries ?? 10_000 }),
      events: new EventLog(2_000),
      health: new HealthHistory(),
    };
    this.ui = new DashboardServer(this.stores, { title: 'service-infrastructure dashboard', ...options, mode: 'standalone' });
    this._host = this.ui.host;
    this._otlpPort = otlpPort;
    this._token = options.token;
    this._maxBody = maxBody;
    if (options.dataDir !== undefined) {
      this._journal = new Journal(options.dataDir, options.dataMaxBytes ?? 100 * 1024 * 1024);
      for (const entry of this._journal.replay()) {
        if ('s' in entry) for (const span of entry.s) this.stores.traces.add(span);
        else for (const sample of entry.m) this._addSample(sample);
      }
    }
  }

  /** Bytes the journal holds on disk (0 without `dataDir`). */
  get journalBytes(): number {
    return this._journal?.size ?? 0;
  }

  /** What the receiver has taken in since start. */
  get received(): Readonly<{ spans: number; points: number; requests: number; rejected: number }> {
    return this._received;
  }

  /** Starts the UI and the OTLP receiver. */
  async listen(): Promise<{ ui: string; otlp: string }> {
    const ui = await this.ui.listen();
    const server = http.createServer((req, res) => {
      this._receive(req, res).catch((err: unknown) => {
        reportOnce('dashboard:otlp', `OTLP request failed: ${String(err)}`);
        if (!res.headersSent) {
          res.statusCode = 500;
          res.end();
        }
      });
    });
    server.requestTimeout = 30_000;
    this._otlp = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this._otlpPort, this._host, () => {
        server.removeListener('error', reject);
        server.unref();
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return { ui: ui.url, otlp: `http://${shown}:${addr.port}` };
  }

  /** Takes one OTLP request body (also what the receiver calls). Returns what it accepted. */
  ingest(kind: 'traces' | 'metrics', body: Uint8Array, json: boolean, now = Date.now()): { spans: number; points: number } {
    const req = decodeOtlp(kind, body, json);
    const s = this.stores;
    if (kind === 'traces') {
      const spans = spansFromOtlp(req);
      const perService = new Map<string, number>();
      for (const span of spans) {
        s.traces.add(span);
        perService.set(span.service, (perService.get(span.service) ?? 0) + 1);
      }
      for (const [service, count] of perService) s.events.add('otlp.traces.received', now, undefined, { service, spans: count });
      if (spans.length > 0) this._journal?.append({ s: spans });
      this._received.spans += spans.length;
      return { spans: spans.length, points: 0 };
    }
    let points = 0;
    for (const { service, samples } of samplesFromOtlp(req, now)) {
      for (const sample of samples) this._addSample(sample);
      if (samples.length > 0) this._journal?.append({ m: samples });
      points += samples.length;
      s.events.add('otlp.metrics.received', now, undefined, { service, points: samples.length });
    }
    this._received.points += points;
    return { spans: 0, points };
  }

  private _addSample(sample: MetricSample): void {
    this.stores.metrics.add(sample);
    if (HEALTH_GAUGES.has(sample.name) && sample.value !== undefined) {
      const check = sample.labels.check ?? 'system';
      const critical = sample.labels.critical;
      this.stores.health.add(`${sample.service}/${check}`, { time: sample.time, status: STATUS_OF(sample.value) }, { category: sample.labels.category, critical: critical === undefined ? undefined : critical === 'true' });
    }
  }

  async shutdown(timeoutMs = 5_000): Promise<void> {
    const server = this._otlp;
    this._otlp = undefined;
    this.stores.events.close();
    await this.ui.shutdown(timeoutMs);
    if (server === undefined) return;
    await closeServer(server, timeoutMs, 'OTLP receiver shutdown');
  }

  private async _receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    const kind = path === '/v1/traces' ? 'traces' : path === '/v1/metrics' ? 'metrics' : undefined;
    if (kind === undefined) return reply(res, 404, 'unknown OTLP path (this receiver takes /v1/traces and /v1/metrics)');
    if (req.method !== 'POST') return reply(res, 405, 'POST only');
    if (this._token !== undefined && !tokenOk(req.headers.authorization, this._token)) {
      this._received.rejected++;
      return reply(res, 401, 'unauthorized');
    }
    const type = req.headers['content-type'] ?? '';
    const json = type.startsWith('application/json');
    if (!json && !type.startsWith('application/x-protobuf') && !type.startsWith('application/protobuf')) return reply(res, 415, 'content-type must be application/x-protobuf or application/json');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > this._maxBody) {
        this._received.rejected++;
        return reply(res, 413, 'body too large');
      }
      chunks.push(chunk);
    }
    let body: Buffer = Buffer.concat(chunks);
    this._received.requests++;
    try {
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body, { maxOutputLength: this._maxBody * 4 });
      this.ingest(kind, body, json);
    } catch (err) {
      this._received.rejected++;
      reportOnce(`dashboard:otlp:bad:${kind}`, `dropped a malformed OTLP ${kind} request: ${String(err)}`);
      return reply(res, 400, 'malformed OTLP request');
    }
    // An empty ExportServiceResponse: `{}` in JSON, zero bytes in protobuf.
    res.statusCode = 200;
    res.setHeader('Content-Type', json ? 'application/json' : 'application/x-protobuf');
    res.end(json ? '{}' : '');
  }
}

function reply(res: ServerResponse, status: number, message: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(`${message}\n`);
}

function tokenOk(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const a = Buffer.from(header);
  const b = Buffer.from(`Bearer ${token}`);
  return a.length === b.length && timingSafeEqual(a, b);
}
