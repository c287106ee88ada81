import { spawnSync, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnExample, stopChild } from '../helpers/spawnExample.js';

let child: ChildProcess | undefined;
afterEach(async () => {
  if (child) expect(await stopChild(child)).toBe(0);
  child = undefined;
});

describe('examples/demo.js', () => {
  it('serves orders and shows their phases in the snapshot', async () => {
    const started = await spawnExample(['examples/demo.js'], /listening on (http:\/\/127\.0\.0\.1:\d+) \(mode/, { PORT: '0', DASHBOARD_PORT: '0' });
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
    // Every metric /metrics shows, health gauges included.
    const metrics = (await (await fetch(`${base}/metrics-json`)).json()) as { name: string; unit: string; series: { labels: Record<string, unknown> }[] }[];
    const names = metrics.map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['service.requests', 'orders_total', 'performance.phase.duration', 'health.check.status', 'health.status']));
    const checks = metrics.find((m) => m.name === 'health.check.status')!.series.map((s) => s.labels['check']);
    expect(checks).toEqual(expect.arrayContaining(['memory', 'event_loop']));
    expect((await fetch(`${base}/nope`)).status).toBe(404);

    // /metrics is Prometheus text that promtool lints clean, with the orders and phase histograms.
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/^orders_total\{outcome="(paid|declined)"\} \d+$/m);
    expect(text).toMatch(/^performance_phase_duration_seconds_bucket\{phase="order",le="\+Inf"\} \d+$/m);
    expect(text).toMatch(/^health_check_status\{check="memory"/m);
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);

    // /health answers in application/health+json.
    const res = await fetch(`${base}/health`);
    expect(res.headers.get('content-type')).toContain('application/health+json');
    const body = (await res.json()) as { status: string; checks: Record<string, unknown> };
    expect(['pass', 'warn']).toContain(body.status);
    expect(Object.keys(body.checks).join(' ')).toContain('memory');
  });
});
