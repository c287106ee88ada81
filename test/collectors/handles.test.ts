import { describe, expect, it } from 'vitest';
import { MemoryCollector } from '../../src/collectors/MemoryCollector.js';
import { exponentialBuckets, linearBuckets } from '../../src/collectors/MetricStore.js';
import { ConfigurationError, InvalidRecordError } from '../../src/errors/MonitoringError.js';
import { exactQuantile, sample, type Distribution } from '../helpers/seededRandom.js';

describe('bound and declared instruments', () => {
  it('bound counter increments reach getCounterValue and OTel collect()', async () => {
    const c = new MemoryCollector();
    const requests = c.counter('http_requests_total', { description: 'Requests.' });
    const ok = requests.bind({ method: 'GET', route: '/users', status: 200 });
    for (let i = 0; i < 5; i++) ok.inc();
    ok.add(2.5);
    requests.add(1, { method: 'GET', route: '/users', status: 200 });
    // Another key order is the same label set.
    c.incrementCounter('http_requests_total', { status: 200, route: '/users', method: 'GET' });
    expect(c.getCounterValue('http_requests_total', { method: 'GET', route: '/users', status: '200' })).toBe(9.5);
    const m = await c.readMetric('http_requests_total');
    expect(m?.kind).toBe('sum');
    expect(m?.monotonic).toBe(true);
    // Exported with the type the series was first recorded with, as an OTel instrument would.
    expect(m?.series).toEqual([{ labels: { method: 'GET', route: '/users', status: 200 }, value: 9.5, startTimestamp: expect.any(Number), timestamp: expect.any(Number) }]);
    await c.shutdown();
  });

  it('bound counters drop negative and non-finite amounts and count them', () => {
    const c = new MemoryCollector();
    const b = c.counter('jobs_total').bind({ queue: 'a' });
    b.add(-1);
    b.add(Number.NaN);
    b.add(Infinity);
    expect(b.value).toBe(0);
    expect(c.droppedRecords()).toEqual({ negative_increment: 1, non_finite: 2 });
  });

  it('binding bad labels throws at setup, naming the metric', () => {
    const c = new MemoryCollector();
    expect(() => c.counter('x_total').bind({ 'bad-name': 'v' })).toThrow(ConfigurationError);
    expect(() => c.counter('x_total').bind({ 'bad-name': 'v' })).toThrow(/x_total/);
  });

  it('strict collectors throw on a bad bound record', () => {
    const c = new MemoryCollector({ strict: true });
    const h = c.histogram('latency_ms').bind();
    expect(() => h.record(Number.NaN)).toThrow(InvalidRecordError);
  });

  it('bound gauges and up-down counters set and add', async () => {
    const c = new MemoryCollector();
    const g = c.gauge('queue_depth').bind({ queue: 'emails' });
    g.set(10);
    g.add(-3);
    const inflight = c.upDownCounter('inflight_requests').bind();
    inflight.add(2);
    inflight.add(-1);
    expect(c.getGaugeValue('queue_depth', { queue: 'emails' })).toBe(7);
    expect(c.getCounterValue('inflight_requests')).toBe(1);
    expect((await c.readMetric('inflight_requests'))?.monotonic).toBe(false);
  });

  it('histograms take per-metric explicit, linear and exponential buckets', async () => {
    const c = new MemoryCollector();
    expect(linearBuckets(10, 10, 5)).toEqual([10, 20, 30, 40, 50]);
    expect(exponentialBuckets(1, 2, 5)).toEqual([1, 2, 4, 8, 16]);
    const h = c.histogram('payload_bytes', { buckets: exponentialBuckets(1, 2, 5) });
    expect(h.boundaries).toEqual([1, 2, 4, 8, 16]);
    const b = h.bind({ route: '/upload' });
    for (const v of [0.5, 1, 3, 3, 7, 100]) b.record(v);
    const m = await c.readMetric('payload_bytes');
    expect(m?.series[0]?.histogram).toMatchObject({ count: 6, sum: 114.5, boundaries: [1, 2, 4, 8, 16], counts: [2, 0, 2, 1, 0, 1] });
    expect(() => c.histogram('bad_ms', { buckets: [5, 1] })).toThrow(/buckets/);
    expect(() => linearBuckets(0, 0, 3)).toThrow(/width/);
    expect(() => exponentialBuckets(1, 1, 3)).toThrow(/factor/);
  });

  it('sampled histograms record one value in N and scale counts by N', () => {
    const c = new MemoryCollector();
    const h = c.histogram('hot_path_ms', { sampleOneIn: 10, buckets: [10, 100] }).bind();
    for (let i = 0; i < 10_000; i++) h.record(i % 2 === 0 ? 5 : 50);
    const s = c.getHistogram('hot_path_ms')!;
    expect(s.count).toBe(10_000);
    // The kept values are every 10th (all value 5, since 10 is even): an exact fraction, scaled by 10.
    expect(s.buckets[0]).toEqual({ le: 10, count: 10_000 });
    expect(() => c.histogram('other_ms', { sampleOneIn: 0 })).toThrow(/sampleOneIn/);
  });

  it('sampling keeps unbiased estimates on mixed data', () => {
    const c = new MemoryCollector();
    const h = c.histogram('mixed_ms', { sampleOneIn: 7, buckets: [10, 100] }).bind();
    let exactSum = 0;
    for (let i = 0; i < 70_000; i++) {
      const v = (i * 7919) % 200;
      exactSum += v;
      h.record(v);
    }
    const s = c.getHistogram('mixed_ms')!;
    expect(s.count).toBe(70_000);
    expect(Math.abs(s.sum - exactSum) / exactSum).toBeLessThan(0.02);
  });

  it.each(['uniform', 'long-tailed', 'bimodal'] as Distribution[])('histogram percentiles of %s data are within the stated 1%%', (dist) => {
    for (const seed of [21, 22]) {
      const c = new MemoryCollector();
      const h = c.histogram('latency_ms').bind({ route: '/x' });
      const values = sample(dist, 20_000, seed);
      for (const v of values) h.record(v);
      const summary = c.getHistogram('latency_ms', { route: '/x' })!;
      expect(summary.relativeError).toBe(0.01);
      const sorted = [...values].sort((a, b) => a - b);
      for (const q of [0.5, 0.9, 0.95, 0.99]) {
        const exact = exactQuantile(sorted, q);
        expect(Math.abs(summary.percentile(q) - exact) / exact).toBeLessThanOrEqual(0.01 + 1e-9);
      }
    }
  });

  it('declaring a name twice with another kind throws', () => {
    const c = new MemoryCollector();
    c.counter('things_total');
    expect(() => c.histogram('things_total')).toThrow(ConfigurationError);
    expect(() => c.summary('things_total')).toThrow(ConfigurationError);
    c.hyperLogLog('visitors');
    expect(() => c.counter('visitors')).toThrow(ConfigurationError);
    c.incrementCounter('visitors');
    expect(c.droppedRecords()).toEqual({ kind_conflict: 1 });
  });

  it('tryBind drops and counts invalid run-time labels instead of throwing, as a record would', () => {
    const c = new MemoryCollector();
    const h = c.histogram('job_seconds', { buckets: [1, 10] });
    const bad = { job: { nested: true } } as unknown as Record<string, string>;
    expect(() => h.bind(bad)).toThrow(ConfigurationError);
    expect(h.tryBind(bad)).toBeUndefined();
    expect(c.droppedRecords()).toEqual({ invalid_label: 2 });
    const ok = h.tryBind({ job: 'import' })!;
    ok.record(2);
    expect(c.getHistogram('job_seconds', { job: 'import' })?.count).toBe(1);
    expect(c.counter('runs_total').tryBind({ job: 'import' })?.value).toBe(0);
    expect(c.gauge('depth').tryBind()?.value).toBe(0);
  });

  it('recordWithExemplar on a bound histogram keeps the exemplar readable through read()', async () => {
    const c = new MemoryCollector();
    const h = c.histogram('db_seconds', { buckets: [0.1, 1] }).bind({ table: 'orders' });
    h.recordWithExemplar(0.5, 'a'.repeat(32), 'b'.repeat(16), 1_700_000_000_000);
    h.recordWithExemplar(Number.NaN, 'c'.repeat(32), 'd'.repeat(16));
    expect(c.droppedRecords()).toEqual({ non_finite: 1 });
    const m = await c.readMetric('db_seconds');
    if (m?.kind !== 'histogram') throw new Error(`db_seconds read as ${m?.kind}`);
    expect(m.series[0]!.exemplars).toEqual([{ value: 0.5, timestamp: 1_700_000_000_000, traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), bucket: 1 }]);
    await c.shutdown();
  });

  it('dropRecord counts a record that instrumentation code dropped, and throws in strict mode', () => {
    const c = new MemoryCollector();
    c.dropRecord('invalid_duration', 'operation "x" got -1');
    expect(c.droppedRecords()).toEqual({ invalid_duration: 1 });
    const strict = new MemoryCollector({ strict: true });
    expect(() => strict.dropRecord('invalid_duration', 'operation "x" got -1')).toThrow(InvalidRecordError);
  });
});
