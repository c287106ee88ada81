import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MonitoringMode, createMonitoring, type Monitoring, type MonitoringEvent } from '../../src/index.js';
import { OtlpReceiver, hexId } from '../helpers/otlpReceiver.js';
import { waitFor } from '../helpers/wait.js';

let receiver: OtlpReceiver;
let monitoring: Monitoring | undefined;

beforeEach(async () => {
  receiver = await new OtlpReceiver().start();
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

    const spans = await waitFor(() => {
      const s = receiver.spans();
      return s.length >= 3 ? s : undefined;
    }, 'three spans at the receiver');
    expect(receiver.received.find((r) => r.path === '/v1/traces')!.contentType).toContain(protocol === 'http/json' ? 'json' : 'protobuf');
    const byName = new Map(spans.map((s) => [s.span.name, s]));
    const checkout = byName.get('checkout')!;
    const reserve = byName.get('reserve-stock')!;
    const charge = byName.get('charge-card')!;
    expect(checkout.resource['service.name']).toBe('otlp-test');
    expect(checkout.resource['telemetry.sdk.language']).toBe('nodejs');
    expect(hexId(reserve.span.parentSpanId)).toBe(hexId(checkout.span.spanId));
    expect(hexId(charge.span.parentSpanId)).toBe(hexId(checkout.span.spanId));
    expect(hexId(checkout.span.parentSpanId)).toBeUndefined();
    expect(charge.span.status?.code).toBe(2);
    expect(charge.span.status?.message).toBe('card declined');
    expect(charge.span.events?.map((e) => e.name)).toContain('exception');

    // The bus events name the same trace and spans as the exported ones.
    for (const name of ['checkout', 'reserve-stock', 'charge-card']) {
      const exported = byName.get(name)!.span;
      const evs = events.filter((e) => 'name' in e && e.name === name);
      expect(evs.map((e) => e.type)).toEqual(['performance.phase.start', 'performance.phase.end']);
      for (const e of evs) {
        expect(e.traceId).toBe(hexId(exported.traceId));
        expect(e.spanId).toBe(hexId(exported.spanId));
      }
    }

    // Metrics go out too: the collector's cells and the phase histogram.
    const metrics = await waitFor(() => receiver.received.find((r) => r.path === '/v1/metrics'), 'a metrics export');
    const names = JSON.stringify(metrics.body);
    expect(names).toContain('orders_total');
    expect(names).toContain('performance_phase_duration_seconds');
  });
});
