import { afterEach, describe, expect, it } from 'vitest';
import {
  EventBus,
  MemoryCollector,
  MonitoringMode,
  VALIDATION_METRICS,
  ValidationMonitoringService,
  createMonitoring,
  type Monitoring,
  type MonitoringEvent,
  type ValidationMonitoringStrategy,
} from '../../src/index.js';

class RecordingStrategy implements ValidationMonitoringStrategy {
  readonly operations: [string, number][] = [];
  readonly metrics: [string, number][] = [];
  recordOperation(name: string, durationMs: number): void {
    this.operations.push([name, durationMs]);
  }
  recordMetric(name: string, value: number): void {
    this.metrics.push([name, value]);
  }
}

// The service is driven purely by events on the bus: no validation code is imported here.
function drive(bus: EventBus, base = 1_700_000_000_000): void {
  bus.publish('validation.started', { validationId: '1', validator: 'schema', timestamp: base });
  bus.publish('validation.completed', { validationId: '1', validator: 'schema', durationMs: 4, timestamp: base + 4 });
  bus.publish('validation.started', { validationId: '2', validator: 'schema', timestamp: base + 10 });
  bus.publish('validation.failed', { validationId: '2', validator: 'schema', durationMs: 6, reason: 'missing_field', timestamp: base + 16 });
  bus.publish('validation.started', { validationId: '3', validator: 'business', timestamp: base + 20 });
  bus.publish('validation.completed', { validationId: '3', validator: 'business', durationMs: 20, timestamp: base + 40 });
  bus.publish('validation.started', { validationId: '4', validator: 'business', timestamp: base + 50 });
}

describe('ValidationMonitoringService', () => {
  let monitoring: Monitoring | undefined;
  afterEach(async () => {
    await monitoring?.shutdown();
    monitoring = undefined;
  });

  it('records success rate, durations per validator, failures by reason and throughput', () => {
    const bus = new EventBus();
    const collector = new MemoryCollector();
    const strategy = new RecordingStrategy();
    const service = new ValidationMonitoringService({ events: bus, collector, strategy, throughputWindowSeconds: 10 }).start();
    const republished: MonitoringEvent[] = [];
    bus.subscribe('performance.*', (e) => {
      republished.push(e);
    });
    drive(bus);
    expect(service.successRate()).toBeCloseTo(2 / 3);
    expect(service.successRate('schema')).toBe(0.5);
    expect(service.successRate('business')).toBe(1);
    expect(service.failuresByReason()).toEqual({ missing_field: 1 });
    expect(service.inFlight()).toBe(1);
    expect(service.throughput(1_700_000_000_100)).toBeCloseTo(3 / 10);
    expect(service.throughput(1_700_000_020_000)).toBe(0);
    expect(collector.getHistogram(VALIDATION_METRICS.duration, { validator: 'business' })!.sum).toBeCloseTo(0.02);
    expect(collector.getCounterValue(VALIDATION_METRICS.failures, { validator: 'schema', reason: 'missing_field' })).toBe(1);
    expect(service.validators()['schema']).toMatchObject({ completed: 1, failed: 1, successRate: 0.5 });
    expect(strategy.operations).toEqual([['validation.schema', 4], ['validation.schema', 6], ['validation.business', 20]]);
    expect(strategy.metrics.map(([n]) => n)).toContain('validation.schema.success_rate');
    expect(republished.filter((e) => e.type === 'performance.operation.complete')).toHaveLength(3);
    expect(republished.filter((e) => e.type === 'performance.metric.recorded')).toHaveLength(3);
  });

  it('uses the event-driven coordinator as its strategy without publishing twice', () => {
    monitoring = createMonitoring({ mode: MonitoringMode.EVENT_DRIVEN }, { registerGlobal: false, otlp: false });
    const m = monitoring;
    const ops: string[] = [];
    m.events.subscribe('performance.operation.complete', (e) => {
      ops.push(e.name);
    });
    new ValidationMonitoringService({ events: m.events, collector: m.collector, strategy: m.coordinator }).start();
    drive(m.events);
    expect(ops).toEqual(['validation.schema', 'validation.schema', 'validation.business']);
    expect(m.coordinator.getSnapshot().operations['validation.business']!.totalMs).toBe(20);
  });

  it('stop() unsubscribes', () => {
    const bus = new EventBus();
    const service = new ValidationMonitoringService({ events: bus, collector: new MemoryCollector() }).start().start();
    service.stop();
    drive(bus);
    expect(service.successRate()).toBeNaN();
  });
});
