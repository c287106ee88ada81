import { Redis } from 'ioredis';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events/EventBus.js';
import type { MonitoringDroppedEvent } from '../../src/events/types.js';
import { ConfigurationError } from '../../src/errors/MonitoringError.js';
import { AGGREGATOR_METRICS, RedisAggregator } from '../../src/distributed/RedisAggregator.js';
import { MemoryCollector } from '../../src/collectors/MemoryCollector.js';
import { RedisEventPublisher } from '../../src/distributed/RedisEventPublisher.js';
import { RedisRollupQuery } from '../../src/distributed/RedisRollupQuery.js';
import { encodeEvent, WIRE_VERSION } from '../../src/distributed/wire.js';
import { RedisServer } from '../helpers/redisServer.js';
import { waitFor } from '../helpers/wait.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const HOUR = 3_600_000;

let server: RedisServer;
let admin: Redis;
let closers: (() => Promise<unknown>)[] = [];
let testNo = 0;

/** Fresh stream and key prefix per test, so tests share one server without seeing each other's data. */
function names(): { stream: string; prefix: string; group: string } {
  testNo++;
  return { stream: `t${testNo}:events`, prefix: `t${testNo}`, group: `t${testNo}-group` };
}

function track<T extends { shutdown(ms?: number): Promise<unknown> }>(x: T): T {
  closers.push(() => x.shutdown(2000));
  return x;
}

beforeAll(async () => {
  server = await RedisServer.start();
  admin = new Redis(server.url);
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

afterAll(async () => {
  admin.disconnect();
  await server.stop();
});

function around(now = Date.now()) {
  return { from: now - HOUR, to: now + HOUR };
}

describe('RedisEventPublisher → RedisAggregator → RedisRollupQuery (real Redis)', () => {
  it('aggregates bus events into per-service and per-instance rollups and correlates traces', async () => {
    const n = names();
    const query = track(new RedisRollupQuery({ redis: server.url, prefix: n.prefix }));
    const agg = track(new RedisAggregator({ redis: server.url, stream: n.stream, group: n.group, prefix: n.prefix, consumer: 'a1', blockMs: 100 }).start());
    const buses = [new EventBus(), new EventBus()];
    buses.forEach((bus, i) => track(new RedisEventPublisher({ bus, redis: server.url, serviceName: 'checkout', instanceId: `pod-${i}`, stream: n.stream })));
    const recorded: number[][] = [[], []];
    for (let i = 1; i <= 200; i++) {
      const which = i % 2;
      const value = which === 0 ? i : i * 10;
      recorded[which]!.push(value);
      buses[which]!.publish('performance.metric.recorded', { name: 'latency_ms', value, traceId: i <= 4 ? TRACE : undefined, spanId: SPAN, attributes: { route: i % 4 < 2 ? '/a' : '/b' } });
    }
    buses[0]!.publish('performance.phase.start', { name: 'checkout', traceId: TRACE, spanId: SPAN });

    const filter = { metric: 'latency_ms', windowSeconds: 60, ...around() };
    const total = await waitFor(async () => {
      const s = await query.summary(filter);
      return s.count === 200 ? s : undefined;
    }, 'all 200 events aggregated');
    const all = recorded.flat().sort((a, b) => a - b);
    expect(total.sum).toBe(all.reduce((a, b) => a + b, 0));
    expect(total.min).toBe(all[0]);
    expect(total.max).toBe(all[199]);

    const perInstance = await query.rollups({ ...filter, windowSeconds: 300, scope: 'instance' });
    const countBy = new Map<string, number>();
    for (const p of perInstance) countBy.set(p.instance!, (countBy.get(p.instance!) ?? 0) + p.count);
    expect(Object.fromEntries(countBy)).toEqual({ 'pod-0': 100, 'pod-1': 100 });
    expect(perInstance.every((p) => p.service === 'checkout')).toBe(true);

    const onlyA = await query.summary({ ...filter, windowSeconds: 3600, labels: { route: '/a' } });
    expect(onlyA.count).toBe(100);
    const pod1 = await query.summary({ ...filter, instance: 'pod-1' });
    expect(pod1.sum).toBe(recorded[1]!.reduce((a, b) => a + b, 0));
    expect(await query.summary({ ...filter, service: 'other' })).toMatchObject({ count: 0 });

    const trace = await waitFor(async () => {
      const t = await query.trace(TRACE);
      return t.length === 5 ? t : undefined;
    }, 'trace events');
    expect(new Set(trace.map((e) => e.instance))).toEqual(new Set(['pod-0', 'pod-1']));
    expect(trace.map((e) => e.event.type).sort()).toEqual([...Array(4).fill('performance.metric.recorded'), 'performance.phase.start']);
    expect(agg.stats()).toMatchObject({ processed: 201, duplicates: 0, malformed: 0 });
  });

  it('counts a resent event once (idempotency by event id)', async () => {
    const n = names();
    const query = track(new RedisRollupQuery({ redis: server.url, prefix: n.prefix }));
    const now = Date.now();
    const json = (id: string, value: number) =>
      encodeEvent({ type: 'performance.metric.recorded', name: 'm', value, timestamp: now, attributes: {} }, 'svc', 'i1', id)!;
    // A publisher whose reply was lost resends the same batch: the same ids arrive twice, in
    // different batches (and here also twice within one batch).
    for (const [id, v] of [['i1-1', 5], ['i1-2', 7], ['i1-1', 5], ['i1-2', 7], ['i1-2', 7]] as const) {
      await admin.xadd(n.stream, '*', 'v', WIRE_VERSION, 'd', json(id, v));
    }
    const agg = track(new RedisAggregator({ redis: server.url, stream: n.stream, group: n.group, prefix: n.prefix, batchSize: 2, blockMs: 100 }).start());
    await waitFor(() => agg.stats().processed + agg.stats().duplicates === 5, 'all entries handled');
    expect(agg.stats()).toMatchObject({ processed: 2, duplicates: 3 });
    expect(await query.summary({ metric: 'm', windowSeconds: 60, ...around(now) })).toMatchObject({ count: 2, sum: 12 });
    expect(await admin.xpending(n.stream, n.group)).toEqual([0, null, null, null]);
  });

  it('counts, acknowledges and skips foreign, oversized and malformed entries without blocking the group', async () => {
    const n = names();
    const now = Date.now();
    const good = encodeEvent({ type: 'performance.metric.recorded', name: 'm', value: 3, timestamp: now, attributes: {} }, 'svc', 'i1', 'i1-1')!;
    await admin.xadd(n.stream, '*', 'temperature', '21');
    await admin.xadd(n.stream, '*', 'v', WIRE_VERSION, 'd', '{"id":');
    await admin.xadd(n.stream, '*', 'v', WIRE_VERSION, 'd', JSON.stringify({ id: 'x', service: 's', instance: 'i', event: { type: 't', timestamp: 'yesterday' } }));
    await admin.xadd(n.stream, '*', 'v', WIRE_VERSION, 'd', 'x'.repeat(5000));
    await admin.xadd(n.stream, '*', 'v', WIRE_VERSION, 'd', good);
    const agg = track(new RedisAggregator({ redis: server.url, stream: n.stream, group: n.group, prefix: n.prefix, blockMs: 100, maxEntryBytes: 1000 }).start());
    await waitFor(() => agg.stats().processed === 1, 'the valid event');
    expect(agg.stats()).toMatchObject({ foreign: 1, malformed: 2, oversized: 1, processed: 1 });
    expect(await admin.xpending(n.stream, n.group)).toEqual([0, null, null, null]);
  });

  it('takes over entries a dead consumer read but never acknowledged (XAUTOCLAIM)', async () => {
    const n = names();
    const now = Date.now();
    await admin.xgroup('CREATE', n.stream, n.group, '0', 'MKSTREAM');
    for (let i = 1; i <= 30; i++) {
      const json = encodeEvent({ type: 'performance.metric.recorded', name: 'm', value: i, timestamp: now, attributes: {} }, 'svc', 'i1', `i1-${i}`)!;
      await admin.xadd(n.stream, '*', 'v', WIRE_VERSION, 'd', json);
    }
    // A consumer reads everything and dies before committing.
    const read = await admin.xreadgroup('GROUP', n.group, 'dead', 'COUNT', 100, 'STREAMS', n.stream, '>');
    expect((read as [string, unknown[]][])[0]![1]).toHaveLength(30);
    const agg = track(new RedisAggregator({ redis: server.url, stream: n.stream, group: n.group, prefix: n.prefix, blockMs: 50, claimIdleMs: 200, claimIntervalMs: 100 }).start());
    const query = track(new RedisRollupQuery({ redis: server.url, prefix: n.prefix }));
    await waitFor(() => agg.stats().processed === 30, 'claimed entries counted', 10_000);
    expect(agg.stats().claimed).toBe(30);
    expect(await query.summary({ metric: 'm', windowSeconds: 60, ...around(now) })).toMatchObject({ count: 30, sum: 465 });
    expect(await admin.xpending(n.stream, n.group)).toEqual([0, null, null, null]);
  });

  it('counts pending entries the stream trimmed away before anyone committed them', async () => {
    const n = names();
    await admin.xgroup('CREATE', n.stream, n.group, '0', 'MKSTREAM');
    for (let i = 1; i <= 10; i++) await admin.xadd(n.stream, '*', 'v', WIRE_VERSION, 'd', encodeEvent({ type: 'performance.metric.recorded', name: 'm', value: i, timestamp: Date.now(), attributes: {} }, 's', 'i', `i-${i}`)!);
    await admin.xreadgroup('GROUP', n.group, 'dead', 'COUNT', 100, 'STREAMS', n.stream, '>');
    await admin.xtrim(n.stream, 'MAXLEN', 0);
    const agg = track(new RedisAggregator({ redis: server.url, stream: n.stream, group: n.group, prefix: n.prefix, blockMs: 50, claimIdleMs: 1, claimIntervalMs: 50 }).start());
    await waitFor(() => agg.stats().trimmed === 10, 'trimmed entries counted');
    expect(agg.stats().processed).toBe(0);
    expect(await admin.xpending(n.stream, n.group)).toEqual([0, null, null, null]);
  });

  it('bounds the local buffer while Redis is down, counts drops, and delivers the rest when it comes up', async () => {
    const n = names();
    const down = await RedisServer.start();
    await down.stop(); // a port with nothing listening, for now
    const bus = new EventBus();
    const dropped: MonitoringDroppedEvent[] = [];
    bus.subscribe('monitoring.dropped', (e) => void dropped.push(e));
    const publisher = track(new RedisEventPublisher({ bus, redis: down.url, serviceName: 'svc', instanceId: 'p1', stream: n.stream, bufferSize: 100, batchSize: 10, retryInitialDelayMs: 10, retryMaxDelayMs: 50 }));
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const now = Date.now();
      for (let i = 1; i <= 250; i++) {
        expect(() => bus.publish('performance.metric.recorded', { name: 'm', value: i, timestamp: now })).not.toThrow();
      }
      // Regression: the first drop announcement is itself a bus event that re-entered the handler
      // mid-update and let the ring grow past its bound.
      const s = publisher.stats();
      expect(s.buffered).toBe(100);
      expect(s.dropped).toBeGreaterThanOrEqual(150);
      expect(dropped[0]).toMatchObject({ source: 'redis-publisher', reason: 'buffer_full', count: 1 });
      await waitFor(() => publisher.stats().failedFlushes >= 2, 'retries while Redis is down');

      await down.restart();
      const reader = new Redis(down.url);
      closers.push(async () => reader.disconnect());
      closers.push(() => down.stop());
      await waitFor(async () => (await reader.xlen(n.stream)) === 100, 'buffered events delivered', 10_000);
      // Redis holds the last batch a moment before the publisher has read its reply and counted it.
      await waitFor(() => publisher.stats().sent === 100, 'the last batch acknowledged');
      expect(publisher.stats()).toMatchObject({ sent: 100, buffered: 0 });
      const entries = await reader.xrange(n.stream, '-', '+');
      const values = entries.map(([, f]) => JSON.parse(f[3]!)).filter((w) => w.event.type === 'performance.metric.recorded').map((w) => w.event.value);
      // Oldest dropped first: what survived is the newest tail, in order.
      expect(values).toEqual([...values].sort((a, b) => a - b));
      expect(values.at(-1)).toBe(250);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('recovers when Redis restarts empty: the group is recreated and events recorded meanwhile arrive', async () => {
    const n = names();
    const r = await RedisServer.start();
    closers.push(() => r.stop());
    const bus = new EventBus();
    const publisher = track(new RedisEventPublisher({ bus, redis: r.url, serviceName: 'svc', instanceId: 'p1', stream: n.stream, retryInitialDelayMs: 10, retryMaxDelayMs: 100 }));
    const agg = track(new RedisAggregator({ redis: r.url, stream: n.stream, group: n.group, prefix: n.prefix, blockMs: 50, retryMaxDelayMs: 100 }).start());
    const query = track(new RedisRollupQuery({ redis: r.url, prefix: n.prefix, retryMaxDelayMs: 100 }));
    const now = Date.now();
    const filter = { metric: 'm', windowSeconds: 60, ...around(now) };
    for (let i = 0; i < 10; i++) bus.publish('performance.metric.recorded', { name: 'm', value: 1, timestamp: now });
    await waitFor(async () => (await query.summary(filter)).count === 10, 'first events');

    await r.kill();
    for (let i = 0; i < 20; i++) bus.publish('performance.metric.recorded', { name: 'm', value: 2, timestamp: now });
    await waitFor(() => publisher.stats().failedFlushes > 0, 'publisher noticed the outage');
    await r.restart();
    // Without persistence the old data is gone; what was recorded during the outage is not.
    const after = await waitFor(async () => {
      const s = await query.summary(filter);
      return s.count === 20 ? s : undefined;
    }, 'outage events aggregated', 15_000);
    expect(after.sum).toBe(40);
    expect(agg.stats().errors).toBeGreaterThan(0);
  });

  it('a value that would overflow a stored sum is rejected on its own: the rest of its batch is counted (issue 11, defect 6)', async () => {
    const n = names();
    const now = Date.now();
    const entry = (id: string, value: number, name = 'm') =>
      encodeEvent({ type: 'performance.metric.recorded', name, value, timestamp: now, attributes: {} }, 'svc', 'i1', id)!;
    await admin.xadd(n.stream, '*', 'v', WIRE_VERSION, 'd', entry('i1-1', 1e308));
    const collector = new MemoryCollector();
    const agg = track(new RedisAggregator({ redis: server.url, stream: n.stream, group: n.group, prefix: n.prefix, blockMs: 50, retryMaxDelayMs: 20, meter: collector.getMeter(), claimIntervalMs: 50 }).start());
    await waitFor(() => agg.stats().processed === 1, 'first huge value');
    // Same window, same series: 1e308 + 1e308 overflows a double. In one batch with it: a harmless
    // event of the same series, one of another series, and a second poison value.
    await admin.multi()
      .xadd(n.stream, '*', 'v', WIRE_VERSION, 'd', entry('i1-2', 1e308))
      .xadd(n.stream, '*', 'v', WIRE_VERSION, 'd', entry('i1-3', 1))
      .xadd(n.stream, '*', 'v', WIRE_VERSION, 'd', entry('i1-4', 5, 'other'))
      .xadd(n.stream, '*', 'v', WIRE_VERSION, 'd', entry('i1-5', 1e308))
      .xadd(n.stream, '*', 'v', WIRE_VERSION, 'd', 'not json')
      .exec();
    await waitFor(() => agg.stats().processed === 3 && agg.stats().rejected === 2, 'the good entries counted, the poison ones rejected', 15_000);
    const query = track(new RedisRollupQuery({ redis: server.url, prefix: n.prefix }));
    expect(await query.summary({ metric: 'm', windowSeconds: 60, ...around(now) })).toMatchObject({ count: 2, sum: 1e308 + 1, max: 1e308 });
    expect(await query.summary({ metric: 'other', windowSeconds: 60, ...around(now) })).toMatchObject({ count: 1, sum: 5 });
    expect(await admin.xpending(n.stream, n.group)).toEqual([0, null, null, null]);
    expect(agg.stats()).toMatchObject({ processed: 3, rejected: 2, malformed: 1 });
    // The aggregator's own counters are metrics: processed, rejected, skipped (malformed), lag.
    await waitFor(() => agg.stats().lag === 0 ? true : undefined, 'lag measured at 0', 15_000);
    const read = async (name: string, labels: Record<string, string>) => (await collector.readMetric(name))?.series.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value;
    const consumer = agg.consumer;
    expect(await read(AGGREGATOR_METRICS.processed, { consumer })).toBe(3);
    expect(await read(AGGREGATOR_METRICS.rejected, { consumer })).toBe(2);
    expect(await read(AGGREGATOR_METRICS.skipped, { consumer, reason: 'malformed' })).toBe(1);
    expect(await read(AGGREGATOR_METRICS.lag, { consumer })).toBe(0);
  });

  it('stats().lag counts the entries written and not yet acknowledged at the last look', async () => {
    const n = names();
    const now = Date.now();
    for (let i = 0; i < 7; i++) {
      await admin.xadd(n.stream, '*', 'v', WIRE_VERSION, 'd', encodeEvent({ type: 'performance.metric.recorded', name: 'm', value: i, timestamp: now, attributes: {} }, 'svc', 'i1', `i1-${i}`)!);
    }
    // The first look happens before the first read; the next one only after claimIntervalMs.
    const agg = track(new RedisAggregator({ redis: server.url, stream: n.stream, group: n.group, prefix: n.prefix, blockMs: 50, claimIntervalMs: 600_000 }).start());
    await waitFor(() => agg.stats().processed === 7, 'all seven aggregated');
    expect(agg.stats().lag).toBe(7);
  });

  it('redacts credentials in event reasons before they reach the shared stream (issue 11, defect 5)', async () => {
    const n = names();
    const bus = new EventBus();
    const pub = track(new RedisEventPublisher({ bus, redis: server.url, serviceName: 's', instanceId: 'p1', stream: n.stream }));
    bus.publish('health.check.completed', { check: 'db', status: 'unhealthy', durationMs: 1, details: { dsn: 'postgres://app:S3cretPw@db/orders' }, reason: 'ECONNREFUSED postgres://app:S3cretPw@db/orders' });
    bus.publish('performance.phase.end', { name: 'load', durationMs: 2, status: 'error', error: 'login failed for mysql://root:S3cretPw@mysql:3306' });
    expect(await pub.forceFlush(5000)).toBe(true);
    const raw = JSON.stringify(await admin.xrange(n.stream, '-', '+'));
    expect(raw).toContain('postgres://app:***@db/orders');
    expect(raw).toContain('mysql://root:***@mysql:3306');
    expect(raw).not.toContain('S3cretPw');
  });

  it('gives every rollup, index, seen-id and trace key an expiry', async () => {
    const n = names();
    const bus = new EventBus();
    track(new RedisEventPublisher({ bus, redis: server.url, serviceName: 's', instanceId: 'p1', stream: n.stream }));
    const windows = [{ seconds: 60, retentionSeconds: 120 }, { seconds: 300, retentionSeconds: 600 }];
    const agg = track(new RedisAggregator({ redis: server.url, stream: n.stream, group: n.group, prefix: n.prefix, blockMs: 50, windows, dedupTtlSeconds: 900, traceTtlSeconds: 30 }).start());
    bus.publish('performance.phase.end', { name: 'render', durationMs: 4, status: 'ok', traceId: TRACE, spanId: SPAN });
    await waitFor(() => agg.stats().processed === 1, 'event aggregated');
    const keys = (await admin.keys(`${n.prefix}:*`)).filter((k) => k !== n.stream);
    expect(keys.filter((k) => k.startsWith(`${n.prefix}:r:`))).toHaveLength(4); // 2 windows × (service, instance)
    const now = Date.now() / 1000;
    for (const key of keys) {
      const ttl = await admin.ttl(key);
      const kind = key.split(':')[1];
      const window = kind === 'r' || kind === 'i' ? Number(key.split(':')[2]) : 0;
      const max = kind === 'seen' ? 900 : kind === 't' ? 30 : window + windows.find((w) => w.seconds === window)!.retentionSeconds;
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(max);
    }
    expect(now).toBeGreaterThan(0);
  });

  it('a query waits for its connection instead of answering "no data", and fails when Redis is unreachable', async () => {
    const n = names();
    const now = Date.now();
    await admin.xadd(n.stream, '*', 'v', WIRE_VERSION, 'd', encodeEvent({ type: 'performance.metric.recorded', name: 'm', value: 2, timestamp: now, attributes: {} }, 's', 'i', 'i-1')!);
    const agg = track(new RedisAggregator({ redis: server.url, stream: n.stream, group: n.group, prefix: n.prefix, blockMs: 50 }).start());
    await waitFor(() => agg.stats().processed === 1, 'aggregated');
    // Regression: the first query on a fresh client used to run before it connected and came back empty.
    const fresh = track(new RedisRollupQuery({ redis: server.url, prefix: n.prefix }));
    expect(await fresh.summary({ metric: 'm', windowSeconds: 60, ...around(now) })).toMatchObject({ count: 1, sum: 2 });
    const gone = await RedisServer.start();
    await gone.stop();
    const unreachable = track(new RedisRollupQuery({ redis: gone.url, prefix: n.prefix, commandTimeoutMs: 300 }));
    await expect(unreachable.summary({ metric: 'm', windowSeconds: 60, ...around(now) })).rejects.toThrow(/not reachable/);
  });

  it('rejects bad configuration at construction, naming the option and value', async () => {
    const bus = new EventBus();
    expect(() => new RedisEventPublisher({ bus, serviceName: '' })).toThrow(/serviceName/);
    expect(() => new RedisEventPublisher({ bus, serviceName: 's', bufferSize: 0, redis: server.url })).toThrow(/bufferSize: 0/);
    expect(() => new RedisEventPublisher({ bus, serviceName: 's', redis: 'http://localhost' })).toThrow(ConfigurationError);
    expect(() => new RedisAggregator({ redis: server.url, claimIdleMs: -1 })).toThrow(/claimIdleMs: -1/);
    expect(() => new RedisAggregator({ redis: server.url, windows: [{ seconds: 60, retentionSeconds: 0 }] })).toThrow(/windows\[0\]\.retentionSeconds/);
    expect(() => new RedisEventPublisher(null as never)).toThrow('Invalid options: null (expected an options object)');
    expect(() => new RedisEventPublisher({ bus: {} as never, serviceName: 's', redis: server.url })).toThrow('Invalid bus: {} (expected an EventBus)');
    expect(() => new RedisEventPublisher({ bus, serviceName: 's', redis: server.url, flushIntervalMs: -1 })).toThrow('Invalid flushIntervalMs: -1 (expected a number >= 0)');
    expect(() => new RedisEventPublisher({ bus, serviceName: 's', redis: server.url, patterns: [] })).toThrow('Invalid patterns: [] (expected a non-empty array of event patterns)');
    expect(() => new RedisEventPublisher({ bus, serviceName: 's', redis: 'http://app:hunter2@localhost' })).toThrow(
      'Invalid redis: "http://app:***@localhost" (expected a redis:// or rediss:// URL, ioredis options or an ioredis client)',
    );
    expect(() => new RedisEventPublisher({ bus, serviceName: 's', redis: 6379 as never })).toThrow('Invalid redis: 6379');
    expect(() => new RedisAggregator({ redis: server.url, batchSize: 5001 })).toThrow('Invalid batchSize: 5001 (expected an integer from 1 to 5000)');
    expect(() => new RedisAggregator({ redis: server.url, batchSize: 0 })).toThrow('Invalid batchSize: 0');
    expect(() => new RedisAggregator({ redis: server.url, windows: [] })).toThrow('Invalid windows: [] (expected a non-empty array of { seconds, retentionSeconds })');
    const query = track(new RedisRollupQuery({ redis: server.url }));
    await expect(query.trace('ABC')).rejects.toThrow('Invalid traceId: "ABC" (expected 32 lowercase hex characters)');
    await expect(query.rollups(null as never)).rejects.toThrow('Invalid filter: null (expected a rollup filter object)');
    await expect(query.rollups({ metric: 'm', windowSeconds: 60, from: 2000, to: 1000 })).rejects.toThrow('Invalid to: 1000 (expected a finite timestamp >= from (2000))');
    await expect(query.summary({ metric: 'm', windowSeconds: 60, from: Number.NaN, to: 1000 })).rejects.toThrow('Invalid from: NaN (expected a finite timestamp)');
    return expect(query.rollups({ metric: 'm', windowSeconds: 7, from: 0, to: 1 })).rejects.toThrow(/windowSeconds: 7/);
  });

  it('shutdown is idempotent, flushes what is buffered and leaves a client it did not open alone', async () => {
    const n = names();
    const bus = new EventBus();
    const own = new Redis(server.url, { lazyConnect: true });
    await own.connect();
    const publisher = new RedisEventPublisher({ bus, redis: own, serviceName: 's', instanceId: 'p9', stream: n.stream, flushIntervalMs: 10_000 });
    for (let i = 0; i < 5; i++) bus.publish('validation.completed', { validationId: String(i), validator: 'email', durationMs: i });
    const first = publisher.shutdown(2000);
    const second = publisher.shutdown(2000);
    expect(second).toBe(first);
    await first;
    expect(await admin.xlen(n.stream)).toBe(5);
    bus.publish('validation.completed', { validationId: 'late', validator: 'email', durationMs: 1 });
    expect(publisher.stats()).toMatchObject({ sent: 5, enqueued: 5, buffered: 0 });
    expect(own.status).toBe('ready');
    own.disconnect();
  });
});
