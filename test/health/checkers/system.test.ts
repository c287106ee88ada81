import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { statfs } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCollector } from '../../../src/collectors/MemoryCollector.js';
import { ConfigurationError } from '../../../src/errors/MonitoringError.js';
import { DiskSpaceHealthChecker } from '../../../src/health/checkers/DiskSpaceHealthChecker.js';
import { ErrorRateHealthChecker } from '../../../src/health/checkers/ErrorRateHealthChecker.js';
import { EventLoopHealthChecker } from '../../../src/health/checkers/EventLoopHealthChecker.js';
import { HttpHealthChecker } from '../../../src/health/checkers/HttpHealthChecker.js';
import { LatencyHealthChecker } from '../../../src/health/checkers/LatencyHealthChecker.js';
import { MemoryHealthChecker } from '../../../src/health/checkers/MemoryHealthChecker.js';
import { HealthCheckManager } from '../../../src/health/HealthCheckManager.js';
import { createHealthHandler } from '../../../src/health/createHealthHandler.js';

const servers: Server[] = [];
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
});

async function serve(listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const signal = new AbortController().signal;

describe('MemoryHealthChecker', () => {
  it('grades heap use against the V8 limit and rss against its thresholds', () => {
    const ok = new MemoryHealthChecker().check();
    expect(ok.status).toBe('healthy');
    expect(ok.observedUnit).toBe('ratio');
    expect(ok.details).toMatchObject({ heapLimitBytes: expect.any(Number), rssBytes: expect.any(Number) });
    const tight = new MemoryHealthChecker({ rssBytes: { degraded: 1, unhealthy: 1e15 } }).check();
    expect(tight.status).toBe('degraded');
    expect(tight.reason).toMatch(/^rss \d+ bytes >= 1 bytes$/);
    expect(new MemoryHealthChecker({ heapRatio: { unhealthy: 0.000001 } }).check().status).toBe('unhealthy');
    expect(() => new MemoryHealthChecker({ heapRatio: { degraded: 0.9, unhealthy: 0.5 } })).toThrow(/Invalid heapRatio/);
  });
});

describe('EventLoopHealthChecker', () => {
  it('reports a blocked event loop', async () => {
    const checker = new EventLoopHealthChecker({ delayMs: { degraded: 40, unhealthy: 10_000 }, resolutionMs: 5 });
    closers.push(() => checker.close());
    await new Promise((resolve) => setTimeout(resolve, 30));
    const end = Date.now() + 120;
    while (Date.now() < end) {
      // busy-wait: the loop cannot run while this spins
    }
    await new Promise((resolve) => setTimeout(resolve, 30));
    const r = checker.check();
    expect(r.status).toBe('degraded');
    expect(r.observedValue).toBeGreaterThanOrEqual(40);
    expect(r.reason).toMatch(/^p99 event-loop delay [\d.]+ ms >= 40 ms$/);
  });
});

describe('DiskSpaceHealthChecker', () => {
  it('reports free space from statfs', async () => {
    const fs = await statfs('/');
    const free = fs.bavail * fs.bsize;
    const r = await new DiskSpaceHealthChecker({ path: '/', freeRatio: {} }).check();
    expect(r.status).toBe('healthy');
    expect(r.observedUnit).toBe('bytes');
    expect(Math.abs((r.observedValue as number) - free) / free).toBeLessThan(0.05);
    const short = await new DiskSpaceHealthChecker({ freeBytes: { unhealthy: free * 10 } }).check();
    expect(short.status).toBe('unhealthy');
    expect(short.reason).toMatch(/^free bytes on \/ \d+ <= \d+$/);
  });

  it('fails (and the manager reports it) for a path that does not exist', async () => {
    const m = new HealthCheckManager({ background: false });
    closers.push(() => m.shutdown());
    m.registerCheck('disk', new DiskSpaceHealthChecker({ path: '/no/such/dir' }), { category: 'system' });
    const r = await m.checkComponent('disk');
    expect(r?.status).toBe('unhealthy');
    expect(r?.details).toMatchObject({ code: 'ENOENT' });
  });
});

describe('HttpHealthChecker', () => {
  it('passes on 2xx, fails on 5xx and on a refused connection', async () => {
    let code = 200;
    const base = await serve((_req, res) => {
      res.statusCode = code;
      res.end('ok');
    });
    const checker = new HttpHealthChecker(`${base}/status`);
    expect((await checker.check(signal)).status).toBe('healthy');
    code = 500;
    const down = await checker.check(signal);
    expect(down).toMatchObject({ status: 'unhealthy', reason: `${base}/status answered 500 Internal Server Error`, details: { statusCode: 500 } });
    const closed = await serve(() => {});
    const url = `${closed}/x`;
    await new Promise((resolve) => servers.pop()!.close(resolve));
    await expect(new HttpHealthChecker(url).check(signal)).rejects.toThrow();
  });

  it("follows a dependency's application/health+json status (our own endpoint)", async () => {
    const dep = new HealthCheckManager({ background: false });
    closers.push(() => dep.shutdown());
    let state: 'healthy' | 'degraded' | 'unhealthy' = 'degraded';
    dep.registerCheck('db', () => state, { cacheTtlMs: 0 });
    const base = await serve(createHealthHandler(dep));
    const checker = new HttpHealthChecker(`${base}/health`);
    const warn = await checker.check(signal);
    expect(warn).toMatchObject({ status: 'degraded', reason: `${base}/health reports "warn"`, details: { reportedStatus: 'warn' } });
    state = 'unhealthy';
    expect((await checker.check(signal)).status).toBe('unhealthy');
  });

  it('is cancelled by the manager at its timeout', async () => {
    const base = await serve(() => {
      // never answers
    });
    const m = new HealthCheckManager({ background: false });
    closers.push(() => m.shutdown());
    m.registerCheck('dep', new HttpHealthChecker(base), { timeoutMs: 100 });
    const r = await m.checkComponent('dep');
    expect(r).toMatchObject({ status: 'unhealthy', reason: 'timed out after 100 ms', timedOut: true });
    expect(() => new HttpHealthChecker('ftp://x')).toThrow(ConfigurationError);
  });
});

describe('LatencyHealthChecker', () => {
  it('grades a percentile of a collector histogram', () => {
    const c = new MemoryCollector();
    closers.push(() => c.shutdown());
    const checker = new LatencyHealthChecker(c, { metric: 'http_duration_ms', labels: { route: '/a' }, quantile: 0.95, thresholds: { degraded: 200, unhealthy: 1000 } });
    expect(checker.check()).toMatchObject({ status: 'healthy', details: { count: 0 } });
    for (let i = 1; i <= 100; i++) c.recordHistogram('http_duration_ms', i < 90 ? 50 : 400, { route: '/a' });
    const r = checker.check();
    expect(r.status).toBe('degraded');
    expect(r.observedValue as number).toBeGreaterThan(390);
    expect(r.observedValue as number).toBeLessThan(410);
    expect(r.reason).toMatch(/^p95 of http_duration_ms [\d.]+ >= 200$/);
  });
});

describe('ErrorRateHealthChecker', () => {
  it('grades errors over total in the window since the previous run', async () => {
    const c = new MemoryCollector();
    closers.push(() => c.shutdown());
    const checker = new ErrorRateHealthChecker({
      collector: c,
      errors: { metric: 'requests_total', labels: { outcome: 'error' } },
      total: { metric: 'requests_total' },
      rate: { degraded: 0.05, unhealthy: 0.2 },
    });
    c.incrementCounter('requests_total', { outcome: 'ok', route: '/a' }, 95);
    c.incrementCounter('requests_total', { outcome: 'error', route: '/a' }, 5);
    expect(await checker.check()).toMatchObject({ status: 'degraded', observedValue: 0.05, details: { errors: 5, total: 100 } });
    c.incrementCounter('requests_total', { outcome: 'ok', route: '/b' }, 10);
    expect(await checker.check()).toMatchObject({ status: 'healthy', details: { errors: 0, total: 10 } });
    c.incrementCounter('requests_total', { outcome: 'ok', route: '/b' }, 30);
    c.incrementCounter('requests_total', { outcome: 'error', route: '/b' }, 10);
    expect(await checker.check()).toMatchObject({ status: 'unhealthy', observedValue: 0.25, reason: 'error rate 0.25 >= 0.2' });
    expect(() => new ErrorRateHealthChecker({ errors: { metric: 'e' }, total: { metric: 't' } })).toThrow(/Invalid collector/);
  });
});
