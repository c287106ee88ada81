import { createServer, type Server } from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardServer, type DashboardStores } from '../../src/dashboard/DashboardServer.js';
import { EventLog } from '../../src/dashboard/EventLog.js';
import { HealthHistory } from '../../src/dashboard/HealthHistory.js';
import { MetricHistory } from '../../src/dashboard/MetricHistory.js';
import { TraceStore } from '../../src/dashboard/TraceStore.js';
import { ConfigurationError } from '../../src/errors/MonitoringError.js';
import { ensureBuilt } from '../helpers/build.js';

function stores(): DashboardStores {
  return { traces: new TraceStore(), metrics: new MetricHistory(), events: new EventLog(), health: new HealthHistory() };
}

describe('DashboardServer security', () => {
  beforeAll(() => ensureBuilt());

  it('refuses a non-loopback bind without a token, naming the option', () => {
    expect(() => new DashboardServer(stores(), { host: '0.0.0.0' })).toThrow(ConfigurationError);
    expect(() => new DashboardServer(stores(), { host: '0.0.0.0' })).toThrow(/dashboard\.host/);
    expect(() => new DashboardServer(stores(), { token: 'short' })).toThrow(/dashboard\.token/);
    expect(() => new DashboardServer(stores(), { host: '0.0.0.0', token: 'a-token-of-sixteen-chars' })).not.toThrow();
  });

  describe('served', () => {
    let server: DashboardServer;
    let base: string;
    const token = 'correct-horse-battery-staple';
    beforeAll(async () => {
      server = new DashboardServer(stores(), { port: 0, token });
      base = (await server.listen()).url;
    });
    afterAll(() => server.shutdown());

    it('needs the token: header, or a cookie set from ?token=', async () => {
      expect((await fetch(`${base}api/info`)).status).toBe(401);
      expect((await fetch(`${base}api/info`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      const login = await fetch(`${base}?token=${token}`, { redirect: 'manual' });
      expect(login.status).toBe(303);
      const cookie = login.headers.get('set-cookie')!;
      expect(cookie).toMatch(/HttpOnly; SameSite=Strict/);
      const page = await fetch(base, { headers: { cookie: cookie.split(';')[0]! } });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');
      const html = await page.text();
      expect(html).not.toMatch(/<script>|<script [^>]*>[^<]/);
      expect((await fetch(`${base}?token=wrong-token-of-some-length`, { redirect: 'manual' })).status).toBe(401);
    });

    it('refuses mutations without the page CSRF token or from another origin', async () => {
      const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const html = await (await fetch(base, { headers: auth })).text();
      const content = /<meta name="dashboard-config" content="([^"]*)">/.exec(html)![1]!;
      const csrf = (JSON.parse(content.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))) as { csrf: string }).csrf;
      expect(csrf.length).toBeGreaterThan(20);
      const body = JSON.stringify({ matchers: [], duration: '1h' });
      expect((await fetch(`${base}api/silences`, { method: 'POST', headers: auth, body })).status).toBe(403);
      expect((await fetch(`${base}api/silences`, { method: 'POST', headers: { ...auth, 'x-csrf-token': csrf, origin: 'http://evil.example' }, body })).status).toBe(403);
      // With the token and the same origin the request gets through to the (absent) alerting engine.
      expect((await fetch(`${base}api/silences`, { method: 'POST', headers: { ...auth, 'x-csrf-token': csrf }, body })).status).toBe(404);
    });
  });

  it('serves under a base path through a plain node:http server', async () => {
    const dash = new DashboardServer(stores(), { basePath: '/dashboard' });
    const host: Server = createServer((req, res) => (req.url?.startsWith('/dashboard') ? dash.handler(req, res) : res.end('app')));
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
    const port = (host.address() as AddressInfo).port;
    try {
      const page = await fetch(`http://127.0.0.1:${port}/dashboard/`);
      expect(await page.text()).toContain('src="assets/app.js"');
      expect((await fetch(`http://127.0.0.1:${port}/dashboard/assets/app.js`)).headers.get('content-type')).toContain('javascript');
      expect(await (await fetch(`http://127.0.0.1:${port}/dashboard/api/traces`)).json()).toEqual({ total: 0, offset: 0, traces: [] });
    } finally {
      await new Promise((r) => host.close(r));
    }
  });

  it('mounts in Express (which strips the prefix) and in Fastify (with basePath)', async () => {
    const inExpress = new DashboardServer(stores());
    const app = express();
    app.use('/ops/dashboard', inExpress.handler);
    const ex: Server = await new Promise((r) => {
      const s = app.listen(0, '127.0.0.1', () => r(s));
    });
    const inFastify = new DashboardServer(stores(), { basePath: '/dashboard' });
    const fastify = Fastify();
    const hand = (req: { raw: import('node:http').IncomingMessage }, reply: { hijack(): void; raw: import('node:http').ServerResponse }): void => {
      reply.hijack();
      inFastify.handler(req.raw, reply.raw);
    };
    fastify.all('/dashboard', hand);
    fastify.all('/dashboard/*', hand);
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    const fport = (fastify.server.address() as AddressInfo).port;
    try {
      for (const base of [`http://127.0.0.1:${(ex.address() as AddressInfo).port}/ops/dashboard`, `http://127.0.0.1:${fport}/dashboard`]) {
        const bare = await fetch(base, { redirect: 'manual' });
        expect(bare.status, base).toBe(308);
        expect(bare.headers.get('location'), base).toBe(`${new URL(base).pathname}/`);
        const page = await fetch(`${base}/`);
        expect(page.status, base).toBe(200);
        expect(await page.text()).toContain('src="assets/app.js"');
        expect((await fetch(`${base}/assets/app.css`)).headers.get('content-type')).toContain('text/css');
        expect(await (await fetch(`${base}/api/traces?limit=5`)).json()).toEqual({ total: 0, offset: 0, traces: [] });
      }
    } finally {
      await fastify.close();
      await new Promise((r) => ex.close(r));
    }
  });
});
