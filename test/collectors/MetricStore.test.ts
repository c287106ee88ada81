import { describe, expect, it } from 'vitest';
import { MetricStore } from '../../src/collectors/MetricStore.js';
import type { ValueSeries } from '../../src/collectors/series.js';

describe('MetricStore label index', () => {
  it('finds one series for the same labels in any key order and value type', () => {
    const store = new MetricStore();
    const fam = store.declare('requests_total', 'counter');
    const a = fam.get({ method: 'GET', status: 200 });
    const b = fam.get({ status: '200', method: 'GET' });
    const c = fam.get({ status: 200, method: 'GET' });
    expect(a).not.toBeNull();
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(fam.all()).toHaveLength(1);
    expect(fam.get({})).toBe(fam.get(undefined));
    expect(fam.get({ method: 'GET', status: 200, extra: 'x' })).not.toBe(a);
  });

  it('sends label sets past maxCardinality to one overflow series and counts it', () => {
    const store = new MetricStore({ maxCardinality: 2 });
    const fam = store.declare('jobs_total', 'counter');
    (fam.get({ queue: 'a' }) as ValueSeries).add(1);
    (fam.get({ queue: 'b' }) as ValueSeries).add(1);
    const over1 = fam.get({ queue: 'c' }) as ValueSeries;
    const over2 = fam.get({ queue: 'd' }) as ValueSeries;
    expect(over1).toBe(over2);
    expect(over1.attributes).toEqual({ 'otel.metric.overflow': true });
    expect(fam.all()).toHaveLength(3);
    expect(store.droppedCounts()['cardinality_overflow']).toBe(2);
    // Known label sets still reach their own series.
    expect((fam.get({ queue: 'a' }) as ValueSeries).value).toBe(1);
  });

  it('drops invalid label names and values, counted, without creating series', () => {
    const store = new MetricStore();
    const fam = store.declare('x_total', 'counter');
    expect(fam.get({ 'bad-name': 'v' })).toBeNull();
    expect(fam.get({ ok: {} as unknown as string })).toBeNull();
    expect(fam.all()).toHaveLength(0);
    expect(store.droppedCounts()['invalid_label']).toBe(2);
  });

  it('keeps the raw-key index bounded under hostile label values', () => {
    const store = new MetricStore({ maxCardinality: 10 });
    const fam = store.declare('hostile_total', 'counter');
    for (let i = 0; i < 1000; i++) fam.get({ id: `v${i}` });
    expect(fam.remembered).toBeLessThanOrEqual(40);
    expect(fam.canonical.size).toBe(10);
  });
});
