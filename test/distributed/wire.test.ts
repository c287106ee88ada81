import { describe, expect, it } from 'vitest';
import type { MonitoringEvent } from '../../src/events/types.js';
import { decodeEntry, encodeEvent, sampleOf, WIRE_VERSION } from '../../src/distributed/wire.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

function metricEvent(value: number, attributes: Record<string, unknown> = {}): MonitoringEvent {
  return { type: 'performance.metric.recorded', name: 'latency_ms', value, timestamp: 1_700_000_000_000, traceId: TRACE, spanId: SPAN, attributes } as MonitoringEvent;
}

describe('wire codec', () => {
  it('round-trips an event with service, instance, id and trace context', () => {
    const json = encodeEvent(metricEvent(12.5, { route: '/a' }), 'checkout', 'pod-1', 'pod-1-7')!;
    const r = decodeEntry(['v', WIRE_VERSION, 'd', json]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toEqual({
      id: 'pod-1-7',
      service: 'checkout',
      instance: 'pod-1',
      event: { type: 'performance.metric.recorded', name: 'latency_ms', value: 12.5, timestamp: 1_700_000_000_000, traceId: TRACE, spanId: SPAN, attributes: { route: '/a' } },
    });
    expect(r.json).toBe(json);
  });

  it('returns undefined for payloads that are not JSON-serialisable', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(encodeEvent(metricEvent(1, { x: 1n as unknown as number }), 's', 'i', 'i-1')).toBeUndefined();
    const ev = { type: 'health.check.completed', check: 'db', status: 'healthy', durationMs: 1, details: cyclic, timestamp: 1, attributes: {} } as unknown as MonitoringEvent;
    expect(encodeEvent(ev, 's', 'i', 'i-2')).toBeUndefined();
  });

  it.each([
    ['no version field', ['d', '{}'], 'foreign'],
    ['another version', ['v', '2', 'd', '{}'], 'foreign'],
    ['someone else\'s entry', ['temperature', '21.5'], 'foreign'],
    ['not JSON', ['v', WIRE_VERSION, 'd', '{oops'], 'malformed'],
    ['JSON but not an event', ['v', WIRE_VERSION, 'd', '[1,2,3]'], 'malformed'],
    ['missing id', ['v', WIRE_VERSION, 'd', JSON.stringify({ service: 's', instance: 'i', event: { type: 't', timestamp: 1 } })], 'malformed'],
    ['bad timestamp', ['v', WIRE_VERSION, 'd', JSON.stringify({ id: 'x', service: 's', instance: 'i', event: { type: 't', timestamp: 'now' } })], 'malformed'],
    ['bad trace id', ['v', WIRE_VERSION, 'd', JSON.stringify({ id: 'x', service: 's', instance: 'i', event: { type: 't', timestamp: 1, traceId: 'xyz' } })], 'malformed'],
    ['bad span id', ['v', WIRE_VERSION, 'd', JSON.stringify({ id: 'x', service: 's', instance: 'i', event: { type: 't', timestamp: 1, spanId: 'ABCDEFABCDEFABCD' } })], 'malformed'],
    ['attributes not an object', ['v', WIRE_VERSION, 'd', JSON.stringify({ id: 'x', service: 's', instance: 'i', event: { type: 't', timestamp: 1, attributes: [1] } })], 'malformed'],
  ])('rejects %s as %s', (_name, fields, reason) => {
    expect(decodeEntry(fields)).toEqual({ ok: false, reason });
  });

  it('rejects entries above the size limit before parsing them', () => {
    const json = encodeEvent(metricEvent(1, { blob: 'x'.repeat(2000) }), 's', 'i', 'i-1')!;
    expect(decodeEntry(['v', WIRE_VERSION, 'd', json], 1000)).toEqual({ ok: false, reason: 'oversized' });
    expect(decodeEntry(['v', WIRE_VERSION, 'd', json], 10_000).ok).toBe(true);
  });
});

describe('sampleOf', () => {
  const base = { timestamp: 1, attributes: { route: '/a', code: 200, ok: true, list: ['x'] } };

  it('maps each value-carrying event type to a metric, value and string labels', () => {
    expect(sampleOf({ ...base, type: 'performance.metric.recorded', name: 'queue', value: 3 })).toEqual({
      metric: 'queue', value: 3, labels: { route: '/a', code: '200', ok: 'true' },
    });
    expect(sampleOf({ ...base, type: 'performance.phase.end', name: 'render', durationMs: 8, status: 'error' })).toEqual({
      metric: 'phase:render', value: 8, labels: { route: '/a', code: '200', ok: 'true', status: 'error' },
    });
    expect(sampleOf({ type: 'performance.operation.complete', name: 'sql', durationMs: 2, timestamp: 1 })).toEqual({ metric: 'operation:sql', value: 2, labels: {} });
    expect(sampleOf({ type: 'health.check.completed', check: 'db', durationMs: 4, timestamp: 1 })).toEqual({ metric: 'health:db', value: 4, labels: {} });
    expect(sampleOf({ type: 'validation.failed', validator: 'email', durationMs: 1, timestamp: 1 })).toEqual({ metric: 'validation:email', value: 1, labels: { status: 'error' } });
  });

  it('gives no sample for events without a value or with a non-finite one', () => {
    expect(sampleOf({ type: 'performance.phase.start', name: 'x', timestamp: 1 })).toBeUndefined();
    expect(sampleOf({ type: 'performance.metric.recorded', name: 'x', value: Number.NaN, timestamp: 1 })).toBeUndefined();
    expect(sampleOf({ type: 'performance.metric.recorded', name: 'x', value: '3', timestamp: 1 })).toBeUndefined();
    expect(sampleOf({ type: 'orders.placed', timestamp: 1 })).toBeUndefined();
  });
});
