import { gzipSync } from 'node:zlib';
import { ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import { JsonMetricsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { StandaloneDashboard } from '../../src/dashboard/StandaloneDashboard.js';

// The standalone receiver in-process, fed with what OTel's own exporters serialise.

async function spansBody(): Promise<Uint8Array> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'proto-app' }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('t');
  const root = tracer.startSpan('POST /pay');
  {
    const child = tracer.startSpan('charge', { attributes: { 'card.brand': 'visa', retries: 2, flags: ['a', 'b'] } }, trace.setSpan(ROOT_CONTEXT, root));
    child.addEvent('declined', { code: 51 });
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'declined' });
    child.end();
    root.end();
  }
  // Serialised before shutdown: the in-memory exporter forgets its spans when it shuts down.
  const body = ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans())!;
  await provider.shutdown();
  return body;
}

async function metricsRequest(temporality: AggregationTemporality) {
  const exporter = new InMemoryMetricExporter(temporality);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 1_000_000 });
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'proto-app' }), readers: [reader] });
  const meter = provider.getMeter('m');
  meter.createCounter('jobs').add(3, { queue: 'q1' });
  meter.createUpDownCounter('inflight').add(-2);
  meter.createGauge('temperature').record(21.5, { room: 'lab' });
  meter.createHistogram('latency', { advice: { explicitBucketBoundaries: [10, 100] } }).record(42);
  meter.createObservableGauge('health.check.status').addCallback((r) => {
    r.observe(0.5, { check: 'database', category: 'component', critical: 'true' });
  });
  await reader.forceFlush();
  const rm = exporter.getMetrics()[0]!;
  await provider.shutdown();
  return rm;
}

describe('standalone OTLP receiver', () => {
  let dash: StandaloneDashboard | undefined;
  afterEach(async () => {
    await dash?.shutdown();
    dash = undefined;
  });

  async function start(options: ConstructorParameters<typeof StandaloneDashboard>[0] = {}): Promise<{ ui: string; otlp: string }> {
    dash = new StandaloneDashboard({ port: 0, otlpPort: 0, ...options });
    return dash.listen();
  }

  it('takes protobuf traces (gzip too) and keeps kinds, status, attributes and events', async () => {
    const { ui, otlp } = await start();
    const body = await spansBody();
    expect((await fetch(`${otlp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body })).status).toBe(200);
    const gz = await fetch(`${otlp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' }, body: gzipSync(body) });
    expect(gz.status).toBe(200);
    const list = (await (await fetch(`${ui}api/traces?service=proto-app`)).json()) as { total: number; traces: { traceId: string; name: string }[] };
    expect(list.total).toBe(1); // the same trace twice: its spans were added again, not a new trace
    const detail = (await (await fetch(`${ui}api/traces/${list.traces[0]!.traceId}`)).json()) as { spans: { name: string; kind: number; status: string; statusMessage?: string; attributes: Record<string, unknown>; events: { name: string; attributes: Record<string, unknown> }[] }[] };
    const charge = detail.spans.find((s) => s.name === 'charge')!;
    expect(charge).toMatchObject({ kind: 0, status: 'error', statusMessage: 'declined', attributes: { 'card.brand': 'visa', retries: 2, flags: ['a', 'b'] } });
    expect(charge.events).toEqual([expect.objectContaining({ name: 'declined', attributes: { code: 51 } })]);
    expect(dash!.received).toMatchObject({ spans: 4, requests: 2, rejected: 0 });
  });

  it('takes protobuf and JSON metrics, cumulative and delta, and reads health gauges as health history', async () => {
    const { ui, otlp } = await start();
    const post = (body: Uint8Array, type: string) => fetch(`${otlp}/v1/metrics`, { method: 'POST', headers: { 'content-type': type }, body });
    expect((await post(ProtobufMetricsSerializer.serializeRequest(await metricsRequest(AggregationTemporality.CUMULATIVE))!, 'application/x-protobuf')).status).toBe(200);
    expect((await post(JsonMetricsSerializer.serializeRequest(await metricsRequest(AggregationTemporality.DELTA))!, 'application/json')).status).toBe(200);
    const metrics = (await (await fetch(`${ui}api/metrics`)).json()) as { metrics: { name: string; kind: string }[] };
    expect(Object.fromEntries(metrics.metrics.map((m) => [m.name, m.kind]))).toMatchObject({
      jobs: 'counter',
      inflight: 'updowncounter',
      temperature: 'gauge',
      latency: 'histogram',
      'health.check.status': 'gauge',
    });
    const q = (await (await fetch(`${ui}api/query?metric=temperature&agg=max&by=room`)).json()) as { series: { labels: Record<string, string>; values: (number | null)[] }[] };
    expect(q.series[0]!.labels).toEqual({ room: 'lab' });
    expect(q.series[0]!.values.filter((v) => v !== null).pop()).toBe(21.5);
    const health = (await (await fetch(`${ui}api/health`)).json()) as { status: string; checks: { name: string; status: string; category: string; critical: boolean }[] };
    expect(health.checks).toEqual([expect.objectContaining({ name: 'proto-app/database', status: 'degraded', category: 'component', critical: true })]);
    expect(health.status).toBe('degraded');
  });

  it('answers bad requests without storing anything', async () => {
    const { otlp } = await start({ maxBodyBytes: 2048 });
    const post = (path: string, headers: Record<string, string>, body: string | Uint8Array) => fetch(`${otlp}${path}`, { method: 'POST', headers, body });
    expect((await post('/v1/logs', { 'content-type': 'application/json' }, '{}')).status).toBe(404);
    expect((await fetch(`${otlp}/v1/traces`)).status).toBe(405);
    expect((await post('/v1/traces', { 'content-type': 'text/plain' }, 'hi')).status).toBe(415);
    expect((await post('/v1/traces', { 'content-type': 'application/json' }, '{not json')).status).toBe(400);
    expect((await post('/v1/traces', { 'content-type': 'application/x-protobuf' }, new Uint8Array([0xff, 0xff, 0xff]))).status).toBe(400);
    expect((await post('/v1/traces', { 'content-type': 'application/json' }, 'x'.repeat(5000))).status).toBe(413);
    expect(dash!.stores.traces.size).toBe(0);
    expect(dash!.received.rejected).toBe(3); // the two malformed bodies and the oversized one
  });

  it('needs the bearer token on OTLP when it has one', async () => {
    const token = 'sixteen-chars-token';
    const { otlp } = await start({ token });
    const body = await spansBody();
    const headers = { 'content-type': 'application/x-protobuf' };
    expect((await fetch(`${otlp}/v1/traces`, { method: 'POST', headers, body })).status).toBe(401);
    expect((await fetch(`${otlp}/v1/traces`, { method: 'POST', headers: { ...headers, authorization: `Bearer ${token}` }, body })).status).toBe(200);
  });

  it('refuses bad options at setup, naming them', () => {
    expect(() => new StandaloneDashboard({ otlpPort: 70000 })).toThrow(/dashboard\.otlpPort/);
    expect(() => new StandaloneDashboard({ maxBodyBytes: 1 })).toThrow(/dashboard\.maxBodyBytes/);
    expect(() => new StandaloneDashboard({ host: '0.0.0.0' })).toThrow(/dashboard\.host/);
  });
});
