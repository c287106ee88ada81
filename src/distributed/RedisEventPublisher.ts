import { raceDeadline } from '../internal/timeout.js';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { metrics, type Meter } from '@opentelemetry/api';
import type { EventBus } from '../events/EventBus.js';
import type { EventPattern, MonitoringEvent } from '../events/types.js';
import { reportOnce } from '../internal/report.js';
import { closeRedis, openRedis, type OpenedRedis, type RedisTarget } from './connection.js';
import { positiveIntOr, requireArray, requireMethods, requireNumber, requireObject, shortStringOr } from '../internal/configCheck.js';
import { encodeEvent, WIRE_VERSION } from './wire.js';

/** Options of `RedisEventPublisher`. */
export interface RedisEventPublisherOptions {
  /** The bus whose events are published. */
  readonly bus: EventBus;
  /** `service.name` written on every event. */
  readonly serviceName: string;
  /** Redis URL, ioredis options or client. Default: `REDIS_URL`, else `redis://127.0.0.1:6379`. */
  readonly redis?: RedisTarget;
  /** Id of this process or thread. Default `<hostname>-<pid>-<4 random hex>`. */
  readonly instanceId?: string;
  /** Stream key. Default `si:events`. */
  readonly stream?: string;
  /** Approximate bound of the stream (`XADD MAXLEN ~`). Default 1,000,000 entries. */
  readonly maxLen?: number;
  /** Event patterns to forward. Default `['*']` (everything on the bus). */
  readonly patterns?: readonly EventPattern[];
  /** Events held locally while Redis is slow or down; past it the oldest are dropped. Default 10,000. */
  readonly bufferSize?: number;
  /** Events per pipelined `XADD` round trip. Default 500. */
  readonly batchSize?: number;
  /** Delay between the first buffered event and the flush, in ms. Default 20. */
  readonly flushIntervalMs?: number;
  /** First retry delay after a failed flush, doubled per failure up to `retryMaxDelayMs`. Default 100. */
  readonly retryInitialDelayMs?: number;
  /** Longest retry / reconnect delay. Default 5,000 ms. */
  readonly retryMaxDelayMs?: number;
  /** A Redis command that takes longer fails (and its batch is retried). Default 5,000 ms. */
  readonly commandTimeoutMs?: number;
  /** Meter for the self-metrics. Default: the global meter provider's `service-infrastructure/redis`. */
  readonly meter?: Meter;
}

/** Counters a publisher keeps about itself (also exported as self-metrics). */
export interface RedisEventPublisherStats {
  /** Events taken from the bus. */
  enqueued: number;
  /** Events Redis acknowledged. */
  sent: number;
  /** Events dropped because the local buffer was full (oldest first). */
  dropped: number;
  /** Events whose payload could not be serialised (cycles, BigInt). */
  unencodable: number;
  /** Flush attempts that failed (Redis down, slow or erroring); each is retried. */
  failedFlushes: number;
  /** Events waiting locally right now. */
  buffered: number;
}

/** Self-metric names of the publisher. */
export const PUBLISHER_METRICS = Object.freeze({
  sent: 'service_infrastructure.redis.events.sent',
  dropped: 'service_infrastructure.redis.events.dropped',
  failedFlushes: 'service_infrastructure.redis.flush.failures',
  buffered: 'service_infrastructure.redis.events.buffered',
});

const DROPPED_EVENT_EVERY = 1000;

/**
 * Forwards typed bus events to a Redis Stream, for `RedisAggregator` to roll up across instances.
 *
 * The bus handler only puts the event in a bounded ring buffer (tens of ns); serialising, giving it
 * an id (`<instanceId>-<seq>`) and the pipelined `XADD ... MAXLEN ~` happen later, off the
 * application's hot path. A batch stays in memory until Redis confirms it, and is resent after a
 * failure with the same ids, so the aggregator's idempotency turns an uncertain send into
 * exactly-once counting. While Redis is down the ring fills; past `bufferSize` the oldest events
 * are dropped, counted (`stats().dropped`, a self-metric) and announced as `monitoring.dropped`.
 * Nothing here throws into the application or leaves a rejection unhandled.
 *
 * @example
 * import { RedisEventPublisher } from 'service-infrastructure/redis';
 * const publisher = new RedisEventPublisher({ bus: monitoring.events, serviceName: 'checkout', redis: 'redis://127.0.0.1:6379' });
 * // ... on exit:
 * await publisher.shutdown();
 */
export class RedisEventPublisher {
  readonly instanceId: string;
  readonly serviceName: string;
  readonly stream: string;

  private readonly _bus: EventBus;
  private readonly _conn: OpenedRedis;
  private readonly _maxLen: number;
  private readonly _batchSize: number;
  private readonly _flushIntervalMs: number;
  private readonly _retryInitialMs: number;
  private readonly _retryMaxMs: number;
  private readonly _capacity: number;
  private readonly _ring: (MonitoringEvent | undefined)[];
  private _head = 0;
  private _size = 0;
  private _seq = 0;
  private _pending: string[] | undefined;
  private _scheduled = false;
  private _flushing = false;
  private _timer: NodeJS.Timeout | undefined;
  private _failures = 0;
  private _closed = false;
  private _announcing = false;
  private _shutdown: Promise<void> | undefined;
  private readonly _waiters: (() => void)[] = [];
  private readonly _unsubscribe: (() => void)[] = [];
  private readonly _stats = { enqueued: 0, sent: 0, dropped: 0, unencodable: 0, failedFlushes: 0 };
  private readonly _meter: Meter;
  private _metricsCallback: Parameters<Meter['addBatchObservableCallback']>[0] | undefined;
  private _observables: Parameters<Meter['addBatchObservableCallback']>[1] = [];

  /** The bus handler: bound once here so subscribing allocates nothing per event. */
  private readonly _onEvent = (event: MonitoringEvent): void => {
    if (this._closed) return;
    const cap = this._capacity;
    const full = this._size >= cap;
    if (full) {
      this._ring[this._head] = undefined;
      this._head = this._head + 1 === cap ? 0 : this._head + 1;
      this._size--;
    }
    let slot = this._head + this._size;
    if (slot >= cap) slot -= cap;
    this._ring[slot] = event;
    this._size++;
    this._stats.enqueued++;
    if (!this._scheduled) this._schedule(this._flushIntervalMs);
    // Announced only after the ring is consistent again: the announcement is itself a bus event
    // that comes straight back into this handler.
    if (full) this._dropped();
  };

  private readonly _flushTick = (): void => {
    this._timer = undefined;
    void this._flush();
  };

  private readonly _onReady = (): void => {
    // Redis is back: send what waited now instead of at the end of the current backoff.
    this._failures = 0;
    if (this._size > 0 || this._pending !== undefined) {
      if (this._timer !== undefined) {
        clearTimeout(this._timer);
        this._timer = undefined;
        this._scheduled = false;
      }
      if (!this._scheduled) this._schedule(0);
    }
  };

  constructor(options: RedisEventPublisherOptions) {
    requireObject('options', options);
    const bus = options.bus;
    requireMethods('bus', bus, ['subscribe'], 'an EventBus');
    this._bus = bus;
    this.serviceName = shortStringOr('serviceName', options.serviceName);
    this.instanceId = shortStringOr('instanceId', options.instanceId, `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`);
    this.stream = shortStringOr('stream', options.stream, 'si:events');
    this._maxLen = positiveIntOr('maxLen', options.maxLen, 1_000_000);
    this._capacity = positiveIntOr('bufferSize', options.bufferSize, 10_000);
    this._batchSize = positiveIntOr('batchSize', options.batchSize, 500);
    const interval = options.flushIntervalMs ?? 20;
    requireNumber('flushIntervalMs', interval, { min: 0 }, 'a number >= 0');
    this._flushIntervalMs = interval;
    this._retryInitialMs = positiveIntOr('retryInitialDelayMs', options.retryInitialDelayMs, 100);
    this._retryMaxMs = positiveIntOr('retryMaxDelayMs', options.retryMaxDelayMs, 5000);
    const commandTimeoutMs = positiveIntOr('commandTimeoutMs', options.commandTimeoutMs, 5000);
    const patterns = options.patterns ?? ['*'];
    requireArray('patterns', patterns, 'a non-empty array of event patterns', undefined, 1);
    this._ring = new Array<MonitoringEvent | undefined>(this._capacity);

    this._conn = openRedis(options.redis, { commandTimeoutMs, retryMaxDelayMs: this._retryMaxMs, name: `si-publisher-${this.instanceId}` });
    this._conn.redis.on('ready', this._onReady);
    for (const p of patterns) this._unsubscribe.push(bus.subscribe(p, this._onEvent, { async: false }));
    this._meter = options.meter ?? metrics.getMeter('service-infrastructure/redis');
    this._registerMetrics(this._meter);
  }

  /** A copy of the publisher's counters. */
  stats(): RedisEventPublisherStats {
    return { ...this._stats, buffered: this._size + (this._pending?.length ?? 0) };
  }

  /**
   * Sends everything buffered now. Resolves true once the buffer is empty, false if `timeoutMs`
   * passed first (Redis still down); never rejects.
   */
  async forceFlush(timeoutMs = 5000): Promise<boolean> {
    if (this._size === 0 && this._pending === undefined) return true;
    if (!this._flushing) {
      if (this._timer !== undefined) clearTimeout(this._timer);
      this._timer = undefined;
      this._scheduled = true;
      void this._flush();
    }
    let resolveWaiter: (() => void) | undefined;
    const drained = new Promise<boolean>((resolve) => {
      resolveWaiter = () => resolve(true);
      this._waiters.push(resolveWaiter);
    });
    const result = await raceDeadline(drained, timeoutMs, false);
    const i = resolveWaiter === undefined ? -1 : this._waiters.indexOf(resolveWaiter);
    if (i >= 0) this._waiters.splice(i, 1);
    return result;
  }

  /**
   * Stops listening to the bus, sends what is buffered (for up to `timeoutMs`), then closes the
   * client if the publisher opened it. Safe to call more than once.
   */
  shutdown(timeoutMs = 5000): Promise<void> {
    this._shutdown ??= this._doShutdown(timeoutMs);
    return this._shutdown;
  }

  private async _doShutdown(timeoutMs: number): Promise<void> {
    for (const off of this._unsubscribe.splice(0)) off();
    const flushed = await this.forceFlush(timeoutMs);
    if (!flushed) reportOnce(`redis-publisher-shutdown:${this.instanceId}`, `Redis publisher shut down with ${this.stats().buffered} events unsent (Redis unreachable)`);
    this._closed = true;
    if (this._timer !== undefined) clearTimeout(this._timer);
    this._timer = undefined;
    this._conn.redis.off('ready', this._onReady);
    if (this._metricsCallback !== undefined) this._meter.removeBatchObservableCallback(this._metricsCallback, this._observables);
    await closeRedis(this._conn, Math.min(timeoutMs, 1000));
  }

  private _schedule(delayMs: number): void {
    this._scheduled = true;
    this._timer = setTimeout(this._flushTick, delayMs);
    this._timer.unref();
  }

  private async _flush(): Promise<void> {
    if (this._flushing) return;
    this._flushing = true;
    let retryIn = -1;
    try {
      while (this._pending !== undefined || this._size > 0) {
        if (this._pending === undefined) {
          this._pending = this._takeBatch();
          if (this._pending.length === 0) {
            this._pending = undefined;
            continue;
          }
        }
        if (this._conn.redis.status !== 'ready' || !(await this._send(this._pending))) {
          this._stats.failedFlushes++;
          retryIn = this._backoff();
          break;
        }
        this._stats.sent += this._pending.length;
        this._pending = undefined;
        this._failures = 0;
      }
    } catch (err) {
      // Defensive: _send never throws, but a bug here must not become an unhandled rejection.
      reportOnce('redis-publisher-flush', `Redis publisher flush failed: ${String((err as Error)?.message ?? err)}`);
      retryIn = this._backoff();
    } finally {
      this._flushing = false;
      this._scheduled = false;
      if (this._closed) this._release();
      else if (this._size > 0 || this._pending !== undefined) this._schedule(retryIn >= 0 ? retryIn : 0);
      else this._release();
    }
  }

  private _release(): void {
    const waiting = this._waiters.splice(0);
    for (const w of waiting) w();
  }

  private _backoff(): number {
    const base = Math.min(this._retryInitialMs * 2 ** Math.min(this._failures, 16), this._retryMaxMs);
    this._failures++;
    // ±20% jitter so a fleet of producers does not reconnect in lockstep.
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  /** Moves up to `batchSize` events out of the ring, serialised with their ids. */
  private _takeBatch(): string[] {
    const n = this._size < this._batchSize ? this._size : this._batchSize;
    const batch: string[] = [];
    const cap = this._capacity;
    for (let i = 0; i < n; i++) {
      const event = this._ring[this._head]!;
      this._ring[this._head] = undefined;
      this._head = this._head + 1 === cap ? 0 : this._head + 1;
      this._size--;
      const json = encodeEvent(event, this.serviceName, this.instanceId, `${this.instanceId}-${++this._seq}`);
      if (json === undefined) {
        this._stats.unencodable++;
        reportOnce(`redis-publisher-encode:${event.type}`, `Redis publisher dropped a "${event.type}" event whose payload is not JSON-serialisable`);
      } else {
        batch.push(json);
      }
    }
    return batch;
  }

  /** One pipelined round trip; true when Redis stored every entry. */
  private async _send(batch: readonly string[]): Promise<boolean> {
    try {
      const pipeline = this._conn.redis.pipeline();
      for (const json of batch) pipeline.xadd(this.stream, 'MAXLEN', '~', this._maxLen, '*', 'v', WIRE_VERSION, 'd', json);
      const results = await pipeline.exec();
      if (results === null) return false;
      for (const [err] of results) {
        if (err !== null) {
          reportOnce(`redis-publisher-xadd:${err.message}`, `Redis publisher: XADD failed: ${err.message}; retrying`);
          return false;
        }
      }
      return true;
    } catch (err) {
      reportOnce(`redis-publisher-send:${String((err as Error)?.message ?? err)}`, `Redis publisher: send failed: ${String((err as Error)?.message ?? err)}; retrying with backoff`);
      return false;
    }
  }

  private _dropped(): void {
    const n = ++this._stats.dropped;
    if (n === 1) reportOnce(`redis-publisher-drop:${this.instanceId}`, `Redis publisher buffer is full (${this._capacity}); dropping oldest events`);
    if (this._announcing || (n !== 1 && n % DROPPED_EVENT_EVERY !== 0)) return;
    this._announcing = true;
    try {
      this._bus.publish('monitoring.dropped', { source: 'redis-publisher', reason: 'buffer_full', count: n });
    } finally {
      this._announcing = false;
    }
  }

  private _registerMetrics(meter: Meter): void {
    const sent = meter.createObservableCounter(PUBLISHER_METRICS.sent, { description: 'Monitoring events stored in the Redis stream', unit: '{event}' });
    const dropped = meter.createObservableCounter(PUBLISHER_METRICS.dropped, { description: 'Monitoring events dropped because the Redis publisher buffer was full', unit: '{event}' });
    const failed = meter.createObservableCounter(PUBLISHER_METRICS.failedFlushes, { description: 'Failed Redis flush attempts (retried)', unit: '{failure}' });
    const buffered = meter.createObservableGauge(PUBLISHER_METRICS.buffered, { description: 'Monitoring events waiting for Redis', unit: '{event}' });
    const attrs = { 'service.instance.id': this.instanceId };
    this._observables = [sent, dropped, failed, buffered];
    this._metricsCallback = (r) => {
      r.observe(sent, this._stats.sent, attrs);
      r.observe(dropped, this._stats.dropped, attrs);
      r.observe(failed, this._stats.failedFlushes, attrs);
      r.observe(buffered, this._size + (this._pending?.length ?? 0), attrs);
    };
    meter.addBatchObservableCallback(this._metricsCallback, this._observables);
  }
}
