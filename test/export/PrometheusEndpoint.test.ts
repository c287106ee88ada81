import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { ConfigurationError } from '../../src/errors/MonitoringError.js';
import { PrometheusEndpoint, createPrometheusEndpoint } from '../../src/export/PrometheusEndpoint.js';
import { isLoopback } from '../../src/internal/ownServers.js';
import { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE } from '../../src/export/PrometheusSerializer.js';
import { createMonitoring, type Monitoring } from '../../src/monitoring/createMonitoring.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function monitoringFor(): Monitoring {
  const m = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'endpoint-test' }, { registerGlobal: false });
  cleanups.push(() => m.shutdown());
  return m;
}

async function started(endpoint: PrometheusEndpoint): Promise<string> {
  const { url } = await endpoint.listen();
  cleanups.push(() => endpoint.shutdown());
  return url;
}

describe('PrometheusEndpoint', () => {
  it('serves the advanced instruments too (regression: they were missing from /metrics)', async () => {
    const m = monitoringFor();
    const checkout = m.collector.summary('checkout_seconds', { maxAgeSeconds: 60, ageBuckets: 3 });
    for (let i = 1; i <= 100; i++) checkout.record(i / 100, { region: 'eu' });
    const users = m.collector.hyperLogLog('unique_users');
    for (let i = 0; i < 50; i++) users.add(`user-${i}`);
    const endpoint = createPrometheusEndpoint(m, { port: 0 });
    const body = await (await fetch(await started(endpoint))).text();
    expect(body).toMatch(/^checkout_seconds_p99\{region="eu"\} 0\.9\d*$/m);
    expect(body).toMatch(/^unique_users \d+$/m);
    const estimate = Number(/^unique_users (\d+)$/m.exec(body)![1]);
    expect(Math.abs(estimate - 50)).toBeLessThanOrEqual(3);
  });

  it('serves /metrics on 127.0.0.1 with the text format, and 404 elsewhere', async () => {
    const m = monitoringFor();
    m.collector.incrementCounter('orders_total', { region: 'eu' }, 3);
    const endpoint = createPrometheusEndpoint(m, { port: 0 });
    const url = await started(endpoint);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    const body = await res.text();
    expect(body).toContain('orders_total{region="eu"} 3\n');
    expect(body).toContain('service_name="endpoint-test"');
    expect((await fetch(url.replace('/metrics', '/other'))).status).toBe(404);
    expect((await fetch(`${url}?x=1`)).status).toBe(200);
    expect((await fetch(url, { method: 'POST' })).status).toBe(405);
  });

  it('answers OpenMetrics with exemplars when the scraper asks for it', async () => {
    const m = monitoringFor();
    let traceId = '';
    await m.coordinator.measure('pay', async (phase) => {
      traceId = phase.traceId;
    });
    const url = await started(createPrometheusEndpoint(m, { port: 0 }));
    const res = await fetch(url, { headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' } });
    expect(res.headers.get('content-type')).toBe(OPENMETRICS_CONTENT_TYPE);
    const body = await res.text();
    expect(body).toContain(`# {trace_id="${traceId}",span_id="`);
    expect(body.endsWith('# EOF\n')).toBe(true);
  });

  it('reflects values recorded between two scrapes', async () => {
    const m = monitoringFor();
    const url = await started(createPrometheusEndpoint(m, { port: 0 }));
    m.collector.recordGauge('queue_depth', 4);
    expect(await (await fetch(url)).text()).toContain('queue_depth 4\n');
    m.collector.recordGauge('queue_depth', 9);
    expect(await (await fetch(url)).text()).toContain('queue_depth 9\n');
  });

  it('works as a handler inside the application server', async () => {
    const m = monitoringFor();
    m.collector.incrementCounter('hits_total');
    const endpoint = createPrometheusEndpoint(m);
    const server: Server = createServer((req, res) => {
      if (req.url === '/internal/metrics') return endpoint.handler(req, res);
      res.end('app');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const port = (server.address() as AddressInfo).port;
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('app');
    expect(await (await fetch(`http://127.0.0.1:${port}/internal/metrics`)).text()).toContain('hits_total 1\n');
  });

  it('refuses a non-loopback host without a token, naming option and value', () => {
    const m = monitoringFor();
    expect(() => createPrometheusEndpoint(m, { host: '0.0.0.0', port: 0 })).toThrow(ConfigurationError);
    expect(() => createPrometheusEndpoint(m, { host: '0.0.0.0', port: 0 })).toThrow(/prometheus\.host.*"0\.0\.0\.0"/);
    expect(() => createPrometheusEndpoint(m, { port: 70000 })).toThrow(/prometheus\.port.*70000/);
    expect(() => createPrometheusEndpoint(m, { port: 0, token: 'short' })).toThrow(/prometheus\.token/);
    expect(() => createPrometheusEndpoint(m, { port: 0, path: 'metrics' })).toThrow(/prometheus\.path/);
  });

  it('uses the settings host and port (env MONITORING_PROMETHEUS_HOST) by default', () => {
    const m = createMonitoring({ mode: MonitoringMode.DIRECT, prometheusHost: '::1', prometheusPort: 0 }, { registerGlobal: false });
    cleanups.push(() => m.shutdown());
    const endpoint = createPrometheusEndpoint(m);
    expect([endpoint.host, endpoint.port]).toEqual(['::1', 0]);
    expect(isLoopback('127.0.0.53')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
    expect(isLoopback('::ffff:127.0.0.2')).toBe(true);
    expect(isLoopback('::ffff:10.0.0.1')).toBe(false);
  });

  it('binds beyond loopback with a token and then demands it', async () => {
    const m = monitoringFor();
    m.collector.incrementCounter('secret_total');
    const token = 'a-long-enough-scrape-token';
    const endpoint = createPrometheusEndpoint(m, { host: '0.0.0.0', port: 0, token });
    const { port } = await endpoint.listen();
    cleanups.push(() => endpoint.shutdown());
    const url = `http://127.0.0.1:${port}/metrics`;
    const denied = await fetch(url);
    expect(denied.status).toBe(401);
    expect(await denied.text()).not.toContain('secret_total');
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token-of-same-size!!' } })).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('secret_total 1\n');
  });

  it('yields the event loop between chunks while serving 10,000 histogram series', async () => {
    const m = createMonitoring({ mode: MonitoringMode.DIRECT, maxCardinality: 20_000 }, { registerGlobal: false });
    cleanups.push(() => m.shutdown());
    for (let i = 0; i < 10_000; i++) m.collector.recordHistogram('latency_seconds', (i % 50) / 10, { route: `/r/${i}` });
    const endpoint = createPrometheusEndpoint(m, { sliceMs: 0.001 });
    // Count the chunks written before a setImmediate queued at the first write gets to run: a
    // renderer that blocks writes everything first; one that yields lets it run in between.
    let writes = 0;
    let writesWhenImmediateRan = -1;
    const server = createServer((req, res) => {
      const write = res.write.bind(res) as (chunk: Buffer) => boolean;
      (res as unknown as { write: (chunk: Buffer) => boolean }).write = (chunk) => {
        if (writes++ === 0) setImmediate(() => (writesWhenImmediateRan = writes));
        write(chunk);
        return true; // no backpressure waits: only the renderer's own yields count
      };
      endpoint.handler(req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const body = await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`)).text();
    expect(body.split('\n').filter((l) => l.startsWith('latency_seconds_count')).length).toBe(10_000);
    expect(writes).toBeGreaterThan(10);
    expect(writesWhenImmediateRan).toBeGreaterThan(0);
    expect(writesWhenImmediateRan).toBeLessThan(writes);
  });

  it('answers 503 past maxConcurrentScrapes and 500 when collection fails, and keeps serving', async () => {
    const m = monitoringFor();
    m.collector.incrementCounter('hits_total');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let fail = false;
    let entered!: () => void;
    const inCollect = new Promise<void>((r) => (entered = r));
    // A source whose first collection waits on the test, so two scrapes overlap for certain.
    const source = {
      collect: async (options?: { timeoutMillis?: number }) => {
        if (fail) throw new Error('collector exploded');
        entered();
        await gate;
        return m.collector.collect(options);
      },
    };
    const endpoint = new PrometheusEndpoint(source, { host: '127.0.0.1', port: 0, maxConcurrentScrapes: 1 });
    const url = await started(endpoint);
    const first = fetch(url);
    await inCollect; // the first scrape is now inside collect
    const second = await fetch(url);
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBe('1');
    release();
    const ok = await first;
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('hits_total 1\n');
    fail = true;
    const broken = await fetch(url);
    expect(broken.status).toBe(500);
    fail = false;
    expect((await fetch(url)).status).toBe(200);
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(200);
  });

  it('shutdown is idempotent and closes the port', async () => {
    const m = monitoringFor();
    const endpoint = createPrometheusEndpoint(m, { port: 0 });
    const { url } = await endpoint.listen();
    expect(await endpoint.listen()).toMatchObject({ url });
    await Promise.all([endpoint.shutdown(), endpoint.shutdown()]);
    await endpoint.shutdown();
    await expect(fetch(url)).rejects.toThrow();
  });

  it('rejects listen() when the port is taken, without crashing', async () => {
    const m = monitoringFor();
    const first = createPrometheusEndpoint(m, { port: 0 });
    const { port } = await first.listen();
    cleanups.push(() => first.shutdown());
    const second = createPrometheusEndpoint(m, { port });
    await expect(second.listen()).rejects.toThrow(/EADDRINUSE/);
    await second.shutdown();
  });
});
