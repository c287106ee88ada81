import { describe, expect, it } from 'vitest';
import { MetricHistory } from '../../src/dashboard/MetricHistory.js';
import { runQuery } from '../../src/dashboard/metricQuery.js';
import type { SpanRecord } from '../../src/dashboard/model.js';
import { aggregateFlame, criticalPath, traceFlame } from '../../src/dashboard/traceAnalysis.js';
import { TraceStore } from '../../src/dashboard/TraceStore.js';

function span(traceId: string, spanId: string, parent: string | undefined, name: string, start: number, end: number, extra: Partial<SpanRecord> = {}): SpanRecord {
  return { traceId, spanId, parentSpanId: parent, name, kind: 0, service: 'svc', scope: 's', start, end, status: 'unset', statusMessage: undefined, attributes: {}, events: [], resource: {}, ...extra };
}

describe('criticalPath', () => {
  it('follows the child that finished last, then what ran before it', () => {
    // root 0..100; a 0..30 and b 10..60 overlap; c 60..95 starts when b ends; d 70..80 runs inside
    // c's time, so it is not on the path; a is, for the 0..10 before b started
    const spans = [
      span('t', 'root', undefined, 'root', 0, 100),
      span('t', 'a', 'root', 'a', 0, 30),
      span('t', 'b', 'root', 'b', 10, 60),
      span('t', 'c', 'root', 'c', 60, 95),
      span('t', 'd', 'root', 'd', 70, 80),
      span('t', 'c1', 'c', 'c1', 61, 90),
    ];
    expect(criticalPath(spans)).toEqual(['root', 'c', 'c1', 'b', 'a']);
  });
});

describe('flame graphs', () => {
  it('per trace: self time excludes the union of concurrent children', () => {
    const spans = [span('t', 'r', undefined, 'r', 0, 100), span('t', 'x', 'r', 'x', 10, 50), span('t', 'y', 'r', 'y', 30, 70)];
    const f = traceFlame(spans);
    expect(f.name).toBe('r');
    expect(f.self).toBe(40);
    expect(f.children.map((c) => [c.name, c.offset, c.value])).toEqual([['x', 10, 40], ['y', 30, 40]]);
  });

  it('aggregated: sums time per name path across traces', () => {
    const store = new TraceStore();
    for (const [id, charge] of [['t1', 20], ['t2', 40]] as const) {
      store.add(span(id, `${id}r`, undefined, 'GET /orders', 0, 100));
      store.add(span(id, `${id}v`, `${id}r`, 'validate', 0, 10));
      store.add(span(id, `${id}c`, `${id}r`, 'charge', 10, 10 + charge));
    }
    const f = aggregateFlame(store.byRoot('GET /orders', undefined, 10));
    const root = f.children[0]!;
    expect(root).toMatchObject({ name: 'GET /orders', value: 200, count: 2 });
    expect(root.children.map((c) => [c.name, c.value, c.count])).toEqual([['charge', 60, 2], ['validate', 20, 2]]);
    expect(root.self).toBe(200 - 30 - 50);
  });
});

describe('TraceStore', () => {
  it('evicts the oldest trace at the cap and searches newest first with paging', () => {
    const store = new TraceStore({ maxTraces: 3 });
    for (let i = 0; i < 5; i++) store.add(span(`t${i}`, `s${i}`, undefined, i % 2 === 0 ? 'even' : 'odd', i * 10, i * 10 + i, i === 3 ? { status: 'error' } : {}));
    expect(store.size).toBe(3);
    expect(store.stats().evictedTraces).toBe(2);
    expect(store.get('t0')).toBeUndefined();
    expect(store.search({}).traces.map((t) => t.traceId)).toEqual(['t4', 't3', 't2']);
    expect(store.search({ name: 'EVEN' }).traces.map((t) => t.traceId)).toEqual(['t4', 't2']);
    expect(store.search({ status: 'error' }).traces.map((t) => t.traceId)).toEqual(['t3']);
    expect(store.search({ minMs: 3 }).total).toBe(2);
    const page = store.search({ limit: 1, offset: 1 });
    expect(page.total).toBe(3);
    expect(page.traces.map((t) => t.traceId)).toEqual(['t3']);
  });

  it('searches by attribute', () => {
    const store = new TraceStore();
    store.add(span('a', '1', undefined, 'x', 0, 1, { attributes: { 'user.id': 42 } }));
    store.add(span('b', '2', undefined, 'x', 0, 1, { attributes: { 'user.id': 7 } }));
    expect(store.search({ attrKey: 'user.id', attrValue: '42' }).traces.map((t) => t.traceId)).toEqual(['a']);
    expect(store.search({ attrKey: 'user.id' }).total).toBe(2);
  });
});

describe('runQuery', () => {
  const base = { unit: '', description: '', service: 'svc' };
  function history(): MetricHistory {
    const h = new MetricHistory({ maxPoints: 100 });
    // Counter: eu goes 0,10,20,30 (1/s over 10 s steps); us goes 0,20,40,60.
    for (let i = 0; i < 4; i++) {
      h.add({ ...base, name: 'req', kind: 'counter', labels: { region: 'eu', code: '200' }, time: 1_000_000 + i * 10_000, value: i * 10 });
      h.add({ ...base, name: 'req', kind: 'counter', labels: { region: 'us', code: '200' }, time: 1_000_000 + i * 10_000, value: i * 20 });
    }
    return h;
  }

  it('rate, summed by a label', () => {
    const r = runQuery(history(), { metric: 'req', aggregation: 'rate', groupBy: ['region'], from: 1_000_000, to: 1_040_000, step: 10_000 });
    expect(r.series.map((s) => [s.labels.region, s.values])).toEqual([
      ['eu', [null, 1, 1, 1]],
      ['us', [null, 2, 2, 2]],
    ]);
  });

  it('sum over everything, with a label filter', () => {
    const h = history();
    expect(runQuery(h, { metric: 'req', aggregation: 'sum', from: 1_000_000, to: 1_040_000, step: 10_000 }).series[0]!.values).toEqual([0, 30, 60, 90]);
    const only = runQuery(h, { metric: 'req', aggregation: 'max', filters: [{ label: 'region', op: '!=', value: 'us' }], from: 1_000_000, to: 1_040_000, step: 10_000 });
    expect(only.series[0]!.values).toEqual([0, 10, 20, 30]);
  });

  it('quantile from the histogram buckets that filled in each step', () => {
    const h = new MetricHistory();
    const bounds = [10, 20, 50];
    // Step 1: 10 values in (0,10]; step 2: 10 more values, all in (20,50].
    h.add({ ...base, name: 'lat', kind: 'histogram', labels: {}, time: 0, histogram: { count: 10, sum: 50, bounds, counts: [10, 0, 0, 0] } });
    h.add({ ...base, name: 'lat', kind: 'histogram', labels: {}, time: 10_000, histogram: { count: 20, sum: 400, bounds, counts: [10, 0, 10, 0] }, exemplars: [{ time: 10_000, value: 42, traceId: 'abc', spanId: 'def' }] });
    const r = runQuery(h, { metric: 'lat', aggregation: 'quantile', quantile: 0.5, from: 0, to: 20_000, step: 10_000 });
    expect(r.series[0]!.values).toEqual([5, 35]);
    expect(r.exemplars).toEqual([{ time: 10_000, value: 42, traceId: 'abc', spanId: 'def' }]);
  });

  it('adds up delta points received over OTLP', () => {
    const h = new MetricHistory();
    h.add({ ...base, name: 'd', kind: 'counter', labels: {}, time: 0, value: 5, delta: true });
    h.add({ ...base, name: 'd', kind: 'counter', labels: {}, time: 10_000, value: 5, delta: true });
    expect(runQuery(h, { metric: 'd', aggregation: 'sum', from: 0, to: 20_000, step: 10_000 }).series[0]!.values).toEqual([5, 10]);
  });
});
