import { requireMatch, requireObject } from '../internal/configCheck.js';
import { raceDeadline } from '../internal/timeout.js';
import { Redis, type RedisOptions } from 'ioredis';
import { reportOnce } from '../internal/report.js';

/**
 * How an adapter reaches Redis: a URL (`redis://host:port/db`), ioredis options, or a client you
 * own. A client you pass in is used as is and never closed by the SDK; URLs and options get a
 * client tuned for monitoring traffic (see `openRedis`).
 */
export type RedisTarget = string | RedisOptions | Redis;

/** @internal */
export interface OpenedRedis {
  readonly redis: Redis;
  /** True when the SDK created the client and must close it. */
  readonly owned: boolean;
}

/** @internal Options shared by the adapters' own clients. */
export interface ConnectOptions {
  readonly commandTimeoutMs: number;
  readonly retryMaxDelayMs: number;
  readonly name: string;
}

/**
 * @internal Opens (or adopts) a client. Own clients fail fast instead of queueing while Redis is
 * away (`enableOfflineQueue: false`, no per-request retries, no automatic resend): the adapters keep
 * their own bounded buffers and retry whole batches, so ioredis must not hold a second, unbounded
 * copy. Reconnection uses exponential backoff capped at `retryMaxDelayMs`.
 */
export function openRedis(target: RedisTarget | undefined, opts: ConnectOptions): OpenedRedis {
  if (target instanceof Redis) return { redis: target, owned: false };
  const resolved = target ?? process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const tuned: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: opts.commandTimeoutMs,
    connectionName: opts.name,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 12), opts.retryMaxDelayMs),
  };
  const expected = 'a redis:// or rediss:// URL, ioredis options or an ioredis client';
  if (typeof resolved === 'string') requireMatch('redis', resolved, /^rediss?:\/\//, expected);
  else requireObject('redis', resolved, expected);
  const redis = typeof resolved === 'string' ? new Redis(resolved, tuned) : new Redis({ ...resolved, ...tuned });
  // Without a listener ioredis prints every failed reconnect; report the first one per adapter.
  redis.on('error', (err: Error) => reportOnce(`redis-error:${opts.name}:${err.message}`, `${opts.name}: Redis error: ${err.message}`));
  return { redis, owned: true };
}

/** @internal Closes an owned client: QUIT within `ms`, then a hard disconnect. Never throws. */
export async function closeRedis(opened: OpenedRedis, ms: number): Promise<void> {
  if (!opened.owned) return;
  const { redis } = opened;
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  await raceDeadline(redis.quit().catch(() => undefined), ms, undefined);
  if ((redis.status as string) !== 'end') redis.disconnect();
}
