import { raceDeadline } from '../internal/timeout.js';
import { hostname } from 'node:os';
import { metrics, type Meter } from '@opentelemetry/api';
import type { Redis } from 'ioredis';
import { UnavailableError } from '../errors/MonitoringError.js';
import { reportOnce } from '../internal/report.js';
import { COMMIT_SCRIPT } from './commitScript.js';
import { closeRedis, openRedis, type OpenedRedis, type RedisTarget } from './connection.js';
import { positiveIntOr, requireIntRange, shortStringOr } from '../internal/configCheck.js';
import { indexKey, rollupKey, seenKey, traceKey } from './keys.js';
import { DEFAULT_WINDOWS, RollupBatch, validateWindows, type RollupWindow } from './RollupBatch.js';
import { decodeEntry, DEFAULT_MAX_ENTRY_BYTES, type WireEvent } from './wire.js';

/** Options of `RedisAggregator`. */
export interface RedisAggregatorOptions {
  /** Redis URL, ioredis options or client. Default: `REDIS_URL`, else `redis://127.0.0.1:6379`. */
  readonly redis?: RedisTarget;
  /** Stream key the publishers write. Default `si:events`. */
  readonly stream?: string;
  /** Consumer group shared by all aggregators. Default `si-aggregators`. */
  readonly group?: string;
  /** This aggregator's consumer name, unique within the group. Default `<hostname>-<pid>`. */
  readonly consumer?: string;
  /** Prefix of the rollup, index, seen-id and trace keys. Default `si`. */
  readonly prefix?: string;
  /** Rollup windows. Default 1 min (kept 2 h), 5 min (kept 1 day), 1 h (kept 7 days). */
  readonly windows?: readonly RollupWindow[];
  /**
   * Entries read per `XREADGROUP` / `XAUTOCLAIM` and committed together. Default 1,000. Larger
   * batches merge more sketch bins before they reach Redis (fewer HINCRBYs per event) but hold
   * Redis longer per commit script.
   */
  readonly batchSize?: number;
  /** How long one `XREADGROUP` waits for new entries, in ms. Default 1,000. */
  readonly blockMs?: number;
  /** Entries pending on another consumer for this long are taken over (`XAUTOCLAIM`). Default 30,000 ms. */
  readonly claimIdleMs?: number;
  /** How often to look for such entries. Default 5,000 ms. */
  readonly claimIntervalMs?: number;
  /** How long counted event ids are remembered for deduplication. Default 86,400 s. */
  readonly dedupTtlSeconds?: number;
  /** How long a trace's event list lives after its last event. Default 3,600 s. */
  readonly traceTtlSeconds?: number;
  /** Events kept per trace id (the newest). Default 1,000. */
  readonly maxTraceEvents?: number;
  /** Larger entries are skipped as oversized. Default 65,536 characters. */
  readonly maxEntryBytes?: number;
  /** Longest reconnect / retry delay. Default 5,000 ms. */
  readonly retryMaxDelayMs?: number;
  /** A command (other than the blocking read) that takes longer fails and is retried. Default 5,000 ms. */
  readonly commandTimeoutMs?: number;
  /** Meter for the self-metrics. Default: the global meter provider's `service-infrastructure/redis`. */
  readonly meter?: Meter;
}

/** Counters an aggregator keeps about itself. */
export interface RedisAggregatorStats {
  /** Events counted into the rollups by this aggregator. */
  processed: number;
  /** Events skipped because their id was already counted (redelivery, resend). */
  duplicates: number;
  /** Entries skipped (and acknowledged) because their payload was not a valid event. */
  malformed: number;
  /** Entries skipped because they exceeded `maxEntryBytes`. */
  oversized: number;
  /** Entries skipped because they were not written by this SDK's wire format. */
  foreign: number;
  /** Entries taken over from another consumer with `XAUTOCLAIM`. */
  claimed: number;
  /** Pending entries that the stream's `MAXLEN` had trimmed before they could be read. */
  trimmed: number;
  /** Successful commits (one per batch). */
  commits: number;
  /**
   * Entries acknowledged without being counted: an event whose value would overflow its rollup's
   * sum (only that entry; the rest of its batch is counted), or a batch Redis refused 3 times.
   */
  rejected: number;
  /** Entries of the stream the group has not acknowledged yet (never read, or read and pending), at the last look. */
  lag: number;
  /** Failed reads or commits (each retried). */
  errors: number;
}

/** Self-metric names of the aggregator. */
export const AGGREGATOR_METRICS = Object.freeze({
  processed: 'service_infrastructure_redis_events_aggregated_total',
  duplicates: 'service_infrastructure_redis_events_duplicate_total',
  /** By `reason`: foreign, oversized, malformed. */
  skipped: 'service_infrastructure_redis_entries_skipped_total',
  /** Entries acknowledged without being counted (a value that would overflow its rollup). */
  rejected: 'service_infrastructure_redis_events_rejected_total',
  /** Entries the group has not acknowledged yet: written but not read, or read and not committed. */
  lag: 'service_infrastructure_redis_aggregator_lag',
});

type StreamEntry = [id: string, fields: string[] | null];

interface CommitCapable {
  siCommit(...args: (string | number)[]): Promise<unknown>;
}

/**
 * Consumes the publishers' stream in a Redis consumer group and merges the events into
 * time-window rollups (per metric and label set, per service and per instance) and per-trace event
 * lists, all stored in Redis so any process can query them (`RedisRollupQuery`).
 *
 * Several aggregators share the work: each reads its own entries with `XREADGROUP`, and entries a
 * crashed one left pending are taken over with `XAUTOCLAIM` after `claimIdleMs`. A batch is
 * committed by one server-side script that checks and records the event ids, merges the rollups
 * and `XACK`s the entries atomically, so redelivery and producer resends are never counted twice.
 * Entries that are foreign, oversized or malformed are counted, acknowledged and skipped.
 *
 * @example
 * import { RedisAggregator } from 'service-infrastructure/redis';
 * const aggregator = new RedisAggregator({ redis: process.env.REDIS_URL, consumer: 'agg-1' });
 * aggregator.start();
 * process.on('SIGTERM', () => void aggregator.shutdown());
 */
export class RedisAggregator {
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly prefix: string;
  readonly windows: readonly RollupWindow[];

  private readonly _conn: OpenedRedis;
  private readonly _batchSize: number;
  private readonly _blockMs: number;
  private readonly _claimIdleMs: number;
  private readonly _claimIntervalMs: number;
  private readonly _dedupTtl: number;
  private readonly _traceTtl: number;
  private readonly _maxTraceEvents: number;
  private readonly _maxEntryBytes: number;
  private readonly _retryMaxMs: number;
  private readonly _stats: RedisAggregatorStats = {
    processed: 0, duplicates: 0, malformed: 0, oversized: 0, foreign: 0, claimed: 0, trimmed: 0, commits: 0, errors: 0, rejected: 0, lag: 0,
  };
  private _running: Promise<void> | undefined;
  private _stopping = false;
  private _groupReady = false;
  private _nextClaimAt = 0;
  private _failures = 0;
  /** Re-read this consumer's own pending entries ('0') before new ones ('>'): at start and after a failed commit. */
  private _ownPendingFirst = true;
  /** First entry id of the batch Redis last refused, and how often in a row. */
  private _refusedId = '';
  private _refusedCount = 0;
  private _wake: (() => void) | undefined;
  private _shutdown: Promise<void> | undefined;
  private readonly _meter: Meter;
  private _metricsCallback: Parameters<Meter['addBatchObservableCallback']>[0] | undefined;
  private _observables: Parameters<Meter['addBatchObservableCallback']>[1] = [];

  constructor(options: RedisAggregatorOptions = {}) {
    this.stream = shortStringOr('stream', options.stream, 'si:events');
    this.group = shortStringOr('group', options.group, 'si-aggregators');
    this.consumer = shortStringOr('consumer', options.consumer, `${hostname()}-${process.pid}`);
    this.prefix = shortStringOr('prefix', options.prefix, 'si');
    this.windows = validateWindows(options.windows ?? DEFAULT_WINDOWS);
    this._batchSize = options.batchSize ?? 1000;
    requireIntRange('batchSize', this._batchSize, 1, 5000);
    this._blockMs = positiveIntOr('blockMs', options.blockMs, 1000);
    this._claimIdleMs = positiveIntOr('claimIdleMs', options.claimIdleMs, 30_000);
    this._claimIntervalMs = positiveIntOr('claimIntervalMs', options.claimIntervalMs, 5000);
    this._dedupTtl = positiveIntOr('dedupTtlSeconds', options.dedupTtlSeconds, 86_400);
    this._traceTtl = positiveIntOr('traceTtlSeconds', options.traceTtlSeconds, 3600);
    this._maxTraceEvents = positiveIntOr('maxTraceEvents', options.maxTraceEvents, 1000);
    this._maxEntryBytes = positiveIntOr('maxEntryBytes', options.maxEntryBytes, DEFAULT_MAX_ENTRY_BYTES);
    this._retryMaxMs = positiveIntOr('retryMaxDelayMs', options.retryMaxDelayMs, 5000);
    const commandTimeoutMs = positiveIntOr('commandTimeoutMs', options.commandTimeoutMs, 5000);
    // The blocking read holds the connection for blockMs, so the command timeout must outlast it.
    this._conn = openRedis(options.redis, {
      commandTimeoutMs: commandTimeoutMs + this._blockMs,
      retryMaxDelayMs: this._retryMaxMs,
      name: `si-aggregator-${this.consumer}`,
    });
    this._conn.redis.defineCommand('siCommit', { numberOfKeys: 0, lua: COMMIT_SCRIPT });
    this._meter = options.meter ?? metrics.getMeter('service-infrastructure/redis');
  }

  /** A copy of the aggregator's counters. */
  stats(): RedisAggregatorStats {
    return { ...this._stats };
  }

  /** Starts consuming. Calling it again while running does nothing. */
  start(): this {
    if (this._running !== undefined || this._shutdown !== undefined) return this;
    this._registerMetrics();
    this._running = this._run();
    return this;
  }

  /**
   * Stops after the batch in hand is committed (waiting up to `timeoutMs`), then closes the client
   * if the aggregator opened it. Entries read but not committed stay pending for another consumer.
   * Safe to call more than once.
   */
  shutdown(timeoutMs = 5000): Promise<void> {
    this._shutdown ??= this._doShutdown(timeoutMs);
    return this._shutdown;
  }

  private async _doShutdown(timeoutMs: number): Promise<void> {
    this._stopping = true;
    this._wake?.();
    if (this._running !== undefined) {
      await raceDeadline(this._running, timeoutMs, undefined);
    }
    if (this._metricsCallback !== undefined) this._meter.removeBatchObservableCallback(this._metricsCallback, this._observables);
    await closeRedis(this._conn, Math.min(timeoutMs, 1000));
  }

  private async _run(): Promise<void> {
    const redis = this._conn.redis;
    while (!this._stopping) {
      try {
        if (redis.status !== 'ready') {
          await this._sleep(Math.min(100 * 2 ** Math.min(this._failures++, 6), this._retryMaxMs));
          continue;
        }
        if (!this._groupReady) await this._ensureGroup(redis);
        if (Date.now() >= this._nextClaimAt) {
          await this._claim(redis);
          await this._measureLag(redis);
          this._nextClaimAt = Date.now() + this._claimIntervalMs;
        }
        if (this._stopping) break;
        const own = this._ownPendingFirst;
        const res = (await redis.xreadgroup(
          'GROUP', this.group, this.consumer, 'COUNT', this._batchSize, 'BLOCK', this._blockMs, 'STREAMS', this.stream, own ? '0' : '>',
        )) as [string, StreamEntry[]][] | null;
        let got = 0;
        if (res !== null) {
          for (const [, entries] of res) {
            got += entries.length;
            await this._process(redis, entries);
          }
        }
        // Reading '0' returns what this consumer holds but never committed (a batch whose commit
        // failed, or entries from a previous run under the same name), without waiting for
        // XAUTOCLAIM's idle time; once that is empty, go back to new entries.
        if (own && got === 0) this._ownPendingFirst = false;
        this._failures = 0;
      } catch (err) {
        if (this._stopping) break;
        const message = String((err as Error)?.message ?? err);
        // NOGROUP: Redis came back without its data (no persistence); create the group again.
        if (message.includes('NOGROUP')) this._groupReady = false;
        this._ownPendingFirst = true;
        this._stats.errors++;
        reportOnce(`redis-aggregator:${this.consumer}:${message}`, `Redis aggregator ${this.consumer}: ${message}; retrying`);
        await this._sleep(Math.min(100 * 2 ** Math.min(this._failures++, 6), this._retryMaxMs));
      }
    }
  }

  private _sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this._wake = undefined;
        resolve();
      }, ms);
      timer.unref();
      this._wake = () => {
        clearTimeout(timer);
        this._wake = undefined;
        resolve();
      };
    });
  }

  /** Reads the group's lag and pending count (`XINFO GROUPS`, Redis 7) into `stats().lag`. */
  private async _measureLag(redis: Redis): Promise<void> {
    const groups = (await redis.xinfo('GROUPS', this.stream)) as unknown[][];
    for (const g of groups) {
      const info = new Map<string, unknown>();
      for (let i = 0; i + 1 < g.length; i += 2) info.set(String(g[i]), g[i + 1]);
      if (info.get('name') !== this.group) continue;
      const pending = Number(info.get('pending') ?? 0);
      const unread = Number(info.get('lag') ?? 0);
      this._stats.lag = (Number.isFinite(pending) ? pending : 0) + (Number.isFinite(unread) ? unread : 0);
    }
  }

  private async _ensureGroup(redis: Redis): Promise<void> {
    try {
      // From '0': events written before the first aggregator started are aggregated too.
      await redis.xgroup('CREATE', this.stream, this.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error)?.message).includes('BUSYGROUP')) throw err;
    }
    this._groupReady = true;
  }

  private async _claim(redis: Redis): Promise<void> {
    let cursor = '0-0';
    // Bounded per round so a huge backlog of orphaned entries cannot starve new ones.
    for (let round = 0; round < 20 && !this._stopping; round++) {
      const res = (await redis.xautoclaim(this.stream, this.group, this.consumer, this._claimIdleMs, cursor, 'COUNT', this._batchSize)) as unknown as [
        string,
        StreamEntry[],
        string[]?,
      ];
      const entries = res[1];
      this._stats.trimmed += res[2]?.length ?? 0;
      if (entries.length > 0) {
        this._stats.claimed += entries.length;
        await this._process(redis, entries);
      }
      cursor = res[0];
      if (cursor === '0-0') break;
    }
  }

  private async _process(redis: Redis, entries: readonly StreamEntry[]): Promise<void> {
    const acks: string[] = [];
    const decoded: { value: WireEvent; json: string }[] = [];
    for (const [id, fields] of entries) {
      acks.push(id);
      if (fields === null) {
        // Re-reading our own pending entries returns trimmed ones with no fields.
        this._stats.trimmed++;
        continue;
      }
      const r = decodeEntry(fields, this._maxEntryBytes);
      if (r.ok) decoded.push(r);
      else {
        this._stats[r.reason]++;
        reportOnce(`redis-aggregator-skip:${r.reason}`, `Redis aggregator skipped a ${r.reason} stream entry (${id}); counted and acknowledged`);
      }
    }
    let exclude: Set<string> | undefined;
    // Sums already stored in Redis, learnt when a commit would have overflowed one of them.
    let stored: Map<string, number> | undefined;
    const storedSum = (seconds: number, start: number, member: string): number => stored?.get(rollupKey(this.prefix, seconds, start, member)) ?? 0;
    for (let attempt = 0; attempt < 5; attempt++) {
      const batch = new RollupBatch(this.windows, storedSum);
      for (const d of decoded) if (exclude === undefined || !exclude.has(d.value.id)) batch.add(d.value, d.json);
      let res: unknown;
      try {
        res = await (redis as unknown as CommitCapable).siCommit(...this._commitArgs(batch, acks));
      } catch (err) {
        if ((err as Error)?.name !== 'ReplyError') throw err;
        // Redis understood the commit and refused it before writing (e.g. a sum that would overflow).
        // Retrying the same batch forever would block this consumer and, via XAUTOCLAIM, the
        // next one: after three refusals the entries are acknowledged uncounted.
        const first = acks[0] ?? '';
        this._refusedCount = this._refusedId === first ? this._refusedCount + 1 : 1;
        this._refusedId = first;
        if (this._refusedCount < 3) throw err;
        await redis.xack(this.stream, this.group, ...acks);
        this._stats.rejected += acks.length;
        reportOnce(`redis-aggregator-rejected:${this.consumer}`, `Redis aggregator ${this.consumer}: Redis refused a batch three times (${String((err as Error).message)}); acknowledged ${acks.length} entries without counting them`);
        return;
      }
      if (Array.isArray(res) && res[0] === 'SI_OVERFLOW') {
        // One value (say 1e308) would overflow a stored sum: learn those sums and rebuild the
        // batch, which then leaves out only the entries that do not fit.
        stored ??= new Map();
        for (let i = 1; i + 1 < res.length; i += 2) stored.set(String(res[i]), Number(res[i + 1]));
        continue;
      }
      if (Array.isArray(res) && res.length > 0) {
        exclude ??= new Set();
        for (const id of res) exclude.add(String(id));
        this._stats.duplicates += res.length;
        continue;
      }
      this._stats.processed += batch.ids.length;
      this._stats.duplicates += batch.duplicates;
      this._stats.commits++;
      if (batch.rejected.length > 0) {
        this._stats.rejected += batch.rejected.length;
        reportOnce(`redis-aggregator-overflow:${this.consumer}`, `Redis aggregator ${this.consumer}: left out ${batch.rejected.length} event(s) (first ${batch.rejected[0]}) whose value would overflow a rollup sum; counted as rejected`);
      }
      return;
    }
    throw new UnavailableError('commit kept meeting newly counted duplicates; will retry the batch');
  }

  private _commitArgs(batch: RollupBatch, acks: readonly string[]): (string | number)[] {
    const args: (string | number)[] = [this.stream, this.group, this._dedupTtl, batch.ids.length];
    for (let i = 0; i < batch.ids.length; i++) args.push(seenKey(this.prefix, batch.timestamps[i]!), batch.ids[i]!);
    args.push(batch.rollups.size);
    const retention = new Map<number, number>();
    for (const w of this.windows) retention.set(w.seconds, w.retentionSeconds);
    for (const r of batch.rollups.values()) {
      const s = r.state;
      const expireAt = Math.ceil((r.windowStart + r.windowSeconds * 1000) / 1000) + retention.get(r.windowSeconds)!;
      args.push(
        rollupKey(this.prefix, r.windowSeconds, r.windowStart, r.member),
        indexKey(this.prefix, r.windowSeconds, r.windowStart),
        r.member,
        expireAt,
        s.count,
        String(s.sum),
        String(s.min),
        String(s.max),
        s.positive.size + s.negative.size + (s.zero > 0 ? 1 : 0),
      );
      for (const [k, c] of s.positive) args.push(`p${k}`, c);
      for (const [k, c] of s.negative) args.push(`n${k}`, c);
      if (s.zero > 0) args.push('z', s.zero);
    }
    args.push(batch.traces.length, this._traceTtl, this._maxTraceEvents);
    for (const t of batch.traces) args.push(traceKey(this.prefix, t.traceId), t.json);
    args.push(acks.length, ...acks);
    return args;
  }

  private _registerMetrics(): void {
    const processed = this._meter.createObservableCounter(AGGREGATOR_METRICS.processed, { description: 'Monitoring events merged into Redis rollups' });
    const duplicates = this._meter.createObservableCounter(AGGREGATOR_METRICS.duplicates, { description: 'Redelivered or resent events recognised by id and not counted again' });
    const skipped = this._meter.createObservableCounter(AGGREGATOR_METRICS.skipped, { description: 'Stream entries skipped as foreign, oversized or malformed' });
    const rejected = this._meter.createObservableCounter(AGGREGATOR_METRICS.rejected, { description: 'Stream entries acknowledged without being counted (a value that would overflow its rollup)' });
    const lag = this._meter.createObservableGauge(AGGREGATOR_METRICS.lag, { description: 'Stream entries the consumer group has not acknowledged yet (unread plus pending)' });
    const attrs = { consumer: this.consumer };
    const foreign = { consumer: this.consumer, reason: 'foreign' };
    const oversized = { consumer: this.consumer, reason: 'oversized' };
    const malformed = { consumer: this.consumer, reason: 'malformed' };
    this._observables = [processed, duplicates, skipped, rejected, lag];
    this._metricsCallback = (r) => {
      r.observe(processed, this._stats.processed, attrs);
      r.observe(duplicates, this._stats.duplicates, attrs);
      r.observe(skipped, this._stats.foreign, foreign);
      r.observe(skipped, this._stats.oversized, oversized);
      r.observe(skipped, this._stats.malformed, malformed);
      r.observe(rejected, this._stats.rejected, attrs);
      r.observe(lag, this._stats.lag, attrs);
    };
    this._meter.addBatchObservableCallback(this._metricsCallback, this._observables);
  }
}
