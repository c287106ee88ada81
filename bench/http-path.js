// CPU cost per request of the HttpServerInstrumentation paths alone, in-process: the
// diagnostics_channel messages Node publishes for a request are replayed against a real
// IncomingMessage (on a stand-in socket) and a stand-in response, so no socket or kernel time is
// measured (that is bench/http.js's job,
// and on a shared machine its noise is larger than these costs). Each path runs in a fresh
// process; cases are interleaved over rounds; medians in ns per request. Each request is replayed
// inside the scope of one async resource made after setup, as Node runs a request inside a
// callback of the connection's parser, made when the server accepted it: the scope puts the
// frame back after each request on Node 24 and 26 (the instrumentation leaves that restore to
// it, docs/decisions/007-...), and every request starts from the frame the server listened in.
//
//   npm run build && node bench/http-path.js         # ROUNDS=5 to change
//   CASES=rate,rate@/path/to/other/dist/index.js node bench/http-path.js   # A/B of two builds
//   N=4000000 node bench/http-path.js                  # requests measured per case (default 500,000)
import { execFileSync } from 'node:child_process';
import { AsyncResource } from 'node:async_hooks';
import dc from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import { IncomingMessage } from 'node:http';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const [which, DIST] = (process.argv[2] ?? '').split('@');
if (which === '') {
  const ROUNDS = Number(process.env.ROUNDS ?? 5);
  const KNOWN = [
    ['none', 'no instrumentation (stand-in objects only)'],
    ['red', 'RED metrics only'],
    ['rate', 'tracing rate-limited, request not sampled + metrics'],
    ['all', 'tracing every request + metrics'],
  ];
  const CASES = process.env.CASES
    ? ['none', ...process.env.CASES.split(',').filter((c) => c !== 'none')].map((c) => [c, KNOWN.find(([k]) => k === c)?.[1] ?? `${c.split('@')[0]} against ${c.split('@')[1]}`])
    : KNOWN;
  const res = new Map(CASES.map(([c]) => [c, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < CASES.length; i++) {
      const [c] = CASES[(i + r) % CASES.length];
      res.get(c).push(Number(execFileSync(process.execPath, [fileURLToPath(import.meta.url), c], { encoding: 'utf8' }).trim()));
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const none = median(res.get('none'));
  console.log(`# node ${process.version}, ${cpus().length} x ${cpus()[0]?.model}, ${ROUNDS} rounds, ${new Date().toISOString()}`);
  for (const [c, label] of CASES) {
    const m = median(res.get(c));
    console.log(`${c.padEnd(Math.max(5, ...CASES.map(([k]) => k.length)))} ${m.toFixed(0).padStart(6)} ns/req  (+${(m - none).toFixed(0)} over none)  ${label}`);
  }
} else {
  const si = await import(DIST ?? '../dist/index.js');
  if (which !== 'none') {
    const monitoring = si.createMonitoring({
      mode: si.MonitoringMode.DIRECT,
      tracesSampler: which === 'all' ? 'always_on' : 'parentbased_rate_limited',
      // Rate 0: every root is dropped, which is what almost every request sees under load.
      tracesSamplerArg: which === 'all' ? undefined : 0,
    });
    new si.HttpServerInstrumentation({
      collector: monitoring.collector,
      ...(which === 'red' ? {} : { tracerProvider: monitoring.tracerProvider, sampler: monitoring.sampler }),
    }).enable();
  }
  const start = dc.channel('http.server.request.start');
  const finish = dc.channel('http.server.response.finish');
  const server = new EventEmitter();
  server.on('request', () => {});
  // One keep-alive connection serves every request, as under wrk.
  const socket = new EventEmitter();
  const one = () => {
    // A real IncomingMessage, as the parser fills it: its `headers` object is built on first read,
    // from `rawHeaders`, so reading it costs here what it costs in a server.
    const request = new IncomingMessage(socket);
    request.method = 'GET';
    request.url = '/hello?x=1';
    request.httpVersion = '1.1';
    request.rawHeaders = ['Host', 'localhost', 'User-Agent', 'wrk'];
    const response = new EventEmitter();
    response.statusCode = 200;
    response.writableFinished = true;
    const message = { request, response, socket, server };
    if (start.hasSubscribers) start.publish(message);
    server.emit('request', request, response);
    if (finish.hasSubscribers) finish.publish(message);
    response.emit('close');
  };
  // The connection's parser: Node calls back into JavaScript for each request in its scope.
  const parser = new AsyncResource('HTTPINCOMINGMESSAGE');
  const replay = () => parser.runInAsyncScope(one);
  // N=4000000 for a line that is still warming up after half a million (Node 24's RED path is).
  const N = Number(process.env.N ?? 500_000);
  for (let i = 0; i < 100_000; i++) replay();
  // CPU time rather than wall time: on a shared virtual machine, time stolen by neighbours would
  // otherwise be charged to whichever case happened to be running.
  const t = process.cpuUsage();
  for (let i = 0; i < N; i++) replay();
  const cpu = process.cpuUsage(t);
  process.stdout.write(`${((cpu.user + cpu.system) * 1000) / N}\n`);
  process.exit(0);
}
