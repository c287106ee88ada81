import { spawn } from 'node:child_process';
import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt } from '../helpers/build.js';
import { OtlpReceiver } from '../helpers/otlpReceiver.js';
import { RedisServer } from '../helpers/redisServer.js';
import { waitFor as until } from '../helpers/wait.js';

// An ESM app importing pg and ioredis (CommonJS packages) runs under --import with
// MONITORING_INSTRUMENTATIONS=http,pg,ioredis against a real PostgreSQL and a real redis-server:
// the library calls must show up as CLIENT spans inside the request's SERVER span.

let redis: RedisServer | undefined;
let redisPort: number;
let receiver: OtlpReceiver;
let endpoint: string;

beforeAll(async () => {
  ensureBuilt();
  redis = await RedisServer.start();
  redisPort = redis.port;
  receiver = new OtlpReceiver();
  endpoint = await receiver.start();
}, 120_000);

afterAll(async () => {
  await receiver?.stop();
  await redis?.stop();
});

describe('register with pg and ioredis in an ESM app', () => {
  it('traces PostgreSQL queries and Redis commands inside the HTTP server span', async () => {
    const child = spawn(process.execPath, ['--import', 'service-infrastructure/register', 'examples/libraries-app.js'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        OTEL_SERVICE_NAME: 'orders',
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        MONITORING_INSTRUMENTATIONS: 'http,pg,ioredis',
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (c) => (out += c));
    child.stderr!.on('data', (c) => (err += c));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await until(() => /listening \d+/.test(out) || child.exitCode !== null, 'the app to listen');
      const port = /listening (\d+)/.exec(out)?.[1];
      expect(port, err).toBeDefined();
      const res = await fetch(`http://127.0.0.1:${port}/order`);
      expect(await res.json()).toEqual({ one: 1, cached: '1' });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0); // the app closes its clients; register flushes on the way out

    const server = receiver.spans.find((s) => s.kind === SpanKind.SERVER + 1);
    expect(server, JSON.stringify(receiver.spans.map((s) => s.name))).toBeDefined();
    const clients = receiver.spans.filter((s) => s.kind === SpanKind.CLIENT + 1 && s.traceId === server!.traceId);
    const pgQuery = clients.find((s) => s.scope.includes('pg') && String(s.attributes['db.statement'] ?? s.attributes['db.query.text'] ?? '').includes('SELECT 1'));
    const redisSet = clients.find((s) => s.scope.includes('ioredis') && s.name === 'set');
    const redisGet = clients.find((s) => s.scope.includes('ioredis') && s.name === 'get');
    expect(pgQuery, JSON.stringify(clients.map((s) => [s.scope, s.name]))).toBeDefined();
    expect(redisSet).toBeDefined();
    expect(redisGet).toBeDefined();
    expect(redisGet!.parentSpanId).toBe(server!.spanId);
  });
});
