import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { describe, expect, it } from 'vitest';
import { MemoryCollector } from '../../src/collectors/MemoryCollector.js';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { MonitoringSettings } from '../../src/config/MonitoringSettings.js';
import { DirectPerformanceCoordinator } from '../../src/coordinators/DirectPerformanceCoordinator.js';

// Regression tests for the columnar recent-records ring (changed for the phase.direct benchmark).
describe('DirectPerformanceCoordinator recent records', () => {
  function setup(maxSnapshots: number) {
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const coordinator = new DirectPerformanceCoordinator({
      tracerProvider,
      collector: new MemoryCollector(),
      settings: new MonitoringSettings({ mode: MonitoringMode.DIRECT, maxSnapshots }),
    });
    return { coordinator, exporter };
  }

  it('keeps phases and operations oldest first with their span ids, status and end time', () => {
    const { coordinator, exporter } = setup(10);
    const before = Date.now();
    coordinator.startPhase('load').end();
    coordinator.startPhase('save').fail(new Error('disk full'));
    coordinator.recordOperation('import', 12.5);
    const recent = coordinator.getSnapshot().recent;
    const spans = exporter.getFinishedSpans();
    expect(recent.map((r) => [r.kind, r.name, r.status])).toEqual([
      ['phase', 'load', 'ok'],
      ['phase', 'save', 'error'],
      ['operation', 'import', 'ok'],
    ]);
    expect(recent[0]!.traceId).toBe(spans[0]!.spanContext().traceId);
    expect(recent[1]!.spanId).toBe(spans[1]!.spanContext().spanId);
    expect(recent[2]!.traceId).toBeUndefined();
    expect(recent[2]!.durationMs).toBe(12.5);
    expect(recent[0]!.timestamp).toBeGreaterThanOrEqual(before - 1);
    expect(recent[0]!.timestamp).toBeLessThanOrEqual(Date.now() + 1);
    expect(Object.isFrozen(recent[0])).toBe(true);
  });

  it('wraps around, keeping only the last maxSnapshots records in order', () => {
    const { coordinator } = setup(3);
    for (let i = 0; i < 7; i++) coordinator.recordOperation(`op${i}`, i);
    expect(coordinator.getSnapshot().recent.map((r) => r.name)).toEqual(['op4', 'op5', 'op6']);
  });
});
