import { spawnSync } from 'node:child_process';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { RedisEventPublisher } from '../../src/distributed/RedisEventPublisher.js';
import { decodeEntry } from '../../src/distributed/wire.js';
import { ConfigurationError } from '../../src/errors/MonitoringError.js';
import { createPrometheusEndpoint } from '../../src/export/PrometheusEndpoint.js';
import { createHealthHandler } from '../../src/health/createHealthHandler.js';
import { HealthCheckManager } from '../../src/health/HealthCheckManager.js';
import { createMonitoring, type Monitoring } from '../../src/monitoring/createMonitoring.js';
import { OtlpReceiver } from '../helpers/otlpReceiver.js';
import { RedisServer } from '../helpers/redisServer.js';

// Security tests: what a hostile client or hostile data can do to the endpoints and exports.
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const HOSTILE = ['a"b', 'line\nbreak', 'back\\slash', '</script><img src=x onerror=alert(1)>', 'nul\u0000byte', '{{7*7}}', "' OR 1=1 --", '\u202eRTL', '😀 emoji'];

function monitoring(extra: Record<string, unknown> = {}): Monitoring {
  const m = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'sec', ...extra }, { registerGlobal: false });
  cleanups.push(() => m.shutdown(2000));
  return m;
}

/** A raw HTTP GET with given headers; resolves with the status code. */
function rawGet(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('endpoint limits and auth', () => {
  it('/metrics: oversized headers get 431, a request body is never read (405 for POST), a wrong token never gets data or an echo', async () => {
    const m = monitoring();
    m.collector.incrementCounter('secret_business_total', {}, 7);
    const token = 'a-long-enough-token-123';
    const endpoint = createPrometheusEndpoint(m, { port: 0, host: '127.0.0.1', token });
    const { port, url } = await endpoint.listen();
    cleanups.push(() => endpoint.shutdown(1000));
    expect(await rawGet(port, '/metrics', { 'x-big': 'x'.repeat(64 * 1024), authorization: `Bearer ${token}` })).toBe(431);
    const post = await fetch(url, { method: 'POST', body: 'x'.repeat(5 * 1024 * 1024), headers: { authorization: `Bearer ${token}` } });
    expect(post.status).toBe(405);
    for (const auth of [undefined, 'Bearer wrong', `Bearer ${token}x`, `bearer ${token}`, token, `Bearer ${token.slice(0, -1)}`]) {
      const res = await fetch(url, { headers: auth === undefined ? {} : { authorization: auth } });
      const body = await res.text();
      expect(res.status, String(auth)).toBe(401);
      expect(body).not.toContain('secret_business_total');
      expect(body).not.toContain(token);
    }
    expect((await fetch(url, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    // A short token is refused at setup without printing it.
    expect(() => createPrometheusEndpoint(m, { port: 0, token: 'short' })).toThrow(ConfigurationError);
    expect(() => createPrometheusEndpoint(m, { port: 0, token: 'short' })).not.toThrow(/short/);
  });

  it('/health: oversized headers get 431 and reasons stay hidden without showDetails', async () => {
    const health = new HealthCheckManager({ background: false });
    health.registerCheck('db', () => ({ status: 'unhealthy', reason: 'db at 10.0.0.5 refused' }));
    const server = createServer(createHealthHandler(health));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const port = (server.address() as AddressInfo).port;
    expect(await rawGet(port, '/health', { 'x-big': 'x'.repeat(64 * 1024) })).toBe(431);
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'fail' });
  });
});

describe('hostile label values end to end', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('Prometheus text stays parseable (promtool) and every value comes back', async () => {
    const m = monitoring();
    HOSTILE.forEach((v, i) => m.collector.incrementCounter('hostile_total', { v }, i + 1));
    const body = (await createPrometheusEndpoint(m, { port: 0 }).scrape()).body;
    const r = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect(r.stdout + r.stderr).not.toMatch(/parsing error|error while linting/);
    const lines = body.split('\n').filter((l) => l.startsWith('hostile_total{'));
    expect(lines).toHaveLength(HOSTILE.length);
    const back = lines.map((l) => /\{v="((?:[^"\\]|\\.)*)"\}/.exec(l)![1]!.replace(/\\(\\|"|n)/g, (_m, c: string) => (c === 'n' ? '\n' : c)));
    expect(back.sort()).toEqual([...HOSTILE].sort());
  });

  it('OTLP carries them as they are', async () => {
    const r = await OtlpReceiver.started(cleanups);
    const m = monitoring({ mode: MonitoringMode.EVENT_DRIVEN, otlpEndpoint: r.url, otlpProtocol: 'http/json', metricExportInterval: 3_600_000 });
    HOSTILE.forEach((v) => m.collector.incrementCounter('hostile_total', { v }));
    await m.forceFlush(10_000);
    await r.waitFor('hostile points', () => r.points.filter((p) => p.metric === 'hostile_total').length >= HOSTILE.length);
    const values = r.points.filter((p) => p.metric === 'hostile_total').map((p) => p.attributes['v']);
    expect(new Set(values)).toEqual(new Set(HOSTILE));
  });

  it('health JSON escapes hostile check names and reasons', async () => {
    const health = new HealthCheckManager({ background: false });
    HOSTILE.forEach((v, i) => health.registerCheck(`check ${i} ${v}`, () => ({ status: 'degraded', reason: v })));
    const server = createServer(createHealthHandler(health, { showDetails: true }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/health`);
    const text = await res.text();
    expect(text).not.toContain('</script>');
    const body = JSON.parse(text) as { checks: Record<string, { output: string }[]> };
    expect(Object.values(body.checks).map((c) => c[0]!.output).sort()).toEqual([...HOSTILE].sort());
    expect(res.headers.get('content-type')).toBe('application/health+json');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('the Redis stream carries them intact and they decode back', async () => {
    const m = monitoring({ mode: MonitoringMode.EVENT_DRIVEN, otlpEndpoint: 'http://127.0.0.1:9', metricExportInterval: 3_600_000 });
    const pub = new RedisEventPublisher({ bus: m.events, redis: redis.url, serviceName: 'sec', instanceId: 'i1', stream: 'hostile' });
    cleanups.push(() => pub.shutdown(2000));
    HOSTILE.forEach((v) => m.events.publish('performance.metric.recorded', { name: v, value: 1, attributes: { v } }));
    expect(await pub.forceFlush(5000)).toBe(true);
    const admin = new Redis(redis.url);
    cleanups.push(async () => admin.disconnect());
    const entries = await admin.xrange('hostile', '-', '+');
    const names = entries.map(([, fields]) => {
      const r = decodeEntry(fields);
      return r.ok ? String(r.value.event['name']) : `!${r.reason}`;
    });
    expect(names.sort()).toEqual([...HOSTILE].sort());
  });
});
