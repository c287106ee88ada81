import { afterEach, describe, expect, it } from 'vitest';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { createMonitoring, type Monitoring } from '../../src/monitoring/createMonitoring.js';
import { OtlpReceiver } from '../helpers/otlpReceiver.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function receiver(): Promise<OtlpReceiver> {
  return OtlpReceiver.started(cleanups);
}

function monitoringTo(r: OtlpReceiver, protocol: 'http/protobuf' | 'http/json', serviceName: string): Monitoring {
  const m = createMonitoring(
    { mode: MonitoringMode.EVENT_DRIVEN, serviceName, otlpEndpoint: r.url, otlpProtocol: protocol, metricExportInterval: 60_000 },
    { registerGlobal: false },
  );
  cleanups.push(() => m.shutdown(5000));
  return m;
}

/** Records a parent phase with two children, one of which fails, and a counter. */
async function recordWorkload(m: Monitoring): Promise<{ traceId: string; parentSpanId: string }> {
  let traceId = '';
  let parentSpanId = '';
  await m.coordinator.measure('handle-order', async (parent) => {
    traceId = parent.traceId;
    parentSpanId = parent.spanId;
    await m.coordinator.measure('load-cart', async () => undefined);
    await m.coordinator
      .measure('charge-card', async () => {
        throw new Error('card declined');
      })
      .catch(() => undefined);
  });
  m.collector.incrementCounter('orders_total', { region: 'eu' }, 3);
  return { traceId, parentSpanId };
}

describe.each(['http/protobuf', 'http/json'] as const)('OTLP export over %s', (protocol) => {
  it('delivers spans with resource, names, parent links, status and events', async () => {
    const r = await receiver();
    const m = monitoringTo(r, protocol, `otlp-${protocol.replace('/', '-')}`);
    const { traceId, parentSpanId } = await recordWorkload(m);
    await m.forceFlush(5000);
    await r.waitFor('3 spans', () => r.spans.length >= 3);

    expect(r.requests[0]!.contentType).toBe(protocol === 'http/json' ? 'application/json' : 'application/x-protobuf');
    const byName = new Map(r.spans.map((s) => [s.name, s]));
    const parent = byName.get('handle-order')!;
    const load = byName.get('load-cart')!;
    const charge = byName.get('charge-card')!;
    expect(parent.resource).toMatchObject({
      'service.name': `otlp-${protocol.replace('/', '-')}`,
      'telemetry.sdk.name': 'opentelemetry',
      'telemetry.sdk.language': 'nodejs',
      'telemetry.sdk.version': expect.stringMatching(/^2\.12\./),
    });
    expect(parent.scope).toBe('service-infrastructure');
    expect(parent).toMatchObject({ traceId, spanId: parentSpanId, parentSpanId: '' });
    expect(load).toMatchObject({ traceId, parentSpanId });
    expect(charge).toMatchObject({ traceId, parentSpanId, status: { code: 2, message: 'card declined' } });
    expect(load.status.code).not.toBe(2);
    expect(charge.events).toEqual([
      expect.objectContaining({ name: 'exception', attributes: expect.objectContaining({ 'exception.message': 'card declined', 'exception.type': 'Error' }) }),
    ]);
  });

  it('delivers metric data points: counters, phase histograms with exemplars', async () => {
    const r = await receiver();
    const m = monitoringTo(r, protocol, 'otlp-metrics');
    const { traceId } = await recordWorkload(m);
    await m.forceFlush(5000);
    await r.waitFor('metrics', () => r.points.some((p) => p.metric === 'orders_total'));

    const orders = r.points.find((p) => p.metric === 'orders_total')!;
    expect(orders).toMatchObject({ kind: 'sum', value: 3, attributes: { region: 'eu' } });
    expect(orders.resource['service.name']).toBe('otlp-metrics');
    const phases = r.points.filter((p) => p.metric === 'performance.phase.duration');
    expect(phases.map((p) => p.attributes['phase']).sort()).toEqual(['charge-card', 'handle-order', 'load-cart']);
    const load = phases.find((p) => p.attributes['phase'] === 'load-cart')!;
    expect(load.count).toBe(1);
    expect(load.bucketCounts.reduce((a, b) => a + b, 0)).toBe(1);
    expect(load.explicitBounds.length).toBe(load.bucketCounts.length - 1);
    // The sampled span the duration was recorded in rides along as the point's exemplar.
    expect(load.exemplars).toHaveLength(1);
    expect(load.exemplars[0]).toMatchObject({ traceId, value: load.sum });
    const loadSpan = r.spans.find((s) => s.name === 'load-cart');
    if (loadSpan !== undefined) expect(load.exemplars[0]!.spanId).toBe(loadSpan.spanId);
    expect(load.exemplars[0]!.spanId).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('OTLP retries', () => {
  it('retries a batch the collector refused with 503, backing off, until it is accepted', async () => {
    const r = await receiver();
    const m = monitoringTo(r, 'http/protobuf', 'otlp-retry');
    r.failNext = 2;
    r.failPath = '/v1/traces';
    m.coordinator.measure('retried', () => undefined);
    await m.forceFlush(10_000);
    await r.waitFor('the retried span', () => r.spans.some((s) => s.name === 'retried'), 15_000);
    expect(r.spans.filter((s) => s.name === 'retried')).toHaveLength(1);
    const at = r.attempts.filter((a) => a.path === '/v1/traces').map((a) => a.at);
    expect(at.length).toBe(3);
    // Exponential backoff with ±20% jitter: about 1 s, then about 1.5 s between tries.
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(700);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(1100);
  }, 20_000);
});

describe('OTLP receiver outage', () => {
  it('keeps the app running, bounds the queue, counts drops, and delivers what was queued once the receiver is back', async () => {
    const r = await receiver();
    const port = r.port;
    const m = monitoringTo(r, 'http/protobuf', 'otlp-outage');
    await m.coordinator.measure('before-outage', () => undefined);
    await m.forceFlush(5000);
    await r.waitFor('the first span', () => r.spans.some((s) => s.name === 'before-outage'));

    await r.stop();
    // While the receiver is down, the app keeps recording: far more spans than the 2048-span queue holds.
    const TOTAL = 5000;
    for (let i = 0; i < TOTAL; i++) m.coordinator.measure('during-outage', () => i);
    // Wait until an export to the dead receiver is in flight (being retried with backoff).
    const inflight = async (): Promise<number> => {
      const metric = await m.collector.readMetric('otel.sdk.exporter.span.inflight');
      return metric?.series.reduce((a, s) => a + (s.value ?? 0), 0) ?? 0;
    };
    const until = Date.now() + 10_000;
    while ((await inflight()) === 0) {
      if (Date.now() > until) throw new Error('no export attempt during the outage');
      await new Promise((res) => setTimeout(res, 50));
    }

    // Drops are counted as a self-metric, and the queue never grows past its capacity.
    const processed = await m.collector.readMetric('otel.sdk.processor.span.processed');
    const dropped = processed?.series.filter((s) => s.labels['error.type'] === 'queue_full').reduce((a, s) => a + (s.value ?? 0), 0) ?? 0;
    expect(dropped).toBeGreaterThan(0);
    const queue = await m.collector.readMetric('otel.sdk.processor.span.queue.size');
    expect(queue!.series[0]!.value).toBeLessThanOrEqual(2048);
    // The app is still fine: phases still work and measure returns values.
    expect(m.coordinator.measure('still-alive', () => 42)).toBe(42);

    await r.start(port); // the collector comes back on the same port
    await r.waitFor('queued spans after the outage', () => r.spans.filter((s) => s.name === 'during-outage').length >= 512, 20_000);
    await m.forceFlush(10_000);
    const delivered = r.spans.filter((s) => s.name === 'during-outage' || s.name === 'still-alive').length;
    const after = await m.collector.readMetric('otel.sdk.processor.span.processed');
    const droppedInAll = after?.series.filter((s) => s.labels['error.type'] === 'queue_full').reduce((a, s) => a + (s.value ?? 0), 0) ?? 0;
    // Everything not dropped on a full queue arrived: the in-flight batch was retried, the queue flushed.
    expect(delivered).toBeGreaterThanOrEqual(2048);
    expect(delivered + droppedInAll).toBe(TOTAL + 1);
  }, 40_000);
});
