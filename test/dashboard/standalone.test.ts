import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt } from '../helpers/build.js';
import { waitFor } from '../helpers/wait.js';
import { launchChromium, screenshot } from './browser.js';

// The standalone dashboard as a user runs it (the package's bin), fed by a plain OTel JS SDK app
// and by unmodified apps under `node --import service-infrastructure/register`.

interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function start(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  procs.push(child);
  return { child, out: () => out, exited };
}

const procs: ChildProcess[] = [];
let ui: string;
let otlp: string;

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${ui}api/${path}`);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

interface Search {
  total: number;
  traces: { traceId: string; name: string; services: string[]; errors: number; spans: number }[];
}

describe('service-infrastructure dashboard (standalone)', () => {
  beforeAll(async () => {
    ensureBuilt();
    const dash = start(['dist/cli.js', 'dashboard', '--port', '0', '--otlp-port', '0']);
    await waitFor(() => /OTLP\/HTTP receiver: (\S+)/.test(dash.out()), `the dashboard to start: ${dash.out()}`);
    ui = /dashboard: (\S+)/.exec(dash.out())![1]!;
    otlp = /OTLP\/HTTP receiver: (\S+)/.exec(dash.out())![1]!;
  });

  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
  });

  it('receives traces (protobuf) and metrics (JSON) from a plain OTel JS SDK app', async () => {
    const app = start(['test/dashboard/fixtures/plain-otel-app.mjs'], { OTEL_EXPORTER_OTLP_ENDPOINT: otlp });
    expect(await app.exited, app.out()).toBe(0);
    const found = await waitFor(async () => {
      const r = await api<Search>('traces?service=plain-otel-app');
      return r.total === 1 ? r : undefined;
    }, 'the plain app trace');
    expect(found.traces[0]).toMatchObject({ name: 'plain-root', services: ['plain-otel-app'], errors: 1, spans: 2 });
    const byAttr = await api<Search>('traces?attr=customer.tier%3Dgold');
    expect(byAttr.traces.map((t) => t.traceId)).toEqual([found.traces[0]!.traceId]);
    const detail = await api<{ spans: { name: string; status: string; statusMessage?: string; parentSpanId?: string; spanId: string }[]; criticalPath: string[] }>(`traces/${found.traces[0]!.traceId}`);
    const child = detail.spans.find((s) => s.name === 'plain-child')!;
    expect(child).toMatchObject({ status: 'error', statusMessage: 'card declined' });
    expect(child.parentSpanId).toBe(detail.spans.find((s) => s.name === 'plain-root')!.spanId);
    expect(detail.criticalPath).toHaveLength(2);
    // Histogram 5, 15, 15, 40 in buckets (..10], (10..20], (20..50]: the median interpolates to 15.
    const q = await api<{ series: { labels: Record<string, string>; values: (number | null)[] }[] }>('query?metric=plain.request.duration&agg=quantile&q=0.5&by=route');
    expect(q.series).toHaveLength(1);
    expect(q.series[0]!.labels).toEqual({ route: '/pay' });
    expect(q.series[0]!.values.filter((v) => v !== null)).toEqual([15]);
  });

  it('receives a trace that crosses two services instrumented by our register, and shows it in Chromium', async () => {
    const launch = async (script: string, env: Record<string, string>): Promise<{ proc: Proc; url: string }> => {
      const proc = start(['--import', 'service-infrastructure/register', script], { OTEL_EXPORTER_OTLP_ENDPOINT: otlp, MONITORING_INSTRUMENTATIONS: 'http', ...env });
      const m = await waitFor(() => /listening (\d+)/.exec(proc.out()), `${script} to listen: ${proc.out()}`);
      return { proc, url: `http://127.0.0.1:${m[1]}` };
    };
    const b = await launch('examples/traced-service.js', { OTEL_SERVICE_NAME: 'service-b' });
    const a = await launch('examples/auto-instrumented-app.js', { OTEL_SERVICE_NAME: 'service-a', DOWNSTREAM_URL: b.url });
    expect(await (await fetch(`${a.url}/proxy`)).text()).toBe('downstream said: done 42\n');
    a.proc.child.kill('SIGTERM');
    b.proc.child.kill('SIGTERM');
    await a.proc.exited;
    await b.proc.exited;
    const trace = await waitFor(async () => {
      const r = await api<Search>('traces?service=service-b&name=load-order');
      const t = r.traces[0];
      return t !== undefined && t.services.includes('service-a') && t.spans >= 5 ? t : undefined;
    }, 'the cross-service trace');

    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(ui);
      const services = page.getByTestId('overview-services');
      for (const name of ['plain-otel-app', 'service-a', 'service-b']) await services.getByRole('link', { name }).waitFor();
      await screenshot(page, 'standalone-overview');
      await page.goto(`${ui}#/traces/${trace.traceId}`);
      const rows = page.getByTestId('waterfall').locator('.wf-row .svc');
      await rows.first().waitFor();
      const svcs = await rows.allTextContents();
      expect(new Set(svcs)).toEqual(new Set(['service-a', 'service-b']));
      expect(await page.getByTestId('waterfall').locator('.wf-row', { hasText: 'price-order' }).count()).toBe(1);
      await screenshot(page, 'standalone-trace');
    } finally {
      await browser.close();
    }
  });

  it('refuses a bad number, naming the flag or the env var and the text as written', async () => {
    const flag = start(['dist/cli.js', 'dashboard', '--port', 'ninety']);
    expect(await flag.exited).toBe(1);
    expect(flag.out()).toContain('Invalid --port: "ninety" (expected a number)');
    const fromEnv = start(['dist/cli.js', 'dashboard', '--port', '0'], { DASHBOARD_OTLP_PORT: '43l8' });
    expect(await fromEnv.exited).toBe(1);
    expect(fromEnv.out()).toContain('Invalid DASHBOARD_OTLP_PORT: "43l8" (expected a number)');
    const range = start(['dist/cli.js', 'dashboard', '--port', '70000']);
    expect(await range.exited).toBe(1);
    expect(range.out()).toContain('Invalid dashboard.port: 70000 (expected an integer from 0 to 65535)');
  });
});
