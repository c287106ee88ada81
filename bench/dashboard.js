// Dashboard figures, measured in Chromium and over real HTTP (not test assertions):
//  - Traces page with N traces held (10k, 100k): time to first render of the trace list, and p95
//    latency of interactions (next/previous page, name search, duration and status filters), each
//    from the click to the updated rows in the DOM, so the server's search and the render count.
//  - OTLP ingest of the standalone mode: spans/s of protobuf requests (512 spans each) posted by
//    two concurrent senders to a dashboard in its own process.
//
// Usage: npm run build && node bench/dashboard.js [--traces 10000,100000] [--interactions 60] [--ingest-s 10]
import { spawn } from 'node:child_process';
import os from 'node:os';
import { chromium } from 'playwright-core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { StandaloneDashboard } from '../dist/dashboard/index.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const sizes = opt('traces', '10000,100000').split(',').map(Number);
const interactions = Number(opt('interactions', 60));
const ingestSeconds = Number(opt('ingest-s', 10));

const pct = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};

function fill(store, n) {
  const now = Date.now();
  const services = ['checkout', 'payments', 'inventory', 'gateway'];
  const routes = ['GET /orders', 'POST /orders', 'GET /items/:id', 'POST /pay', 'GET /health/ready'];
  for (let i = 0; i < n; i++) {
    const traceId = i.toString(16).padStart(32, '0');
    const start = now - (n - i) * 10;
    const dur = 5 + ((i * 7919) % 400);
    const service = services[i % services.length];
    const span = (id, parent, name, s, e, extra = {}) => ({
      traceId, spanId: `${i.toString(16).padStart(12, '0')}${id}`, parentSpanId: parent, name, kind: parent ? 0 : 1, service, scope: 'bench',
      start: s, end: e, status: 'unset', statusMessage: undefined, attributes: { 'order.id': i }, events: [], resource: { 'service.name': service }, ...extra,
    });
    const root = `${i.toString(16).padStart(12, '0')}0000`;
    store.add(span('0000', undefined, routes[i % routes.length], start, start + dur));
    store.add(span('0001', root, 'validate', start + 1, start + 3));
    store.add(span('0002', root, `phase-${i % 10}`, start + 3, start + dur * 0.6));
    store.add(span('0003', root, 'charge', start + dur * 0.6, start + dur - 1, i % 7 === 0 ? { status: 'error' } : {}));
    store.add(span('0004', root, 'respond', start + dur - 1, start + dur));
  }
}

async function tracesPage(browser, n) {
  const dash = new StandaloneDashboard({ port: 0, otlpPort: 0, maxTraces: n, refreshMs: 60_000 });
  fill(dash.stores.traces, n);
  const { ui } = await dash.listen();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.addInitScript(() => {
    new MutationObserver((_, obs) => {
      if (document.querySelectorAll('[data-testid=trace-list] tbody tr').length > 0) {
        window.__firstRows = performance.now();
        obs.disconnect();
      }
    }).observe(document, { subtree: true, childList: true });
  });
  const firsts = [];
  for (let i = 0; i < 5; i++) {
    await page.goto(`${ui}#/traces`);
    await page.waitForFunction(() => window.__firstRows !== undefined);
    firsts.push(await page.evaluate(() => window.__firstRows));
    await page.goto('about:blank');
  }
  await page.goto(`${ui}#/traces`);
  await page.waitForFunction(() => window.__firstRows !== undefined);
  // One interaction: act, then wait for the first row of the list to change.
  // Each interaction changes what is listed (so its end is visible): names cycle, the duration
  // bound alternates, the status filter toggles.
  const act = (kind, i) =>
    page.evaluate(async ([kind, i]) => {
      const q = (s) => document.querySelector(s);
      const firstRow = () => q('[data-testid=trace-list] tbody tr')?.textContent ?? '';
      const total = () => q('[data-testid=trace-total]')?.textContent ?? '';
      const before = firstRow() + total();
      const setInput = (sel, value) => {
        const el = q(sel);
        const proto = el instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
        Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, value);
        el.dispatchEvent(new Event(el instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }));
      };
      const t0 = performance.now();
      // Paging goes the other way at either end of the results.
      const next = q('[data-testid=next-page]');
      const prev = q('[data-testid=prev-page]');
      if (kind === 'next') (next.disabled ? prev : next).click();
      else if (kind === 'prev') (prev.disabled ? next : prev).click();
      else {
        if (kind === 'name') setInput('[data-testid=search-name]', `phase-${i % 10}`);
        if (kind === 'min') setInput('[data-testid=search-min]', i % 4 === 0 ? '200' : '0');
        if (kind === 'status') setInput('[data-testid=search-status]', q('[data-testid=search-status]').value === 'error' ? '' : 'error');
        await new Promise((r) => setTimeout(r, 0));
        q('[data-testid=search-button]').click();
      }
      await new Promise((resolve) => {
        const check = () => (firstRow() + total() !== before ? resolve() : requestAnimationFrame(check));
        check();
        setTimeout(() => resolve(), 5000);
      });
      return performance.now() - t0;
    }, [kind, i]);
  const kinds = ['next', 'next', 'prev', 'name', 'min', 'status'];
  const lat = [];
  for (let i = 0; i < interactions; i++) {
    const ms = await act(kinds[i % kinds.length], i);
    if (ms >= 5000) console.warn(`  interaction ${i} (${kinds[i % kinds.length]}) showed no change within 5 s`);
    lat.push(ms);
  }
  await page.close();
  await dash.shutdown();
  return { traces: n, firstRenderMedian: pct(firsts, 0.5), interactionP50: pct(lat, 0.5), interactionP95: pct(lat, 0.95) };
}

function otlpBody(spansPerRequest) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'ingest-bench' }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('bench');
  for (let t = 0; t < spansPerRequest / 8; t++) {
    tracer.startActiveSpan('GET /orders', (root) => {
      for (let c = 0; c < 7; c++) tracer.startSpan(`phase-${c}`, { attributes: { 'order.id': t, step: c } }).end();
      root.end();
    });
  }
  return Buffer.from(ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans()));
}

async function ingest() {
  const body = otlpBody(512);
  const child = spawn(process.execPath, ['dist/cli.js', 'dashboard', '--port', '0', '--otlp-port', '0', '--max-traces', '20000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  while (!/OTLP\/HTTP receiver: (\S+)/.test(out)) await new Promise((r) => setTimeout(r, 50));
  const url = `${/OTLP\/HTTP receiver: (\S+)/.exec(out)[1]}/v1/traces`;
  const post = async () => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
    if (res.status !== 200) throw new Error(`OTLP answered ${res.status}`);
    await res.arrayBuffer();
  };
  for (let i = 0; i < 20; i++) await post(); // warm-up
  let requests = 0;
  const deadline = performance.now() + ingestSeconds * 1000;
  const t0 = performance.now();
  await Promise.all([0, 1].map(async () => {
    while (performance.now() < deadline) {
      await post();
      requests++;
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  child.kill('SIGTERM');
  return { spansPerRequest: 512, requests, spansPerSecond: Math.round((requests * 512) / secs) };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
console.log(`dashboard bench — node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model ?? '?'}), ${new Date().toISOString()}`);
try {
  for (const n of sizes) {
    const r = await tracesPage(browser, n);
    console.log(`traces page, ${r.traces} traces: first render ${r.firstRenderMedian.toFixed(0)} ms (median of 5; target <= 1000 ms); interactions p50 ${r.interactionP50.toFixed(0)} ms, p95 ${r.interactionP95.toFixed(0)} ms over ${interactions} (target p95 <= 100 ms)`);
  }
} finally {
  await browser.close();
}
const ing = await ingest();
console.log(`OTLP ingest (protobuf, ${ing.spansPerRequest} spans/request, 2 senders, ${ingestSeconds} s): ${ing.spansPerSecond} spans/s`);
