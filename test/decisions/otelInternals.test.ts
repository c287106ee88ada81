// Each OTel-internals workaround (docs/decisions/) has a check here that fails loudly when an OTel
// upgrade changes what the workaround relies on, naming the decision note to revisit.
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { RPCType, getRPCMetadata } from '@opentelemetry/core';
import { DataPointType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { describe, expect, it } from 'vitest';
import { exemplarsOf } from '../../src/collectors/exemplars.js';
import { sendExemplars } from '../../src/export/otlpExemplars.js';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { createMonitoring } from '../../src/monitoring/createMonitoring.js';
import { LeanSpan, leanTracer } from '../../src/tracing/LeanTracer.js';
import { enteredContextEndsWithCallback } from '../../src/tracing/contextManager.js';

class PlainReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

describe('OTel internals the SDK relies on', () => {
  it('001: OTel histogram points carry no exemplars of their own (else map ours onto theirs)', async () => {
    const reader = new PlainReader();
    const provider = new MeterProvider({ readers: [reader] });
    provider.getMeter('t').createHistogram('h').record(1, { a: 'b' });
    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics[0]!.metrics[0]!;
    expect(metric.dataPointType).toBe(DataPointType.HISTOGRAM);
    if (metric.dataPointType !== DataPointType.HISTOGRAM) return;
    const point = metric.dataPoints[0]!;
    expect(Object.keys(point).sort(), 'OTel data points changed shape: see docs/decisions/001-exemplars-on-data-points.md').toEqual([
      'attributes',
      'endTime',
      'startTime',
      'value',
    ]);
    expect(exemplarsOf(point)).toBeUndefined();
    await provider.shutdown();
  });
});

describe('OTel internals: OTLP exemplars, HTTP context, span fields, lean spans', () => {
  it('002: OTLP metric exporters still have the private serializer the exemplar patch wraps', async () => {
    const { OTLPMetricExporter: Proto } = await import('@opentelemetry/exporter-metrics-otlp-proto');
    const { OTLPMetricExporter: Json } = await import('@opentelemetry/exporter-metrics-otlp-http');
    const proto = new Proto({ url: 'http://127.0.0.1:9/v1/metrics' });
    const json = new Json({ url: 'http://127.0.0.1:9/v1/metrics' });
    expect(sendExemplars(proto, 'http/protobuf'), 'see docs/decisions/002-otlp-exemplars-serializer.md').toBe(true);
    expect(sendExemplars(json, 'http/json'), 'see docs/decisions/002-otlp-exemplars-serializer.md').toBe(true);
    await Promise.all([proto.shutdown(), json.shutdown()]);
  });

  it("003: the API keeps the active span under Symbol.for('OpenTelemetry Context Key SPAN')", () => {
    const span = trace.wrapSpanContext({ traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: 0 });
    const ctx = ROOT_CONTEXT.setValue(Symbol.for('OpenTelemetry Context Key SPAN'), span);
    expect(trace.getSpan(ctx), 'see docs/decisions/003-http-context-key-and-emit.md').toBe(span);
  });

  it("003: core keeps the RPC metadata under Symbol.for('OpenTelemetry SDK Context Key RPC_METADATA')", () => {
    const span = trace.wrapSpanContext({ traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: 0 });
    const rpc = { type: RPCType.HTTP, span } as const;
    const ctx = ROOT_CONTEXT.setValue(Symbol.for('OpenTelemetry SDK Context Key RPC_METADATA'), rpc);
    expect(getRPCMetadata(ctx), 'see docs/decisions/003-http-context-key-and-emit.md').toBe(rpc);
  });

  it("003: http.server.request.start fires before 'request' is emitted through server.emit, with the server", async () => {
    const order: string[] = [];
    let seenServer: unknown;
    const onStart = (message: unknown): void => {
      order.push('channel');
      seenServer = (message as { server?: unknown }).server;
    };
    diagnosticsChannel.subscribe('http.server.request.start', onStart);
    const server = createServer((_req, res) => res.end('ok'));
    const emit = server.emit.bind(server);
    server.emit = ((type: string, ...args: unknown[]) => {
      if (type === 'request') order.push('emit');
      return emit(type, ...args);
    }) as typeof server.emit;
    try {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
      expect(order, 'see docs/decisions/003-http-context-key-and-emit.md').toEqual(['channel', 'emit']);
      expect(seenServer).toBe(server);
    } finally {
      diagnosticsChannel.unsubscribe('http.server.request.start', onStart);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('004: spans of the SDK tracer carry startTime, endTime and duration once ended', async () => {
    const provider = new NodeTracerProvider();
    const span = provider.getTracer('t').startSpan('phase');
    span.end();
    const readable = span as unknown as ReadableSpan;
    for (const field of ['startTime', 'endTime', 'duration'] as const) {
      expect(Array.isArray(readable[field]) && readable[field].length === 2, `span.${field}: see docs/decisions/004-readable-span-fields.md`).toBe(true);
    }
    await provider.shutdown();
  });

  it('006: a LeanSpan has every public member of the SDK span, so processors and exporters find what they read', async () => {
    const m = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'internals' });
    try {
      const sdk = m.tracerProvider.getTracer('t').startSpan('sdk');
      const lean = leanTracer(m.tracerProvider, 't')!.startSpan('lean', SpanKind.SERVER, ROOT_CONTEXT, undefined, performance.now());
      expect(lean).toBeInstanceOf(LeanSpan);
      const missing = publicMembers(sdk).filter((name) => !publicMembers(lean).includes(name));
      expect(missing, 'the SDK span gained members: see docs/decisions/006-lean-server-spans.md').toEqual([]);
    } finally {
      await m.shutdown();
    }
  });

  it("007: OTel's AsyncLocalStorage context manager enters a context with attach(), and the parser's callbacks restore the frame after it", async () => {
    const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
    const manager = new AsyncLocalStorageContextManager().enable();
    const key = Symbol('007');
    const entered = ROOT_CONTEXT.setValue(key, 'entered');
    // attach() is experimental in @opentelemetry/context-async-hooks: it must still enter the
    // context without a callback and hand back something to dispose of.
    const seen = new AsyncResource('007').runInAsyncScope(() => {
      const token = manager.attach(entered);
      return { value: manager.active().getValue(key), disposable: typeof token.dispose === 'function' };
    });
    expect(seen, "the manager's attach() changed: see docs/decisions/007-request-context-for-the-rest-of-the-callback.md").toEqual({ value: 'entered', disposable: true });
    manager.disable();

    // Where AsyncLocalStorage runs on AsyncContextFrame (Node 24 on), a store entered in a
    // resource's callback ends with it, and one entered in a 'request' listener ends with the
    // parser's callback: the next request on the same connection (same parser, same packet)
    // starts without it. On async_hooks (Node 20 and 22) it stays on the parser, which is why the
    // instrumentation keeps `context.with` there.
    const endsWithCallback = enteredContextEndsWithCallback();
    expect(endsWithCallback).toBe(Number(process.versions.node.split('.')[0]) >= 24);
    const storage = new AsyncLocalStorage<string>();
    const before: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      before.push(storage.getStore());
      storage.enterWith(req.url!);
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
      socket.write('GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n');
      let answers = '';
      await new Promise<void>((resolve, reject) => {
        socket.on('data', (d: Buffer) => {
          answers += d.toString();
          if (answers.split('HTTP/1.1 200').length === 3) resolve();
        });
        socket.on('error', reject);
      });
      socket.destroy();
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    expect(before, "a store entered in a 'request' listener reached the next request: see docs/decisions/007-request-context-for-the-rest-of-the-callback.md").toEqual(
      endsWithCallback ? [undefined, undefined] : [undefined, '/a'],
    );
  });
});

/** Names of an object's own and inherited properties and methods, internal (`_`) ones left out. */
function publicMembers(o: object): string[] {
  const names = new Set<string>();
  for (let p: object | null = o; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const name of Object.getOwnPropertyNames(p)) if (!name.startsWith('_') && name !== 'constructor') names.add(name);
  }
  return [...names].sort();
}
