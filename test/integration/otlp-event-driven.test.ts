import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MonitoringMode, createMonitoring, type Monitoring, type MonitoringEvent } from '../../src/index.js';
import { OtlpReceiver } from '../helpers/otlpReceiver.js';

let receiver: OtlpReceiver;
let monitoring: Monitoring | undefined;

beforeEach(async () => {
  receiver = new OtlpReceiver();
  await receiver.start();
});
afterEach(async () => {
  await monitoring?.shutdown(2000);
  monitoring = undefined;
  await receiver.stop();
});

describe('EVENT_DRIVEN mode over OTLP/HTTP', () => {
  it.each(['http/protobuf', 'http/json'] as const)('exports phase spans (%s) with the ids the bus events carried', async (protocol) => {
    monitoring = createMonitoring(
      { mode: MonitoringMode.EVENT_DRIVEN, serviceName: 'otlp-test', otlpEndpoint: receiver.url, otlpProtocol: protocol, metricExportInterval: 60_000 },
      { registerGlobal: false },
    );
    const m = monitoring;
    const events: MonitoringEvent[] = [];
    m.events.subscribe('performance.phase.*', (e) => {
      events.push(e);
    });
    await m.coordinator.measure('checkout', async () => {
      await m.coordinator.measure('reserve-stock', async () => undefined);
      try {
        m.coordinator.measure('charge-card', () => {
          throw new Error('card declined');
        });
      } catch {
        // expected
      }
    });
    m.collector.incrementCounter('orders_total', { region: 'eu' }, 2);
    await m.forceFlush();

    await receiver.waitFor('three spans at the receiver', () => receiver.spans.length >= 3);
    expect(receiver.requests.find((r) => r.path === '/v1/traces')!.contentType).toContain(protocol === 'http/json' ? 'json' : 'protobuf');
    const byName = new Map(receiver.spans.map((s) => [s.name, s]));
    const checkout = byName.get('checkout')!;
    const reserve = byName.get('reserve-stock')!;
    const charge = byName.get('charge-card')!;
    expect(checkout.resource['service.name']).toBe('otlp-test');
    expect(checkout.resource['telemetry.sdk.language']).toBe('nodejs');
    expect(reserve.parentSpanId).toBe(checkout.spanId);
    expect(charge.parentSpanId).toBe(checkout.spanId);
    expect(checkout.parentSpanId).toBe('');
    expect(charge.status).toEqual({ code: 2, message: 'card declined' });
    expect(charge.events.map((e) => e.name)).toContain('exception');

    // The bus events name the same trace and spans as the exported ones.
    for (const name of ['checkout', 'reserve-stock', 'charge-card']) {
      const exported = byName.get(name)!;
      const evs = events.filter((e) => 'name' in e && e.name === name);
      expect(evs.map((e) => e.type)).toEqual(['performance.phase.start', 'performance.phase.end']);
      for (const e of evs) {
        expect(e.traceId).toBe(exported.traceId);
        expect(e.spanId).toBe(exported.spanId);
      }
    }

    // Metrics go out too: the collector's cells and the phase histogram.
    await receiver.waitFor('a metrics export', () => receiver.points.length > 0);
    expect(receiver.points.find((p) => p.metric === 'orders_total')).toMatchObject({ kind: 'sum', value: 2, attributes: { region: 'eu' } });
    const phase = receiver.points.find((p) => p.metric === 'performance.phase.duration' && p.attributes['phase'] === 'checkout')!;
    expect(phase.count).toBe(1);
  });
});
