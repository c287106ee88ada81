import { SpanStatusCode, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MonitoringMode,
  MonitoringSettings,
  PERFORMANCE_METRICS,
  createMonitoring,
  type Monitoring,
} from '../../src/index.js';

let monitoring: Monitoring | undefined;
const direct = (overrides: Partial<ConstructorParameters<typeof MonitoringSettings>[0]> = {}): Monitoring => {
  monitoring = createMonitoring(new MonitoringSettings({ mode: MonitoringMode.DIRECT, serviceName: 'test', ...overrides }, {}), {
    registerGlobal: false,
  });
  return monitoring;
};
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('DirectPerformanceCoordinator', () => {
  afterEach(async () => {
    await monitoring?.shutdown();
    monitoring = undefined;
  });

  it('makes each phase a span whose ids the handle carries', () => {
    const m = direct();
    const phase = m.coordinator.startPhase('load', { 'cart.items': 3 });
    const ms = phase.end({ 'cart.total': 10 });
    const [span] = m.spanStore.spans();
    expect(span!.name).toBe('load');
    expect(span!.spanContext().traceId).toBe(phase.traceId);
    expect(span!.spanContext().spanId).toBe(phase.spanId);
    expect(phase.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(span!.attributes).toMatchObject({ 'cart.items': 3, 'cart.total': 10 });
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(phase.end()).toBe(ms);
    expect(m.spanStore.spans()).toHaveLength(1);
  });

  it('nests phases as child spans through async context', async () => {
    const m = direct();
    await m.coordinator.measure('request', async () => {
      await tick(1);
      await m.coordinator.measure('db', async () => {
        await tick(1);
        m.coordinator.startPhase('parse').end();
      });
    });
    const spans = new Map(m.spanStore.spans().map((s) => [s.name, s]));
    const request = spans.get('request')!;
    const db = spans.get('db')!;
    const parse = spans.get('parse')!;
    expect(request.parentSpanContext).toBeUndefined();
    expect(db.parentSpanContext!.spanId).toBe(request.spanContext().spanId);
    expect(parse.parentSpanContext!.spanId).toBe(db.spanContext().spanId);
    expect(new Set([request, db, parse].map((s) => s.spanContext().traceId)).size).toBe(1);
  });

  it('phase.run() makes the phase the parent of what runs inside', () => {
    const m = direct();
    const outer = m.coordinator.startPhase('outer');
    outer.run(() => m.coordinator.startPhase('inner').end());
    outer.end();
    const inner = m.spanStore.spans().find((s) => s.name === 'inner')!;
    expect(inner.parentSpanContext!.spanId).toBe(outer.spanId);
  });

  it('records errors on the span and rethrows, for sync and async functions', async () => {
    const m = direct();
    expect(() => m.coordinator.measure('sync-fail', () => {
      throw new Error('boom');
    })).toThrow('boom');
    await expect(m.coordinator.measure('async-fail', async () => {
      throw new Error('later');
    })).rejects.toThrow('later');
    for (const name of ['sync-fail', 'async-fail']) {
      const span = m.spanStore.spans().find((s) => s.name === name)!;
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.events.some((e) => e.name === 'exception')).toBe(true);
    }
    expect(m.collector.getCounterValue(PERFORMANCE_METRICS.phaseErrors, { phase: 'sync-fail' })).toBe(1);
    expect(m.coordinator.getSnapshot().phases['async-fail']!.errors).toBe(1);
  });

  it('measure returns the function result', async () => {
    const m = direct();
    expect(m.coordinator.measure('x', () => 5)).toBe(5);
    expect(await m.coordinator.measure('y', async () => 'ok')).toBe('ok');
  });

  it('puts phase durations in a histogram and the snapshot, with percentiles', async () => {
    const m = direct();
    for (let i = 0; i < 5; i++) await m.coordinator.measure('step', () => tick(2));
    const h = m.collector.getHistogram(PERFORMANCE_METRICS.phaseDuration, { phase: 'step' })!;
    expect(h.count).toBe(5);
    expect(h.min).toBeGreaterThanOrEqual(0.001);
    const stats = m.coordinator.getSnapshot().phases['step']!;
    expect(stats.count).toBe(5);
    expect(stats.minMs).toBeCloseTo(h.min * 1000, 6);
    expect(stats.p95Ms).toBeGreaterThanOrEqual(stats.p50Ms!);
    expect(stats.maxMs).toBeGreaterThanOrEqual(stats.p99Ms! - 1e-9);
  });

  it('keeps only the last maxSnapshots records, oldest first', () => {
    const m = direct({ maxSnapshots: 3 });
    for (let i = 0; i < 5; i++) m.coordinator.startPhase(`p${i}`).end();
    m.coordinator.recordOperation('op', 12);
    const recent = m.coordinator.getSnapshot().recent;
    expect(recent.map((r) => r.name)).toEqual(['p3', 'p4', 'op']);
    expect(recent[0]).toMatchObject({ kind: 'phase', status: 'ok' });
    expect(recent[0]!.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(recent[2]).toMatchObject({ kind: 'operation', durationMs: 12 });
    expect(m.spanStore.spans()).toHaveLength(3);
  });

  it('computes snapshot percentiles over the records in the ring (nearest rank)', () => {
    const m = direct({ maxSnapshots: 100 });
    for (let i = 200; i >= 1; i--) m.coordinator.recordOperation('fetch', i);
    const all = m.coordinator.getSnapshot().operations['fetch']!;
    // Count, total, min and max cover every record; percentiles the last 100 (100 ms down to 1 ms).
    expect(all).toMatchObject({ count: 200, minMs: 1, maxMs: 200, p50Ms: 50, p95Ms: 95, p99Ms: 99 });
    expect(all.totalMs).toBe(20100);
  });

  it('records operations and metrics', () => {
    const m = direct();
    m.coordinator.recordOperation('import', 250);
    m.coordinator.recordOperation('import', 750);
    m.coordinator.recordMetric('batch_size', 10);
    m.coordinator.recordOperation('bad', -1);
    const snap = m.coordinator.getSnapshot();
    expect(snap.operations['import']).toMatchObject({ count: 2, totalMs: 1000, minMs: 250, maxMs: 750, meanMs: 500 });
    expect(snap.metrics['batch_size']).toMatchObject({ count: 1, totalMs: 10 });
    expect(snap.operations['bad']).toBeUndefined();
    expect(m.collector.droppedRecords()['invalid_duration']).toBe(1);
  });

  it('without detailed metrics: no attributes on spans, no percentiles, no recent ring', () => {
    const m = direct({ enableDetailedMetrics: false });
    m.coordinator.startPhase('p', { secret: 'x' }).end({ more: 1 });
    const [span] = m.spanStore.spans();
    expect(span!.attributes).toEqual({});
    const snap = m.coordinator.getSnapshot();
    expect(snap.phases['p']!.count).toBe(1);
    expect(snap.phases['p']!.p95Ms).toBeUndefined();
    expect(snap.recent).toEqual([]);
  });

  it('sampled-out phases still count in metrics', () => {
    const m = direct({ tracesSampler: 'always_off' });
    const phase = m.coordinator.startPhase('unsampled');
    expect(phase.span.isRecording()).toBe(false);
    const ms = phase.end();
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(phase.end()).toBe(ms);
    expect(m.spanStore.spans()).toHaveLength(0);
    expect(m.coordinator.getSnapshot().phases['unsampled']!.count).toBe(1);
  });

  it('joins a trace already active in the caller', () => {
    const m = direct();
    const tracer = m.getTracer('app');
    tracer.startActiveSpan('http request', (root) => {
      m.coordinator.startPhase('handler').end();
      root.end();
    });
    const handler = m.spanStore.spans().find((s) => s.name === 'handler')!;
    const root = m.spanStore.spans().find((s) => s.name === 'http request')!;
    expect(handler.parentSpanContext!.spanId).toBe(root.spanContext().spanId);
    expect(trace.getActiveSpan()).toBeUndefined();
  });

  it('standalone construction owns its providers; shutdown is idempotent', async () => {
    const { DirectPerformanceCoordinator } = await import('../../src/index.js');
    const c = new DirectPerformanceCoordinator();
    c.startPhase('a').end();
    expect(c.recentSpans().map((s) => s.name)).toEqual(['a']);
    await c.shutdown();
    await c.shutdown();
  });
});
