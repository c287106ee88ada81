import { afterEach, describe, expect, it } from 'vitest';
import {
  EventBus,
  EventDrivenPerformanceCoordinator,
  MonitoringMode,
  MonitoringSettings,
  createMonitoring,
  type Monitoring,
  type MonitoringEvent,
} from '../../src/index.js';

let monitoring: Monitoring | undefined;
afterEach(async () => {
  await monitoring?.shutdown();
  monitoring = undefined;
});

function eventDriven(): Monitoring {
  // OTLP export is switched off here (otlp: false); test/integration/otlp covers it.
  monitoring = createMonitoring(new MonitoringSettings({ mode: MonitoringMode.EVENT_DRIVEN }, {}), { registerGlobal: false, otlp: false });
  return monitoring;
}

describe('EventDrivenPerformanceCoordinator', () => {
  it('publishes the seed events, each with the span ids', async () => {
    const m = eventDriven();
    expect(m.coordinator).toBeInstanceOf(EventDrivenPerformanceCoordinator);
    const events: MonitoringEvent[] = [];
    m.events.subscribe('performance.*', (e) => {
      events.push(e);
    });
    await m.coordinator.measure('outer', async (outer) => {
      const inner = m.coordinator.startPhase('inner', { step: 1 });
      inner.end();
      m.coordinator.recordOperation('op', 5, { kind: 'x' });
      m.coordinator.recordMetric('queue_depth', 3);
      expect(outer.traceId).toBe(inner.traceId);
    });
    expect(events.map((e) => e.type)).toEqual([
      'performance.phase.start',
      'performance.phase.start',
      'performance.phase.end',
      'performance.operation.complete',
      'performance.metric.recorded',
      'performance.phase.end',
    ]);
    const spans = new Map(m.spanStore.spans().map((s) => [s.name, s.spanContext()]));
    const [outerStart, innerStart, innerEnd, op, metric, outerEnd] = events as [
      Extract<MonitoringEvent, { type: 'performance.phase.start' }>,
      Extract<MonitoringEvent, { type: 'performance.phase.start' }>,
      Extract<MonitoringEvent, { type: 'performance.phase.end' }>,
      Extract<MonitoringEvent, { type: 'performance.operation.complete' }>,
      Extract<MonitoringEvent, { type: 'performance.metric.recorded' }>,
      Extract<MonitoringEvent, { type: 'performance.phase.end' }>,
    ];
    expect(outerStart).toMatchObject({ name: 'outer', spanId: spans.get('outer')!.spanId, traceId: spans.get('outer')!.traceId });
    expect(innerStart).toMatchObject({ name: 'inner', parentSpanId: spans.get('outer')!.spanId, attributes: { step: 1 } });
    expect(innerEnd).toMatchObject({ name: 'inner', status: 'ok', spanId: spans.get('inner')!.spanId });
    expect(innerEnd.durationMs).toBeGreaterThanOrEqual(0);
    // Operations and metrics recorded inside a phase carry that phase's ids.
    expect(op).toMatchObject({ name: 'op', durationMs: 5, spanId: spans.get('outer')!.spanId, attributes: { kind: 'x' } });
    expect(metric).toMatchObject({ name: 'queue_depth', value: 3, traceId: spans.get('outer')!.traceId });
    expect(outerEnd).toMatchObject({ name: 'outer', status: 'ok' });
    for (const e of events) expect(typeof e.timestamp).toBe('number');
  });

  it('reports failures in phase.end events', () => {
    const m = eventDriven();
    const ends: string[] = [];
    m.events.subscribe('performance.phase.end', (e) => {
      ends.push(`${e.name}:${e.status}:${e.error}`);
    });
    expect(() => m.coordinator.measure('bad', () => {
      throw new Error('nope');
    })).toThrow();
    expect(ends).toEqual(['bad:error:nope']);
  });

  it('a throwing subscriber does not break the phase', () => {
    const m = eventDriven();
    m.events.subscribe('performance.phase.end', () => {
      throw new Error('subscriber');
    });
    expect(m.coordinator.measure('ok', () => 1)).toBe(1);
    expect(m.coordinator.getSnapshot().phases['ok']!.count).toBe(1);
  });

  it('builds no payload when nobody listens', () => {
    const bus = new EventBus();
    const c = new EventDrivenPerformanceCoordinator({ events: bus, settings: new MonitoringSettings({ mode: 'event_driven' }, {}) });
    c.startPhase('quiet').end();
    expect(bus.stats().published).toBe(0);
    // Standalone, it exports over OTLP to localhost:4318, where nothing listens: shutdown gives up on time.
    return c.shutdown(300);
  });
});
