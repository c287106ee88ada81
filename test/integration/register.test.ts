import { spawn, type ChildProcess } from 'node:child_process';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt } from '../helpers/build.js';
import { OtlpReceiver } from '../helpers/otlpReceiver.js';

// Unmodified example apps are started with `node --import service-infrastructure/register`, as a
// user would; everything they emit is checked as decoded by a real OTLP/HTTP receiver.

interface App {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const apps: App[] = [];
let receiver: OtlpReceiver;
let endpoint: string;

beforeAll(async () => {
  ensureBuilt();
  receiver = new OtlpReceiver();
  endpoint = await receiver.start();
}, 120_000);
afterAll(async () => {
  await receiver.stop();
});
afterEach(async () => {
  for (const app of apps.splice(0)) {
    if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGKILL');
    await app.exited;
  }
  receiver.spans.length = 0;
  receiver.points.length = 0;
});

function launch(script: string, env: Record<string, string>): Promise<App> {
  const child = spawn(process.execPath, ['--import', 'service-infrastructure/register', script], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      MONITORING_INSTRUMENTATIONS: 'http',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c) => (err += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const app = { child, url: '', stderr: () => err, exited };
  apps.push(app);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c) => {
      out += c;
      const m = /listening (\d+)/.exec(out);
      if (m && app.url === '') {
        app.url = `http://127.0.0.1:${m[1]}`;
        resolve(app);
      }
    });
    void exited.then(({ code }) => reject(new Error(`${script} exited with ${code} before listening: ${err}`)));
  });
}

async function stop(app: App): Promise<void> {
  app.child.kill('SIGTERM');
  const { signal, code } = await app.exited;
  // register flushes, then lets SIGTERM terminate the process as it would have without it.
  expect({ signal, code }).toEqual({ signal: 'SIGTERM', code: null });
}

describe('node --import service-infrastructure/register', () => {
  it('instruments an unmodified node:http app: server spans, RED metrics, runtime and system metrics over OTLP', async () => {
    const app = await launch('examples/auto-instrumented-app.js', { OTEL_SERVICE_NAME: 'hello-app' });
    expect(await (await fetch(`${app.url}/`)).text()).toBe('hello\n');
    expect((await fetch(`${app.url}/fail`)).status).toBe(500);
    await stop(app);

    const server = receiver.spans.filter((s) => s.kind === SpanKind.SERVER + 1); // OTLP kinds are API kind + 1
    expect(server).toHaveLength(2);
    const ok = server.find((s) => s.attributes['url.path'] === '/')!;
    const failed = server.find((s) => s.attributes['url.path'] === '/fail')!;
    expect(ok.name).toBe('GET');
    expect(ok.service).toBe('hello-app');
    expect(ok.resource['telemetry.sdk.name']).toBe('opentelemetry');
    expect(ok.resource['telemetry.sdk.language']).toBe('nodejs');
    expect(ok.attributes['http.response.status_code']).toBe(200);
    expect(failed.attributes['http.response.status_code']).toBe(500);
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);

    const duration = receiver.points.filter((p) => p.metric === 'http.server.request.duration');
    expect(duration.find((p) => p.attributes['http.response.status_code'] === 200)?.count).toBe(1);
    expect(duration.find((p) => p.attributes['error.type'] === '500')?.count).toBe(1);
    const names = new Set(receiver.points.map((p) => p.metric));
    for (const name of ['nodejs.eventloop.delay', 'nodejs.eventloop.utilization', 'v8js.memory.heap.used', 'system.cpu.time', 'system.memory.usage', 'system.network.io', 'system.filesystem.usage']) {
      expect(names, name).toContain(name);
    }
  });

  it('propagates W3C trace context from service A to service B; phases in B join the trace', async () => {
    const b = await launch('examples/traced-service.js', { OTEL_SERVICE_NAME: 'service-b' });
    const a = await launch('examples/auto-instrumented-app.js', { OTEL_SERVICE_NAME: 'service-a', DOWNSTREAM_URL: b.url });
    expect(await (await fetch(`${a.url}/proxy`)).text()).toBe('downstream said: done 42\n');
    await stop(a);
    await stop(b);

    const find = (service: string, kind: SpanKind) => receiver.spans.filter((s) => s.service === service && s.kind === kind + 1);
    const [aServer] = find('service-a', SpanKind.SERVER);
    const [aClient] = find('service-a', SpanKind.CLIENT);
    const [bServer] = find('service-b', SpanKind.SERVER);
    const loadOrder = receiver.spans.find((s) => s.service === 'service-b' && s.name === 'load-order');
    const priceOrder = receiver.spans.find((s) => s.service === 'service-b' && s.name === 'price-order');
    expect(aServer, "service A's SERVER span").toBeDefined();
    expect(aClient, "service A's CLIENT span").toBeDefined();
    expect(bServer, "service B's SERVER span").toBeDefined();
    expect(loadOrder, 'the load-order phase in B').toBeDefined();
    expect(priceOrder, 'the price-order phase in B').toBeDefined();
    const traceId = aServer!.traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    for (const s of [aClient, bServer, loadOrder, priceOrder]) expect(s!.traceId).toBe(traceId);
    expect(aClient!.parentSpanId).toBe(aServer!.spanId); // OTel's http client span, inside our server span
    expect(bServer!.parentSpanId).toBe(aClient!.spanId); // across the wire, via traceparent
    expect(loadOrder!.parentSpanId).toBe(bServer!.spanId);
    expect(priceOrder!.parentSpanId).toBe(loadOrder!.spanId);
  });

  it('with OTEL_TRACES_SAMPLER=always_off sends no spans, yet the requests still count in the metrics', async () => {
    const app = await launch('examples/auto-instrumented-app.js', { OTEL_SERVICE_NAME: 'quiet', OTEL_TRACES_SAMPLER: 'always_off' });
    for (let i = 0; i < 3; i++) await (await fetch(`${app.url}/`)).text();
    await stop(app);
    expect(receiver.spans).toHaveLength(0);
    expect(receiver.points.find((p) => p.metric === 'http.server.request.duration' && p.attributes['http.response.status_code'] === 200)?.count).toBe(3);
  });

  it('refuses to start on bad configuration, naming the variable and the value', async () => {
    await expect(launch('examples/auto-instrumented-app.js', { OTEL_TRACES_SAMPLER: 'sometimes' })).rejects.toThrow(/OTEL_TRACES_SAMPLER.*sometimes/);
    await expect(launch('examples/auto-instrumented-app.js', { MONITORING_INSTRUMENTATIONS: 'no-such-lib' })).rejects.toThrow(/MONITORING_INSTRUMENTATIONS.*no-such-lib/);
  });
});
