import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROLLUP_RELATIVE_ACCURACY } from '../../src/distributed/Rollup.js';
import { RedisRollupQuery, type RollupFilter } from '../../src/distributed/RedisRollupQuery.js';
import type { RollupSummary } from '../../src/distributed/Rollup.js';
import { NodeProcess } from './helpers/nodeProcess.js';
import { RedisServer } from '../helpers/redisServer.js';
import { waitFor } from '../helpers/wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PRODUCER = fileURLToPath(new URL('./fixtures/distributed-producer.mjs', import.meta.url));
const AGGREGATOR = fileURLToPath(new URL('./fixtures/distributed-aggregator.mjs', import.meta.url));
const TRACE = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

const cleanup: (() => Promise<unknown> | void)[] = [];

beforeAll(() => {
  // The fixtures import the built package, as a user would; the suite command builds first.
  if (!existsSync(join(ROOT, 'dist/distributed/index.js'))) execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
}, 120_000);

afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** The nearest-rank q-quantile: the ceil(q·n)-th smallest value, what the rollups report. */
function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

function expectMatches(summary: RollupSummary, values: readonly number[]): void {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  expect(summary.count).toBe(sorted.length);
  expect(Math.abs(summary.sum - sum)).toBeLessThanOrEqual(Math.abs(sum) * 1e-9);
  expect(summary.min).toBe(sorted[0]);
  expect(summary.max).toBe(sorted[sorted.length - 1]);
  for (const [q, got] of [[0.5, summary.p50], [0.99, summary.p99]] as const) {
    const exact = exactQuantile(sorted, q);
    expect(Math.abs(got - exact), `p${q * 100}: ${got} vs exact ${exact}`).toBeLessThanOrEqual(exact * ROLLUP_RELATIVE_ACCURACY + 1e-9);
  }
}

interface Setup {
  redis: RedisServer;
  names: { stream: string; group: string; prefix: string };
  dir: string;
}

async function setup(aof: boolean): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'si-distributed-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const redis = await RedisServer.start(aof ? { aofDir: dir } : {});
  cleanup.push(() => redis.stop());
  return { redis, dir, names: { stream: 'events', group: 'aggregators', prefix: 'si' } };
}

function startAggregator(s: Setup, consumer: string): NodeProcess {
  const p = new NodeProcess(AGGREGATOR, { redis: s.redis.url, ...s.names, consumer });
  cleanup.push(() => p.kill('SIGKILL'));
  return p;
}

const SCALES = [1, 10, 100];

function startProducers(s: Setup, count: number, chunk: number, intervalMs: number, gateAt?: number): NodeProcess[] {
  return SCALES.map((scale, i) => {
    const p = new NodeProcess(PRODUCER, {
      redis: s.redis.url, stream: s.names.stream, service: 'checkout', instance: `pod-${i}`,
      count, chunk, intervalMs, scale, seed: 100 + i, traceId: TRACE, out: join(s.dir, `values-${i}.json`),
      gateAt, gateFile: join(s.dir, 'gate'),
    });
    cleanup.push(() => p.kill('SIGKILL'));
    return p;
  });
}

function recordedValues(s: Setup): number[][] {
  return SCALES.map((_, i) => JSON.parse(readFileSync(join(s.dir, `values-${i}.json`), 'utf8')) as number[]);
}

async function stopAggregator(p: NodeProcess): Promise<{ processed: number; claimed: number; duplicates: number }> {
  p.kill('SIGTERM');
  return JSON.parse(await p.waitLine('stats ')) as { processed: number; claimed: number; duplicates: number };
}

function openQuery(s: Setup): RedisRollupQuery {
  const q = new RedisRollupQuery({ redis: s.redis.url, prefix: s.names.prefix, retryMaxDelayMs: 100 });
  cleanup.push(() => q.shutdown());
  return q;
}

function filterNow(): RollupFilter {
  const now = Date.now();
  return { metric: 'latency_ms', windowSeconds: 60, from: now - 3_600_000, to: now + 3_600_000 };
}

async function checkRollups(query: RedisRollupQuery, values: number[][]): Promise<void> {
  const filter = filterNow();
  const total = values.reduce((a, v) => a + v.length, 0);
  const summary = await waitFor(async () => {
    const r = await query.summary(filter);
    return r.count >= total ? r : undefined;
  }, `${total} events in the rollups`, 120_000, 100);
  // Cross-instance: the service-level rollup is the merge of everything every producer recorded.
  expectMatches(summary, values.flat());
  // The 5-minute and 1-hour windows hold the same data.
  expectMatches(await query.summary({ ...filter, windowSeconds: 300 }), values.flat());
  expectMatches(await query.summary({ ...filter, windowSeconds: 3600 }), values.flat());
  // Per instance: each producer's own data, exactly.
  for (let i = 0; i < values.length; i++) expectMatches(await query.summary({ ...filter, instance: `pod-${i}` }), values[i]!);
  // A label filter merges only the matching series.
  expectMatches(await query.summary({ ...filter, labels: { route: '/a' } }), values.flatMap((v) => v.filter((_, j) => j % 2 === 0)));
}

describe('distributed monitoring across processes (3 producers, 2 aggregators, real Redis)', () => {
  it('cross-instance totals equal what the producers recorded; merged p50/p99 within the sketch error; traces correlate', async () => {
    const s = await setup(false);
    const aggregators = [startAggregator(s, 'agg-a'), startAggregator(s, 'agg-b')];
    await Promise.all(aggregators.map((a) => a.waitLine('ready')));
    const producers = startProducers(s, 3000, 250, 20);
    for (const p of producers) {
      expect(await p.exited, p.stderr).toBe(0);
      expect(JSON.parse(p.last('done ')!)).toMatchObject({ flushed: true, sent: 3000, dropped: 0 });
    }
    const query = openQuery(s);
    const values = recordedValues(s);
    await checkRollups(query, values);

    const trace = await query.trace(TRACE);
    expect(trace).toHaveLength(9);
    expect(new Set(trace.map((e) => e.instance))).toEqual(new Set(['pod-0', 'pod-1', 'pod-2']));
    expect(trace.every((e) => e.event.traceId === TRACE && e.service === 'checkout')).toBe(true);

    const stats = await Promise.all(aggregators.map(stopAggregator));
    expect(stats[0]!.processed + stats[1]!.processed).toBe(9000);
    expect(stats.map((x) => x.duplicates)).toEqual([0, 0]);
  }, 300_000);

  it('loses nothing and counts nothing twice when Redis is killed and restarted and one aggregator is killed mid-stream', async () => {
    // Redis keeps an append-only file (fsync on every write) in the test's temp dir: a Redis that
    // keeps nothing on disk forgets every rollup when killed, which no client can undo.
    const s = await setup(true);
    const aggA = startAggregator(s, 'agg-a');
    const aggB = startAggregator(s, 'agg-b');
    await Promise.all([aggA.waitLine('ready'), aggB.waitLine('ready')]);
    // The producers stop at 1500 events each until the test opens the gate, once Redis is down: so
    // they always record (and fail to flush) during the outage, however fast or slow the machine.
    const producers = startProducers(s, 4000, 100, 40, 1500);
    const query = openQuery(s);
    const admin = new Redis(s.redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    admin.on('error', () => {});
    cleanup.push(() => admin.disconnect());

    // 1. Mid-stream, one aggregator dies without warning.
    await waitFor(async () => (await query.summary(filterNow())).count >= 1500, 'some events aggregated', 120_000);
    aggA.kill('SIGKILL');
    await aggA.exited;
    const pendingA = await admin.xpending('events', 'aggregators', '-', '+', 100_000, 'agg-a');

    // 2. Then Redis dies while the producers keep recording, and comes back later.
    await waitFor(async () => (await query.summary(filterNow())).count >= 3000, 'aggregation continues on agg-b', 120_000);
    await Promise.all(producers.map((p) => p.waitLine('gate', 120_000)));
    await s.redis.kill();
    writeFileSync(join(s.dir, 'gate'), '');
    await waitFor(() => producers.every((p) => Number(p.last('recorded ') ?? 0) >= 2000), 'producers recording during the outage', 120_000);
    await s.redis.restart();

    for (const p of producers) {
      expect(await p.exited, p.stderr).toBe(0);
      const done = JSON.parse(p.last('done ')!) as { flushed: boolean; sent: number; dropped: number; failedFlushes: number };
      expect(done).toMatchObject({ flushed: true, sent: 4000, dropped: 0 });
    }
    expect(producers.some((p) => (JSON.parse(p.last('done ')!) as { failedFlushes: number }).failedFlushes > 0)).toBe(true);

    await checkRollups(query, recordedValues(s));
    await waitFor(async () => (await admin.xpending('events', 'aggregators'))[0] === 0, 'no pending entries', 120_000);
    const b = await stopAggregator(aggB);
    // Whatever agg-a had read but not committed when it died was taken over by agg-b.
    expect(b.claimed).toBeGreaterThanOrEqual((pendingA as unknown[]).length);
  }, 600_000);
});
