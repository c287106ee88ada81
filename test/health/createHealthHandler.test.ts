import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors/MonitoringError.js';
import { HealthCheckManager } from '../../src/health/HealthCheckManager.js';
import { HEALTH_MEDIA_TYPE, createHealthHandler, type HealthHandlerOptions } from '../../src/health/createHealthHandler.js';

/** Response bodies are checked field by field below. */
type Json = any;
const json = async (res: Response): Promise<Json> => res.json();

const servers: Server[] = [];
const managers: HealthCheckManager[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
  for (const m of managers.splice(0)) await m.shutdown(100);
});

async function serve(listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function setup(options: HealthHandlerOptions = {}) {
  const m = new HealthCheckManager({ background: false });
  managers.push(m);
  const state = { db: 'healthy' as 'healthy' | 'degraded' | 'unhealthy' };
  m.registerCheck('process', () => true, { tags: ['liveness'] });
  m.registerCheck('db', () => (state.db === 'healthy' ? { status: 'healthy', observedValue: 2, observedUnit: 'ms' } : { status: state.db, reason: 'password authentication failed for user "app"' }), {
    tags: ['readiness', 'storage'],
    cacheTtlMs: 0,
  });
  m.registerCheck('disk', () => ({ status: 'degraded', reason: 'free space on / 8% <= 10%' }), { category: 'system', critical: false, cacheTtlMs: 0 });
  return { m, state, handler: createHealthHandler(m, options) };
}

describe('createHealthHandler', () => {
  it('serves application/health+json with the draft statuses and 200/503', async () => {
    const { state, handler } = setup({ showDetails: true, serviceId: 'checkout', version: '1' });
    const base = await serve(handler);
    let res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(HEALTH_MEDIA_TYPE);
    expect(res.headers.get('cache-control')).toBe('no-store');
    let body = await json(res);
    expect(body).toMatchObject({ status: 'warn', serviceId: 'checkout', version: '1' });
    expect(body.checks.db[0]).toMatchObject({ componentId: 'db', componentType: 'component', status: 'pass', observedValue: 2, observedUnit: 'ms', critical: true, consecutiveFailures: 0 });
    expect(body.checks.disk[0]).toMatchObject({ status: 'warn', output: 'free space on / 8% <= 10%', componentType: 'system', critical: false });
    expect(Date.parse(body.checks.db[0].time)).not.toBeNaN();

    state.db = 'unhealthy';
    res = await fetch(`${base}/health`);
    expect(res.status).toBe(503);
    body = await json(res);
    expect(body.status).toBe('fail');
    expect(body.checks.db[0]).toMatchObject({ status: 'fail', output: 'password authentication failed for user "app"', consecutiveFailures: 1 });
    expect(typeof body.checks.db[0].lastSuccess).toBe('string');
  });

  it('serves live, ready and named groups, and 404 for unknown ones', async () => {
    const { state, handler } = setup({ showDetails: true });
    const base = await serve(handler);
    state.db = 'unhealthy';
    const live = await fetch(`${base}/health/live`);
    expect(live.status).toBe(200);
    expect(Object.keys((await json(live)).checks)).toEqual(['process']);
    const ready = await fetch(`${base}/health/ready?verbose=1`);
    expect(ready.status).toBe(503);
    expect(Object.keys((await json(ready)).checks)).toEqual(['db']);
    const storage = await fetch(`${base}/health/storage/`);
    expect(storage.status).toBe(503);
    const missing = await fetch(`${base}/health/nope`);
    expect(missing.status).toBe(404);
    expect(await json(missing)).toEqual({ status: 'fail', output: 'no such health group' });
  });

  it('reports live as pass and ready over every check when no check is tagged', async () => {
    const m = new HealthCheckManager({ background: false });
    managers.push(m);
    m.registerCheck('db', () => false);
    const base = await serve(createHealthHandler(m));
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await json(ready)).toEqual({ status: 'fail' });
  });

  it('hides details from callers the showDetails function rejects', async () => {
    const { handler } = setup({ showDetails: (req) => req.headers.authorization === 'Bearer s3cret' });
    const base = await serve(handler);
    const anonymous = await json(await fetch(`${base}/health`));
    expect(anonymous).toEqual({ status: 'warn' });
    const authorised = await json(await fetch(`${base}/health`, { headers: { authorization: 'Bearer s3cret' } }));
    expect(Object.keys(authorised.checks).sort()).toEqual(['db', 'disk', 'process']);
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const { handler } = setup();
    const base = await serve(handler);
    const head = await fetch(`${base}/health`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(`${base}/health`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('works as middleware: other paths go to next(), originalUrl is honoured', async () => {
    const { handler } = setup({ basePath: '/ops/health' });
    const base = await serve((req, res) => {
      // What Express does for app.use('/ops', handler): url is stripped, originalUrl kept.
      if (req.url?.startsWith('/ops/')) {
        Object.assign(req, { originalUrl: req.url });
        req.url = req.url.slice(4);
      }
      handler(req, res, () => {
        res.statusCode = 418;
        res.end('app');
      });
    });
    expect((await fetch(`${base}/ops/health`)).status).toBe(200);
    const other = await fetch(`${base}/orders`);
    expect(other.status).toBe(418);
    expect(await other.text()).toBe('app');
  });

  it('still answers when a check reports details JSON cannot serialise', async () => {
    const m = new HealthCheckManager({ background: false });
    managers.push(m);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    m.registerCheck('odd', () => ({ status: 'unhealthy', details: cyclic }));
    const base = await serve(createHealthHandler(m, { showDetails: true }));
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(503);
    expect(await json(res)).toEqual({ status: 'fail', output: 'check details could not be serialised' });
  });

  it('rejects bad options at setup', () => {
    const { m } = setup();
    expect(() => createHealthHandler(m, { basePath: 'health' })).toThrow(ConfigurationError);
    expect(() => createHealthHandler(m, { showDetails: 'yes' as never })).toThrow(/Invalid showDetails: "yes"/);
    expect(() => createHealthHandler(null as never)).toThrow(/Invalid manager/);
  });
});
