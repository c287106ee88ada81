import { requireIntAtLeast, requireMethods, requireMilliseconds, requireNonEmptyString, requirePositiveInt } from '../internal/configCheck.js';
import { reportOnce } from '../internal/report.js';
import { withTimeout } from '../internal/timeout.js';

/**
 * The Redis commands this class uses, as ioredis (or node-redis' legacy mode) exposes them. Typed
 * structurally so that importing the SDK never loads a Redis client.
 */
export interface HyperLogLogRedisClient {
  pfadd(key: string, ...elements: string[]): Promise<number>;
  pfcount(...keys: string[]): Promise<number>;
  pfmerge(destination: string, ...sources: string[]): Promise<unknown>;
}

/** Options of `RedisHyperLogLog`; validated by its constructor (a `ConfigurationError` names the bad one). */
export interface RedisHyperLogLogOptions {
  /** An ioredis client (or anything with `pfadd`, `pfcount`, `pfmerge`). */
  client: HyperLogLogRedisClient;
  /** The Redis key of this instance's (or the shared) HyperLogLog. */
  key: string;
  /** Elements sent per PFADD. Default 500. */
  batchSize?: number;
  /** Most elements buffered while Redis is slow or down; more are dropped and counted. Default 100,000. */
  maxBuffer?: number;
  /** How often buffered elements are flushed, in ms (timer unref'd). Default 1000. */
  flushIntervalMs?: number;
}

/**
 * Cross-instance distinct counts on Redis' own HyperLogLog (`PFADD` / `PFCOUNT` / `PFMERGE`,
 * 12 KiB per key, standard error 0.81%). `add` only buffers (bounded, never throws, never awaits
 * Redis); a timer and full batches flush with one `PFADD` per batch. Every instance can add to one
 * shared key, or keep its own key and read the union with `countUnion` or `mergeInto`.
 *
 * @example
 * const users = new RedisHyperLogLog({ client: redis, key: `uniq:users:${hour}` });
 * users.add(userId);
 * await users.count();
 */
export class RedisHyperLogLog {
  readonly key: string;
  /** Elements dropped because the buffer was full. */
  dropped = 0;
  /** PFADD batches that failed (their elements stay buffered for the next flush). */
  failedFlushes = 0;
  private readonly _client: HyperLogLogRedisClient;
  private readonly _batchSize: number;
  private readonly _maxBuffer: number;
  private _buffer: string[] = [];
  private _flushing: Promise<void> | undefined;
  private readonly _timer: NodeJS.Timeout;
  private _closed: Promise<void> | undefined;

  constructor(options: RedisHyperLogLogOptions) {
    const { client, key } = options;
    requireMethods('client', client, ['pfadd'], 'a Redis client with pfadd/pfcount/pfmerge');
    requireNonEmptyString('key', key);
    const batchSize = options.batchSize ?? 500;
    const maxBuffer = options.maxBuffer ?? 100_000;
    const interval = options.flushIntervalMs ?? 1000;
    requirePositiveInt('batchSize', batchSize);
    requireIntAtLeast('maxBuffer', maxBuffer, batchSize, `an integer >= batchSize (${batchSize})`);
    requireMilliseconds('flushIntervalMs', interval, 10, undefined, 'a number of ms >= 10');
    this._client = client;
    this.key = key;
    this._batchSize = batchSize;
    this._maxBuffer = maxBuffer;
    this._timer = setInterval(() => void this.flush(), interval);
    this._timer.unref();
  }

  /** Elements waiting to be sent. */
  get buffered(): number {
    return this._buffer.length;
  }

  /** Buffers one element; never throws and never waits for Redis. */
  add(value: string | number): void {
    if (this._closed !== undefined) return;
    if (this._buffer.length >= this._maxBuffer) {
      this.dropped++;
      reportOnce(`redis-hll-full:${this.key}`, `RedisHyperLogLog "${this.key}": buffer full (${this._maxBuffer}); elements are being dropped`);
      return;
    }
    this._buffer.push(typeof value === 'string' ? value : String(value));
    if (this._buffer.length >= this._batchSize && this._flushing === undefined) void this.flush();
  }

  /** Sends what is buffered; failures keep the elements buffered and are reported once, never thrown. */
  flush(): Promise<void> {
    this._flushing ??= this._flush().finally(() => {
      this._flushing = undefined;
    });
    return this._flushing;
  }

  private async _flush(): Promise<void> {
    while (this._buffer.length > 0) {
      const batch = this._buffer.length <= this._batchSize ? this._buffer : this._buffer.slice(0, this._batchSize);
      if (batch === this._buffer) this._buffer = [];
      else this._buffer = this._buffer.slice(this._batchSize);
      try {
        await this._client.pfadd(this.key, ...batch);
      } catch (err) {
        this.failedFlushes++;
        // Put the batch back (within the bound) so it is delivered once Redis is back.
        const room = this._maxBuffer - this._buffer.length;
        if (room < batch.length) this.dropped += batch.length - Math.max(0, room);
        this._buffer = batch.slice(0, Math.max(0, room)).concat(this._buffer);
        reportOnce(`redis-hll-flush:${this.key}`, `RedisHyperLogLog "${this.key}": PFADD failed (${err instanceof Error ? err.message : String(err)}); will retry`);
        return;
      }
    }
  }

  /** Flushes, then returns Redis' estimate for this key. */
  async count(): Promise<number> {
    await this.flush();
    return this._client.pfcount(this.key);
  }

  /** Flushes, then merges this key into `destination` (PFMERGE) — e.g. hourly keys into a daily one. */
  async mergeInto(destination: string, ...others: string[]): Promise<void> {
    await this.flush();
    await this._client.pfmerge(destination, this.key, ...others);
  }

  /** The estimated size of the union of several HyperLogLog keys (PFCOUNT over many keys). */
  static countUnion(client: HyperLogLogRedisClient, keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return Promise.resolve(0);
    return client.pfcount(...keys);
  }

  /** Stops the timer and flushes what is buffered, within `timeoutMs`. Safe to call twice. */
  shutdown(timeoutMs = 5000): Promise<void> {
    this._closed ??= (async () => {
      clearInterval(this._timer);
      await withTimeout(this.flush(), timeoutMs, 'RedisHyperLogLog shutdown');
    })();
    return this._closed;
  }
}
