// Decision 006: the HTTP instrumentation's SERVER spans are LeanSpans when the provider is one
// createMonitoring built. These tests hold them to the SDK span: the same operations give the
// same span, and the same requests give the same OTLP bytes on the wire (ids and times aside).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, diag, trace, type DiagLogger, type Span } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { HttpServerInstrumentation } from '../../src/instrumentation/HttpServerInstrumentation.js';
import { createMonitoring, type Monitoring } from '../../src/monitoring/createMonitoring.js';
import { LeanSpan, leanTracer } from '../../src/tracing/LeanTracer.js';
import { OtlpReceiver } from '../helpers/otlpReceiver.js';

type Obj = Record<string, unknown>;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A processor of the app's own: with it, createMonitoring's provider gives the SDK's spans. */
const noopProcessor: SpanProcessor = {
  onStart: () => undefined,
  onEnd: () => undefined,
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
};

function monitoring(lean: boolean, extra: Partial<Parameters<typeof createMonitoring>[0]> = {}): Monitoring {
  const m = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'svc-lean', ...extra }, lean ? {} : { spanProcessors: [noopProcessor] });
  cleanups.push(() => m.shutdown(5000));
  return m;
}

/** What a processor or exporter reads of an ended span, times and ids left out. */
function view(span: ReadableSpan): Obj {
  return {
    name: span.name,
    kind: span.kind,
    parent: span.parentSpanContext?.spanId,
    traceFlags: span.spanContext().traceFlags,
    attributes: { ...span.attributes },
    status: span.status,
    // The stack differs by caller; that it is there is checked below.
    events: span.events.map((e) => ({ name: e.name, attributes: { ...e.attributes, 'exception.stacktrace': typeof e.attributes?.['exception.stacktrace'] }, droppedAttributesCount: e.droppedAttributesCount })),
    links: span.links,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
    ended: span.ended,
    scope: span.instrumentationScope,
    resource: span.resource.attributes,
  };
}

const hrMs = (t: [number, number]): number => t[0] * 1000 + t[1] / 1e6;

describe('LeanSpan against the SDK span', () => {
  it('the same calls leave the same span for processors to read', () => {
    const warnings: string[] = [];
    const logger: DiagLogger = {
      error: (m) => void warnings.push(m),
      warn: (m) => void warnings.push(m),
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    };
    diag.setLogger(logger);
    cleanups.push(async () => diag.disable());

    const m = monitoring(true);
    const sdkTracer = m.tracerProvider.getTracer('scope-a', '1.2.3');
    const lean = leanTracer(m.tracerProvider, 'scope-a', '1.2.3')!;
    expect(lean).toBeDefined();
    const parent = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED, isRemote: true };
    const parentCtx = trace.setSpanContext(ROOT_CONTEXT, parent);

    const play = (span: Span): void => {
      span.setAttribute('a', 'x');
      span.setAttributes({ b: 2, c: true, d: ['p', 'q'], e: undefined, f: null as unknown as string });
      span.setAttribute('', 'empty key');
      span.setAttribute('g', { nested: 1 } as unknown as string);
      for (let i = 0; i < 130; i++) span.setAttribute(`k${i}`, i);
      span.setAttribute('a', 'overwritten at the limit');
      span.addEvent('plain');
      span.addEvent('with attributes', { id: 7, bad: { x: 1 } as unknown as string });
      span.recordException(new Error('boom'));
      span.recordException('just a message');
      const many = Object.fromEntries(Array.from({ length: 130 }, (_, i) => [`n${i}`, i]));
      span.addEvent('many attributes', many);
      span.addLink({ context: parent, attributes: many });
      span.addLink({ context: parent, attributes: { why: 'retry' } });
      span.addLinks([{ context: parent }]);
      span.setStatus({ code: SpanStatusCode.UNSET });
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
      span.updateName('renamed');
      span.end();
      span.setAttribute('after', 'end');
      span.updateName('after end');
      span.end();
    };
    const started = Date.now();
    const sdk = sdkTracer.startSpan('op', { kind: SpanKind.SERVER }, parentCtx);
    play(sdk);
    const sdkWarnings = warnings.splice(0);
    const ours = lean.startSpan('op', SpanKind.SERVER, parentCtx, parent, performance.now());
    expect(ours).toBeInstanceOf(LeanSpan);
    play(ours);
    const leanWarnings = warnings.splice(0);

    const [a, b] = [view(sdk as unknown as ReadableSpan), view(ours as unknown as ReadableSpan)];
    expect(b).toEqual(a);
    expect(b['droppedAttributesCount']).toBe(6);
    expect((b['events'] as { attributes: Obj }[])[2]!.attributes['exception.stacktrace']).toBe('string');
    // 130 attributes on an event and a link: the first 128 kept.
    expect((b['events'] as { name: string; droppedAttributesCount: number }[])[4]).toMatchObject({ name: 'many attributes', droppedAttributesCount: 2 });
    expect((b['links'] as { droppedAttributesCount?: number }[])[0]!.droppedAttributesCount).toBe(2);
    expect((b['attributes'] as Obj)['a']).toBe('overwritten at the limit');
    // The same diagnostics, ids aside: empty key, bad value, use after end, ending twice.
    const strip = (s: string): string => s.replace(/[0-9a-f]{16,32}/g, 'ID');
    expect(leanWarnings.map(strip)).toEqual(sdkWarnings.map(strip));
    expect(leanWarnings.length).toBeGreaterThanOrEqual(4);

    // Times: wall clock at the start, a non-negative duration, end = start + duration.
    const lr = ours as unknown as ReadableSpan;
    expect(hrMs(lr.startTime)).toBeGreaterThanOrEqual(started - 5);
    expect(hrMs(lr.startTime)).toBeLessThanOrEqual(Date.now() + 5);
    expect(hrMs(lr.duration)).toBeGreaterThanOrEqual(0);
    expect(hrMs(lr.endTime) - hrMs(lr.startTime)).toBeCloseTo(hrMs(lr.duration), 3);
  });

  it('ends at an explicit time as the SDK span does, never before its start', () => {
    const m = monitoring(true);
    const lean = leanTracer(m.tracerProvider, 'scope-b')!;
    const sdkTracer = m.tracerProvider.getTracer('scope-b');
    for (const end of [new Date(Date.now() + 250), Date.now() - 60_000, [Math.floor(Date.now() / 1000) + 1, 5] as [number, number]]) {
      const sdk = sdkTracer.startSpan('t', {}, ROOT_CONTEXT) as unknown as ReadableSpan & Span;
      const ours = lean.startSpan('t', SpanKind.INTERNAL, ROOT_CONTEXT, undefined, performance.now()) as unknown as ReadableSpan & Span;
      sdk.end(end);
      ours.end(end);
      // Both within a few ms (the two spans started a moment apart).
      expect(Math.abs(hrMs(ours.endTime) - hrMs(sdk.endTime))).toBeLessThan(20);
      expect(Math.abs(hrMs(ours.duration) - hrMs(sdk.duration))).toBeLessThan(20);
      expect(hrMs(ours.duration)).toBeGreaterThanOrEqual(0);
    }
  });

  it('follows the provider: its sampler decides, its processors get the ended span, its resource is the span\'s', () => {
    const m = monitoring(true, { tracesSampler: 'always_off' });
    const lean = leanTracer(m.tracerProvider, 'scope-c')!;
    const dropped = lean.startSpan('dropped', SpanKind.SERVER, ROOT_CONTEXT, undefined, performance.now());
    expect(dropped.isRecording()).toBe(false);
    expect(dropped).not.toBeInstanceOf(LeanSpan);
    dropped.end();
    expect(m.spanStore.total).toBe(0);

    const on = monitoring(true, { tracesSampler: 'always_on' });
    const tracer = leanTracer(on.tracerProvider, 'scope-c')!;
    const span = tracer.startSpan('kept', SpanKind.SERVER, ROOT_CONTEXT, undefined, performance.now());
    (span as LeanSpan).endAt(performance.now());
    expect(on.spanStore.spans().map((s) => s.spanContext().spanId)).toEqual([span.spanContext().spanId]);
    expect(on.spanStore.spans()[0]!.resource.attributes['service.name']).toBe('svc-lean');
    expect(span.spanContext().traceFlags).toBe(TraceFlags.SAMPLED);

    // A provider given processors of the app's own has no lean tracer: they get the SDK's spans.
    expect(leanTracer(monitoring(false).tracerProvider, 'scope-c')).toBeUndefined();
  });
});

/** Serves the same four requests to whichever instrumentation is enabled; returns the spans exported over OTLP/JSON. */
async function exported(lean: boolean): Promise<{ spans: Obj[]; scopes: Obj[]; window: [number, number] }> {
  const receiver = await OtlpReceiver.started(cleanups);
  const m = monitoring(lean, { tracesExporter: ['otlp'], otlpEndpoint: receiver.url, otlpProtocol: 'http/json', metricExportInterval: 60_000 });
  const inst = new HttpServerInstrumentation({ collector: m.collector, tracerProvider: m.tracerProvider, sampler: m.sampler }).enable();
  cleanups.push(async () => inst.disable());
  let aborted: () => void = () => undefined;
  const abortedSeen = new Promise<void>((resolve) => (aborted = resolve));
  const server = http.createServer((req, res) => {
    const span = trace.getActiveSpan()!;
    span.setAttribute('app.user', 'u-1');
    if (req.url === '/slow') {
      span.addEvent('waiting', { queue: 3 });
      req.socket.once('close', () => setImmediate(aborted));
      return; // never answered: the client gives up
    }
    if (req.url!.startsWith('/fail')) {
      span.recordException(new Error('card declined'));
      res.statusCode = 500;
    }
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  cleanups.push(async () => server.closeAllConnections());
  const port = (server.address() as AddressInfo).port;
  const get = (path: string, method = 'GET', headers: Record<string, string> = {}): Promise<void> =>
    new Promise((resolve, reject) => {
      http
        .request({ host: '127.0.0.1', port, path, method, headers: { 'user-agent': 'lean-test', ...headers }, agent: false }, (res) => res.resume().on('end', resolve))
        .on('error', reject)
        .end();
    });
  const from = Date.now();
  await get('/orders/7?x=1');
  await get('/fail', 'POST');
  await get('/child', 'GET', { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'vendor=v1' });
  const slow = http.request({ host: '127.0.0.1', port, path: '/slow', agent: false });
  slow.on('error', () => undefined).end();
  await new Promise((r) => setTimeout(r, 50));
  slow.destroy();
  await abortedSeen;
  const to = Date.now();
  await m.forceFlush(5000);
  await receiver.waitFor('4 server spans', () => receiver.spans.length >= 4);
  const byPath = (s: Obj): string => String((s['attributes'] as { key: string; value: { stringValue?: string } }[]).find((a) => a.key === 'url.path')?.value.stringValue);
  const spans = receiver.spans.map((s) => s.otlp).sort((a, b) => byPath(a).localeCompare(byPath(b)));
  return { spans, scopes: receiver.spans.map((s) => s.scopeOtlp), window: [from, to] };
}

/** An OTLP/JSON span with what differs by run (ids, times, the two ports) taken out; the times checked to lie in `window`. */
function comparable(span: Obj, window: [number, number]): Obj {
  const { traceId, spanId, parentSpanId, startTimeUnixNano, endTimeUnixNano, events, attributes, ...rest } = span as Obj & {
    events: (Obj & { timeUnixNano: string })[];
    attributes: { key: string }[];
    startTimeUnixNano: string;
    endTimeUnixNano: string;
  };
  const start = Number(BigInt(startTimeUnixNano) / 1_000_000n);
  const end = Number(BigInt(endTimeUnixNano) / 1_000_000n);
  expect(start).toBeGreaterThanOrEqual(window[0] - 5);
  expect(end).toBeGreaterThanOrEqual(start);
  expect(end).toBeLessThanOrEqual(window[1] + 5);
  for (const e of events) expect(Number(BigInt(e.timeUnixNano) / 1_000_000n)).toBeGreaterThanOrEqual(start);
  expect(typeof traceId).toBe('string');
  expect(typeof spanId).toBe('string');
  return {
    ...rest,
    remoteParent: parentSpanId === '00f067aa0ba902b7' || parentSpanId === Buffer.from('00f067aa0ba902b7', 'hex').toString('base64') ? 'caller' : parentSpanId,
    events: events.map(({ timeUnixNano: _time, ...e }) => ({ ...e, ...('attributes' in e ? { attributes: (e['attributes'] as { key: string }[]).filter((a) => a.key !== 'exception.stacktrace') } : {}) })),
    attributes: attributes.filter((a) => a.key !== 'network.peer.port' && a.key !== 'server.port'),
  };
}

describe('HTTP SERVER spans over OTLP: lean and SDK', () => {
  it('the same requests send the same spans to the collector', async () => {
    const ours = await exported(true);
    while (cleanups.length > 0) await cleanups.pop()!();
    const sdk = await exported(false);
    expect(ours.spans).toHaveLength(4);
    expect(ours.spans.map((s) => s['name'])).toEqual(['GET', 'POST', 'GET', 'GET']);
    expect(ours.spans.map((s) => comparable(s, ours.window))).toEqual(sdk.spans.map((s) => comparable(s, sdk.window)));
    expect(ours.scopes[0]).toEqual(sdk.scopes[0]);
    // And they carry what they should, so the comparison is not of two empty things.
    const [child, fail, orders, slow] = ours.spans.map((s) => comparable(s, ours.window));
    expect(child!['remoteParent']).toBe('caller');
    expect(child!['traceState']).toBe('vendor=v1');
    expect(orders!['attributes']).toEqual(expect.arrayContaining([{ key: 'url.query', value: { stringValue: 'x=1' } }, { key: 'app.user', value: { stringValue: 'u-1' } }]));
    expect(fail!['status']).toEqual({ code: 2 });
    expect((fail!['events'] as Obj[])[0]!['name']).toBe('exception');
    expect(slow!['status']).toEqual({ code: 2, message: 'request aborted' });
    expect((slow!['events'] as Obj[])[0]!['name']).toBe('waiting');
  });
});
