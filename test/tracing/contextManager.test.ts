// The context manager createMonitoring installs, and entering a request's context for the rest of
// the parser's callback (docs/decisions/007-request-context-for-the-rest-of-the-callback.md).
// Its own file: the second test replaces OTel's global context manager for the whole process.
import { AsyncResource } from 'node:async_hooks';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROOT_CONTEXT, context, createContextKey, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { createMonitoring } from '../../src/monitoring/createMonitoring.js';
import { HttpServerInstrumentation } from '../../src/instrumentation/HttpServerInstrumentation.js';
import { enterForRestOfCallback } from '../../src/tracing/contextManager.js';
import { distUrl, runScript } from '../helpers/runScript.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const KEY = createContextKey('request');
const REQUEST = ROOT_CONTEXT.setValue(KEY, 'request');
// AsyncLocalStorage runs on AsyncContextFrame by default from Node 24 on; on 20 and 22 it runs on
// async_hooks, where a store entered in a callback stays on the resource.
const framesByDefault = Number(process.versions.node.split('.')[0]) >= 24;

/** A monitoring setup whose HTTP instrumentation traces every request. */
function traced(): ReturnType<typeof createMonitoring> {
  const monitoring = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'svc-cm' });
  const inst = new HttpServerInstrumentation({ collector: monitoring.collector, tracerProvider: monitoring.tracerProvider, sampler: monitoring.sampler }).enable();
  cleanups.push(() => monitoring.shutdown());
  cleanups.push(() => inst.disable());
  return monitoring;
}

/** Each request's handler reports the span it runs in; returns those span ids and the spans recorded. */
async function twoRequests(monitoring: ReturnType<typeof createMonitoring>): Promise<{ seen: (string | undefined)[]; recorded: string[] }> {
  const seen: (string | undefined)[] = [];
  const server = http.createServer((_req, res) => {
    seen.push(trace.getActiveSpan()?.spanContext().spanId);
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  cleanups.push(() => server.closeAllConnections());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await (await fetch(`${url}/one`)).text();
  await (await fetch(`${url}/two`)).text();
  return { seen, recorded: monitoring.spanStore.spans().map((s) => s.spanContext().spanId) };
}

describe('entering a request context for the rest of a callback', () => {
  it('enters it where Node restores the frame after the callback, and only there', async () => {
    const monitoring = traced();
    const resource = new AsyncResource('test.callback');
    const inside = resource.runInAsyncScope(() => ({ entered: enterForRestOfCallback(REQUEST), value: context.active().getValue(KEY) }));
    expect(inside).toEqual(framesByDefault ? { entered: true, value: 'request' } : { entered: false, value: undefined });
    // Gone once the callback returned, and the resource's next callback does not see it either.
    expect(context.active().getValue(KEY)).toBeUndefined();
    expect(resource.runInAsyncScope(() => context.active().getValue(KEY))).toBeUndefined();
    // Requests still run in their own spans.
    const { seen, recorded } = await twoRequests(monitoring);
    expect(seen).toEqual(recorded);
    expect(new Set(seen).size).toBe(2);
  });

  it("an app that replaces OTel's context manager gets its requests' spans through its own manager", async () => {
    const monitoring = traced();
    context.disable();
    const own = new AsyncLocalStorageContextManager().enable();
    expect(context.setGlobalContextManager(own)).toBe(true);
    cleanups.push(() => void context.disable());
    const resource = new AsyncResource('test.callback');
    expect(resource.runInAsyncScope(() => enterForRestOfCallback(REQUEST))).toBe(false);
    const { seen, recorded } = await twoRequests(monitoring);
    expect(seen).toEqual(recorded);
    expect(new Set(seen).size).toBe(2);
  });
});

describe('setting up', () => {
  it("leaves the app in the async context frame it was in, with the app's own store", async () => {
    // A frame left with OTel's storage in it would be copied by every context entered later in
    // it: every request of a server that listens afterwards. Node's frames are internal, hence a
    // process of its own with --expose-internals; Node 20 has no such module.
    const result = await runScript(
      `
      import { AsyncLocalStorage } from 'node:async_hooks';
      import { createRequire } from 'node:module';
      const { createMonitoring, MonitoringMode } = await import(${JSON.stringify(distUrl())});
      let frames;
      try { frames = createRequire(import.meta.url)('internal/async_context_frame'); } catch {}
      const app = new AsyncLocalStorage();
      app.enterWith('app');
      const before = frames?.current();
      const monitoring = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'svc-frame' });
      const after = frames?.current();
      console.log(JSON.stringify({ store: app.getStore(), sameFrame: before === after, entries: after === undefined ? null : after.size }));
      await monitoring.shutdown();
      `,
      20_000,
      {},
      ['--expose-internals'],
    );
    expect(result.stderr).toBe('');
    // On 24 and later the frame holds the app's store and nothing else; on 20 and 22 (async_hooks)
    // there is no frame, and the app's store is still what it entered.
    expect(JSON.parse(result.stdout)).toEqual({ store: 'app', sameFrame: true, entries: framesByDefault ? 1 : null });
  });

  it('turns on no AsyncLocalStorage hook of its own: only entering a context does', async () => {
    // On Node 20 and 22 an AsyncLocalStorage that has entered a store once runs an init hook for
    // every async resource made after it, which gives each one a slot for the store: an app
    // that never enters a context should not pay for that because it set the SDK up. A timer's
    // resource shows whether the hook ran. On 24 and later AsyncLocalStorage has no such hook.
    const result = await runScript(
      `
      import { executionAsyncResource } from 'node:async_hooks';
      const { createMonitoring, MonitoringMode } = await import(${JSON.stringify(distUrl())});
      const { context, ROOT_CONTEXT } = await import('@opentelemetry/api');
      const slots = () => new Promise((resolve) => setTimeout(() => resolve(Object.getOwnPropertySymbols(executionAsyncResource()).map((s) => s.description).filter((d) => d === 'kResourceStore')), 1));
      // The default detectors, the container's included, so its read runs as an app's would.
      const monitoring = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'svc-hooks' });
      // The detector's read finishes after setup returns; a span carries the resource to wait on.
      const span = monitoring.tracerProvider.getTracer('t').startSpan('s');
      await span.resource.waitForAsyncAttributes?.();
      span.end();
      const afterSetup = await slots();
      context.with(ROOT_CONTEXT.setValue(Symbol('k'), 1), () => {});
      const afterWith = await slots();
      console.log(JSON.stringify({ afterSetup, afterWith }));
      await monitoring.shutdown();
      `,
      20_000,
    );
    expect(result.stderr).toBe('');
    // Once the app enters a context, the hook is on where AsyncLocalStorage runs on async_hooks:
    // the check sees it when it is there.
    expect(JSON.parse(result.stdout)).toEqual({ afterSetup: [], afterWith: framesByDefault ? [] : ['kResourceStore'] });
  });
});
