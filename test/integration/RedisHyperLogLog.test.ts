import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HyperLogLog } from '../../src/collectors/HyperLogLog.js';
import { RedisHyperLogLog } from '../../src/collectors/RedisHyperLogLog.js';
import { ConfigurationError } from '../../src/errors/MonitoringError.js';
import { RedisServer } from '../helpers/redisServer.js';

describe('RedisHyperLogLog against a real redis-server', () => {
  let server: RedisServer;
  let redis: Redis;

  beforeAll(async () => {
    server = await RedisServer.start();
    redis = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(n * 50, 500) });
  });

  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('counts distinct elements with PFADD/PFCOUNT, in line with the local sketch', async () => {
    const remote = new RedisHyperLogLog({ client: redis, key: 'uniq:a', batchSize: 1000 });
    const local = new HyperLogLog({}, [0, 0], 14);
    for (let i = 0; i < 50_000; i++) {
      remote.add(`user-${i % 20_000}`);
      local.add(`user-${i % 20_000}`);
    }
    const count = await remote.count();
    expect(Math.abs(count - 20_000) / 20_000).toBeLessThan(3 * 0.0081);
    expect(Math.abs(local.count() - 20_000) / 20_000).toBeLessThan(3 * local.standardError);
    expect(remote.buffered).toBe(0);
    await remote.shutdown();
    await remote.shutdown(); // idempotent
  });

  it('gives the cross-instance union with PFCOUNT over keys and PFMERGE', async () => {
    const a = new RedisHyperLogLog({ client: redis, key: 'uniq:instance-a' });
    const b = new RedisHyperLogLog({ client: redis, key: 'uniq:instance-b' });
    for (let i = 0; i < 6000; i++) a.add(`u${i}`);
    for (let i = 4000; i < 10_000; i++) b.add(`u${i}`);
    await Promise.all([a.flush(), b.flush()]);
    const union = await RedisHyperLogLog.countUnion(redis, [a.key, b.key]);
    expect(Math.abs(union - 10_000) / 10_000).toBeLessThan(3 * 0.0081);
    await a.mergeInto('uniq:all', b.key);
    expect(await redis.pfcount('uniq:all')).toBe(union);
    await Promise.all([a.shutdown(), b.shutdown()]);
  });

  it('keeps elements buffered (bounded, counted) while Redis is down and delivers them when it is back', async () => {
    const server2 = await RedisServer.start();
    const client = new Redis({ port: server2.port, host: '127.0.0.1', maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 50 });
    client.on('error', () => {});
    const hll = new RedisHyperLogLog({ client, key: 'uniq:outage', batchSize: 10, maxBuffer: 100, flushIntervalMs: 20 });
    await server2.kill();
    for (let i = 0; i < 150; i++) hll.add(`x${i}`); // never throws
    await hll.flush();
    expect(hll.failedFlushes).toBeGreaterThan(0);
    expect(hll.buffered).toBe(100);
    expect(hll.dropped).toBe(50);
    await server2.restart();
    const deadline = Date.now() + 10_000;
    while (hll.buffered > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(hll.buffered).toBe(0);
    // All 100 buffered elements arrived (HLL estimates are within a few percent even this small).
    expect(Math.abs((await client.pfcount('uniq:outage')) - 100)).toBeLessThanOrEqual(3);
    await hll.shutdown();
    client.disconnect();
    await server2.stop();
  });

  it('rejects bad configuration at setup', () => {
    expect(() => new RedisHyperLogLog({ client: redis, key: '' })).toThrow(ConfigurationError);
    expect(() => new RedisHyperLogLog({ client: redis, key: 'k', batchSize: 10, maxBuffer: 5 })).toThrow(/maxBuffer/);
  });
});
