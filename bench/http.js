// Throughput of a hello-world node:http server under wrk on loopback, bare and instrumented.
//
//   npm run build && node bench/http.js            # ROUNDS=5 DURATION=5 CONNECTIONS=50 to change
//
// Every case runs in a fresh server process (bench/http-server.js) for every round; cases are
// interleaved (the order rotates each round) so background load spreads over all of them. Each
// round's req/s is divided by that round's bare figure; the table shows medians over rounds.
import { spawn, execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SERVER = fileURLToPath(new URL('./http-server.js', import.meta.url));
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const DURATION = Number(process.env.DURATION ?? 5);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const CASES = [
  ['bare', 'bare node:http'],
  ['si-red', 'service-infrastructure RED metrics only'],
  ['si-trace', 'service-infrastructure tracing every request + metrics'],
  ['si-trace-rate', 'service-infrastructure tracing rate-limited (100/s) + metrics'],
  ['otel-trace', 'OTel http instrumentation, tracing'],
  ['otel-trace-metrics', 'OTel http instrumentation, tracing + metrics'],
  ['prom-client', 'prom-client RED middleware'],
];
const ONLY = process.env.CASES ? new Set(['bare', ...process.env.CASES.split(',')]) : null;
const cases = ONLY ? CASES.filter(([id]) => ONLY.has(id)) : CASES;

function startServer(which) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER, which], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const done = new Promise((resolveDone) => {
      child.stdout.on('data', (chunk) => {
        out += chunk;
        const m = /listening (\d+)/.exec(out);
        if (m) resolve({ child, port: Number(m[1]), done });
        const d = /done (.*)\n/.exec(out);
        if (d) resolveDone(JSON.parse(d[1]));
      });
      child.on('exit', (code) => {
        resolveDone(null);
        reject(new Error(`${which} server exited with ${code}`));
      });
    });
  });
}

async function load(port) {
  const url = `http://127.0.0.1:${port}/`;
  // A short warm-up lets V8 optimise the server's hot path before the measured run.
  await run('wrk', ['-t1', `-c${CONNECTIONS}`, '-d1s', url]);
  const { stdout } = await run('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${DURATION}s`, '--latency', url]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const p99 = /\s99%\s+([\d.]+\w+)/.exec(stdout)?.[1] ?? '?';
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(stdout)?.[0];
  if (errors) console.error(`  wrk reported: ${errors}`);
  return { rps, p99 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

console.log(`# node ${process.version}, ${cpus().length} x ${cpus()[0]?.model}, wrk -t1 -c${CONNECTIONS} -d${DURATION}s, ${ROUNDS} rounds, ${new Date().toISOString()}`);
const results = new Map(cases.map(([id]) => [id, { rps: [], ratio: [], p99: [], cpu: [] }]));
for (let round = 0; round < ROUNDS; round++) {
  const order = cases.map((_, i) => cases[(i + round) % cases.length]);
  const thisRound = new Map();
  for (const [id] of order) {
    const { child, port, done } = await startServer(id);
    let r;
    try {
      r = await load(port);
      thisRound.set(id, r);
    } finally {
      child.kill('SIGTERM');
    }
    const seen = await done;
    r.cpu = seen?.cpuUsPerRequest ?? NaN;
    const recorded = seen && Object.keys(seen).length > 0 ? `  recorded ${JSON.stringify(seen)}` : '';
    console.log(`round ${round + 1} ${id.padEnd(20)} ${r.rps.toFixed(0).padStart(8)} req/s  p99 ${r.p99}${recorded}`);
  }
  const bare = thisRound.get('bare').rps;
  for (const [id, r] of thisRound) {
    const agg = results.get(id);
    agg.rps.push(r.rps);
    agg.ratio.push(r.rps / bare);
    agg.p99.push(r.p99);
    agg.cpu.push(r.cpu);
  }
}

console.log('\ncase                 median req/s  ratio to bare  CPU us/req  (per-round ratios)  description');
const bareCpu = median(results.get('bare').cpu);
for (const [id, label] of cases) {
  const agg = results.get(id);
  const ratios = agg.ratio.map((x) => x.toFixed(2)).join(' ');
  const cpu = median(agg.cpu);
  const extra = id === 'bare' ? '' : ` (+${(cpu - bareCpu).toFixed(1)})`;
  console.log(`${id.padEnd(20)} ${median(agg.rps).toFixed(0).padStart(12)}  ${median(agg.ratio).toFixed(2).padStart(12)}x  ${(cpu.toFixed(1) + extra).padStart(14)}  (${ratios})  ${label}`);
}
