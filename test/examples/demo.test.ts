import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnExample, stopChild } from '../helpers/spawnExample.js';

let child: ChildProcess | undefined;
afterEach(async () => {
  if (child) expect(await stopChild(child)).toBe(0);
  child = undefined;
});

describe('examples/demo.js', () => {
  it('serves orders and shows their phases in the snapshot', async () => {
    const started = await spawnExample(['examples/demo.js'], /listening on (http:\/\/127\.0\.0\.1:\d+)/, { PORT: '0' });
    child = started.child;
    const base = started.match[1]!;
    const order = (await (await fetch(`${base}/orders`)).json()) as { traceId: string };
    expect(order.traceId).toMatch(/^[0-9a-f]{32}$/);
    const snap = (await (await fetch(`${base}/snapshot`)).json()) as {
      mode: string;
      phases: Record<string, { count: number; p95Ms: number }>;
      recent: { traceId: string }[];
    };
    expect(snap.mode).toBe('direct');
    for (const phase of ['order', 'validate', 'reserve-stock', 'charge-card']) expect(snap.phases[phase]!.count).toBeGreaterThanOrEqual(1);
    expect(snap.phases['charge-card']!.p95Ms).toBeGreaterThanOrEqual(3);
    expect(snap.recent.some((r) => r.traceId === order.traceId)).toBe(true);
    const metrics = (await (await fetch(`${base}/metrics-json`)).json()) as { counters: Record<string, unknown[]> };
    expect(Object.keys(metrics.counters)).toEqual(expect.arrayContaining(['http_server_requests_total', 'orders_total']));
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});
