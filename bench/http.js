// Throughput of a hello-world node:http server under wrk on loopback, bare and instrumented.
//
//   npm run build && node bench/http.js              # MODE=pairs: REPEATS=3 ROUNDS=3 SLICE=4 CONNECTIONS=50 CASES=si-red,...
//   npm run build && MODE=slices node bench/http.js  # ROUNDS=15 SLICE=1 PIN=1
//
// On the shared virtual machines this runs on, a bare server's req/s swings by ±20% from one second
// to the next, so comparing 5-second runs taken a minute apart measures the neighbours more than
// the instrumentation. Two ways around it:
//
// MODE=pairs (default): each case runs at the same time as a bare server, both on CPU 0, each
// loaded by its own wrk on CPU 1. Both servers are CPU-bound and share the core fairly, so the
// ratio of their req/s is the ratio of their CPU cost per request, and whatever the neighbours do
// hits both at once. The spread is a few percent (bare against bare: 1.00, middle half 1.00–1.03).
// One pair of processes is not enough, though: the same build, started five times in one run,
// measured 0.92 to 0.96 (and 0.89 to 0.99 over a morning), because each process lays out its
// memory and optimises its code a little differently. So each case runs in REPEATS fresh pairs,
// interleaved with the other cases, and the table gives the median over all their rounds.
//
// MODE=slices: every case's server is started once (its own process), warmed up, and
// then loaded in short slices: each round loads every case, bare included, for SLICE seconds in
// turn, in an order shuffled anew each round (a server loaded right after another starts with cold
// caches, so no case may always follow the same one; the shuffle is a hash, so runs repeat). A case's ratio in a round is its req/s
// over the bare server's in that round; the table shows the median over rounds with the middle
// half of the rounds beside it. `bare-again`, a second bare server, shows how much is noise: on a
// busy day single rounds ranged from 0.3× to 1.5×, so use it on a quiet machine only.
//
// With PIN=1 (default, when `taskset` exists) servers run on CPU 0 and wrk on CPU 1, so a client
// never shares a core with a server it loads. SERVER_NODE=/path/to/node runs the servers on
// another Node.js (AsyncLocalStorage costs much less from Node 24 on); CASES takes
// `id@/path/to/dist/index.js` to run an si-* case against another build (an A/B of two commits).
//
// Beside the req/s ratio the table gives the CPU ratio: the bare server's CPU µs a request over
// the case's, per slice, as each server reports it from process.cpuUsage(). In pairs the two
// agree. SCHED=rr starts the servers under SCHED_RR (chrt -r 1, 100 ms slices) instead of the
// default scheduler, which switches between the two servers of a pair about every 1.5 ms, each
// switch leaving the other's caches cold. The req/s ratio means little then (a 4-second slice
// holds a few dozen turns, and the real-time throttle takes 5% of the core), so read the CPU
// ratio (docs/instrumentation.md, "Flatter series, and sharing a core").
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { hasTaskset, requireTools, startServerProcess } from './http-server-process.js';

const run = promisify(execFile);
const SERVER = fileURLToPath(new URL('./http-server.js', import.meta.url));
const ROUNDS = Number(process.env.ROUNDS ?? (process.env.MODE === 'slices' ? 15 : 3));
const REPEATS = Number(process.env.REPEATS ?? (process.env.MODE === 'slices' ? 1 : 3));
const SLICE = Number(process.env.SLICE ?? (process.env.MODE === 'slices' ? 1 : 4));
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const MODE = process.env.MODE ?? 'pairs';
const SCHED = process.env.SCHED ?? 'other';
if (SCHED !== 'other' && SCHED !== 'rr') throw new Error(`SCHED must be other or rr, not ${JSON.stringify(SCHED)}`);
if (SCHED === 'rr') requireTools('bench/http.js with SCHED=rr', ['chrt'], 'util-linux');
if (MODE !== 'pairs' && MODE !== 'slices') throw new Error(`MODE must be pairs or slices, not ${JSON.stringify(MODE)}`);
if (MODE === 'pairs' && !hasTaskset()) throw new Error('MODE=pairs pins the servers to CPU 0 and wrk to CPU 1: it needs taskset and two CPUs (try MODE=slices)');
const PIN = MODE === 'pairs' || (process.env.PIN !== '0' && hasTaskset());
const SERVER_NODE = process.env.SERVER_NODE ?? process.execPath;
const CASES = [
  ['bare', 'bare node:http'],
  ['bare-again', 'bare node:http, a second server (the noise floor of this bench)'],
  ['bare-als', 'bare node:http, an AsyncLocalStorage entered once (the floor for any context-propagating tracer on Node 20)'],
  ['bare-als-run', 'bare node:http, each request handled inside its own AsyncLocalStorage.run (the floor for a tracer that gives each request a context)'],
  ['bare-dc', 'bare node:http with a no-op subscriber on its request-start and response-finish diagnostics channels (the floor for si-*)'],
  ['bare-dc-als-run', 'bare-dc and bare-als-run together (the floor for si-trace-rate: the channels, and a context per request)'],
  ['bare-dc-import', 'bare-dc with this package imported and nothing set up (what its code and heap cost a server)'],
  ['bare-dc-otel', 'bare-dc with only the OTel SDK packages this package runs on imported (the part of bare-dc-import any OTel-based SDK has)'],
  ['bare-dc-apps', 'bare-dc with Express, Fastify and prom-client loaded, never used (a process of a real service\'s size)'],
  ['bare-dc-red', 'bare-dc with the least RED a subscriber can record: a start time on the response, a bucket, a sum and an in-flight count (the floor for si-red)'],
  ['bare-dc-import-red', 'bare-dc-red with this package imported (the floor for si-red in a process of its size)'],
  ['bare-dc-import-red-run', 'bare-dc-import-red with each request inside its own AsyncLocalStorage.run (a context per request, the usual way)'],
  ['bare-dc-import-red-ctx', 'bare-dc-import-red with a fresh store entered at each request\'s start, as si-trace-rate does on Node 24 on (the floor for si-trace-rate in a process of its size)'],
  ['si-red', 'service-infrastructure RED metrics only'],
  ['si-trace', 'service-infrastructure tracing every request + metrics'],
  ['si-trace-rate', 'service-infrastructure tracing rate-limited (100/s) + metrics'],
  ['otel-trace', 'OTel http instrumentation, tracing'],
  ['otel-trace-metrics', 'OTel http instrumentation, tracing + metrics'],
  ['prom-client', 'prom-client RED middleware'],
];
const ONLY = process.env.CASES ? new Set(['bare', ...process.env.CASES.split(',')]) : null;
const cases = ONLY ? [...ONLY].map((id) => CASES.find(([known]) => known === id) ?? [id, `${id.split('@')[0]} against ${id.split('@')[1]}`]) : CASES;

/** Starts one case's server on SERVER_NODE (on CPU 0 with PIN); resolves once it listens. */
function startServer(which) {
  let argv = [SERVER_NODE, SERVER, which === 'bare-again' ? 'bare' : which];
  if (PIN) argv = ['taskset', '-c', '0', ...argv];
  if (SCHED === 'rr') argv = ['chrt', '-r', '1', ...argv];
  return startServerProcess(argv[0], argv.slice(1), { name: `${which} server` });
}

async function wrk(port, seconds) {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', `http://127.0.0.1:${port}/`];
  const { stdout } = PIN ? await run('taskset', ['-c', '1', 'wrk', ...args]) : await run('wrk', args);
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(stdout)?.[0];
  if (errors) console.error(`  wrk reported: ${errors}`);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]), p99: /\s99%\s+([\d.]+\w+)/.exec(stdout)?.[1] ?? '?' };
}

/** Loads one server for a slice: req/s, p99 and the server's CPU µs per request over the slice. */
async function slice(server) {
  const before = await server.ask('stats');
  const { rps, p99 } = await wrk(server.port, SLICE);
  const after = await server.ask('stats');
  return { rps, p99, cpu: (after.cpuUs - before.cpuUs) / Math.max(1, after.served - before.served) };
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  return s[lo] + (s[Math.ceil(i)] - s[lo]) * (i - lo);
};
const median = (xs) => quantile(xs, 0.5);

const placement = MODE === 'pairs' ? `each case beside a bare server on CPU 0, wrk on CPU 1, ${SLICE}s runs, ${REPEATS} fresh pairs per case` : `${SLICE}s slices${PIN ? ', servers on CPU 0 and wrk on CPU 1' : ''}`;
const describe = SCHED === 'rr' ? `${placement}, servers under SCHED_RR (read the CPU ratio)` : placement;
const serverNode = SERVER_NODE === process.execPath ? process.version : execFileSync(SERVER_NODE, ['--version'], { encoding: 'utf8' }).trim();
console.log(`# servers on node ${serverNode}, ${cpus().length} x ${cpus()[0]?.model}, wrk -t1 -c${CONNECTIONS}, MODE=${MODE}: ${describe}, ${ROUNDS} rounds, ${new Date().toISOString()}`);
const results = new Map(cases.map(([id]) => [id, { rps: [], ratio: [], cpu: [], extraCpu: [], cpuRatio: [] }]));
const recorded = new Map();
const servers = new Set();

function add(id, r, bare) {
  const agg = results.get(id);
  agg.rps.push(r.rps);
  agg.ratio.push(r.rps / bare.rps);
  agg.cpu.push(r.cpu);
  agg.extraCpu.push(r.cpu - bare.cpu);
  agg.cpuRatio.push(bare.cpu / r.cpu);
}

async function start(id) {
  const server = await startServer(id);
  servers.add(server);
  return server;
}

async function stop(id, server) {
  recorded.set(id, await server.ask('done'));
  servers.delete(server);
}

/** MODE=slices: every server up at once, loaded one at a time in rotating order. */
async function slices() {
  const up = new Map();
  for (const [id] of cases) up.set(id, await start(id));
  // Warm-up: V8 optimises each server's hot path before anything is measured.
  for (const [id] of cases) await wrk(up.get(id).port, 2);
  // A shuffle that is the same on every run: cases sorted by a hash of the round and their id.
  const key = (round, id) => createHash('sha1').update(`${round}:${id}`).digest('hex');
  for (let round = 0; round < ROUNDS; round++) {
    const order = cases.map(([id]) => id).sort((a, b) => key(round, a).localeCompare(key(round, b)));
    const thisRound = new Map();
    for (const id of order) thisRound.set(id, await slice(up.get(id)));
    const bare = thisRound.get('bare');
    for (const [id, r] of thisRound) add(id, r, bare);
    console.log(`round ${String(round + 1).padStart(2)}: bare ${bare.rps.toFixed(0)}  ${[...thisRound].filter(([id]) => id !== 'bare').map(([id]) => `${id} ${results.get(id).ratio.at(-1).toFixed(2)}`).join('  ')}`);
  }
  for (const [id, server] of up) await stop(id, server);
}

/** MODE=pairs: each case and a bare server side by side on one core, loaded at the same time. */
async function pairs() {
  for (let repeat = 1; repeat <= REPEATS; repeat++) for (const [id] of cases) if (id !== 'bare') await pair(id, repeat);
}

/** One fresh pair of processes: the case and a bare server, ROUNDS slices each. */
async function pair(id, repeat) {
  const server = await start(id);
  const bare = await start('bare');
  await Promise.all([wrk(server.port, 2), wrk(bare.port, 2)]);
  const line = [];
  for (let round = 0; round < ROUNDS; round++) {
    const [r, b] = await Promise.all([slice(server), slice(bare)]);
    add(id, r, b);
    add('bare', b, b);
    line.push(results.get(id).ratio.at(-1).toFixed(3));
  }
  console.log(`${id.padEnd(20)} ${REPEATS > 1 ? `#${repeat} ` : ''}${line.join(' ')}`);
  await stop(id, server);
  await stop('bare', bare);
}

try {
  await (MODE === 'pairs' ? pairs() : slices());
  // What each instrumented server recorded (a case that records reports more than `served`), so a
  // case that silently measured nothing shows up; null is a server that exited before answering.
  for (const [id, seen] of recorded) if (seen === null || Object.keys(seen).length > 1) console.log(`${id} recorded ${JSON.stringify(seen)}`);

  console.log(`\n${'case'.padEnd(20)} median req/s  ratio to bare  (middle half)  CPU µs/req (+ over bare)  CPU ratio  (middle half)  description`);
  for (const [id, label] of cases) {
    const agg = results.get(id);
    const bare = id === 'bare';
    const ratio = bare ? '1.00x' : `${median(agg.ratio).toFixed(2)}x`;
    const spread = bare ? '' : `${quantile(agg.ratio, 0.25).toFixed(2)}–${quantile(agg.ratio, 0.75).toFixed(2)}`;
    const cpu = `${median(agg.cpu).toFixed(1)}${bare ? '' : ` (+${median(agg.extraCpu).toFixed(1)})`}`;
    const cpuRatio = bare ? '1.00x' : `${median(agg.cpuRatio).toFixed(2)}x`;
    const cpuSpread = bare ? '' : `${quantile(agg.cpuRatio, 0.25).toFixed(2)}–${quantile(agg.cpuRatio, 0.75).toFixed(2)}`;
    console.log(`${id.padEnd(20)} ${median(agg.rps).toFixed(0).padStart(12)}  ${ratio.padStart(12)}  ${spread.padStart(13)}  ${cpu.padStart(24)}  ${cpuRatio.padStart(9)}  ${cpuSpread.padStart(13)}  ${label}`);
  }
} finally {
  for (const { child } of servers) child.kill('SIGKILL');
}
