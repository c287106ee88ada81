// Where a case's CPU goes, against another case run at the same time: two bench/http-server.js
// servers share CPU 0 (as in bench/http.js's pairs), each loaded by its own wrk on CPU 1, and
// Linux perf samples CPU 0 for both at once. Each server's samples are divided by the requests it
// served in the same window, so the table reads in ns of CPU a request, per function, and the
// neighbours' noise falls on both servers alike.
//
//   npm run build && node bench/http-profile.js              # CASES=bare-dc,si-red RUNS=3
//   CASES=si-red,si-trace-rate SERVER_NODE=/path/to/node24 node bench/http-profile.js
//   CASES=si-red@/path/to/other/dist/index.js,si-red node bench/http-profile.js   # A/B of two builds
//
// Needs perf (Debian: linux-perf), wrk, taskset and two CPUs. CASES names two cases: the first is
// the reference, the table shows the second minus the first. Each run starts both servers afresh
// (a process lays out and optimises its code a little differently each time, bench/http.js), warms
// them up for WARM seconds, and samples for RECORD seconds at FREQ Hz.
//
// Reading it: the servers run with --perf-basic-prof, so perf names JavaScript functions by the map
// Node writes. A function inlined into another counts in its caller, and the two servers may inline
// differently, so a JavaScript row that rises in one server and falls in the other is usually the
// same work moved; a row that moves the same way in every run is worth a look. V8's builtins,
// Node's C++ and the kernel are named exactly. "CPU ns/req" is the server's sampled CPU time over
// the requests it served; the two servers' samples make up nearly all of CPU 0's, V8's worker
// threads a fraction of a percent. process.cpuUsage() is shown beside it as a check; it reads
// higher, as its window also covers perf's start and stop (~12% at the default RECORD here). The
// ratio of the two servers' costs is what bench/http.js's pairs measure as a ratio of req/s.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireTools, startServerProcess } from './http-server-process.js';

const SERVER = fileURLToPath(new URL('./http-server.js', import.meta.url));
const SERVER_NODE = process.env.SERVER_NODE ?? process.execPath;
const CASES = (process.env.CASES ?? 'bare-dc,si-red').split(',');
const RUNS = Number(process.env.RUNS ?? 3);
const WARM = Number(process.env.WARM ?? 12);
const RECORD = Number(process.env.RECORD ?? 10);
const FREQ = Number(process.env.FREQ ?? 4000);
const TOP = Number(process.env.TOP ?? 25);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);

if (CASES.length !== 2) throw new Error(`CASES must name two cases, the reference first, not ${JSON.stringify(process.env.CASES)}`);
requireTools('bench/http-profile.js', ['perf', 'wrk', 'taskset'], 'linux-perf wrk util-linux');
if (cpus().length < 2) throw new Error('bench/http-profile.js pins the servers to CPU 0 and wrk to CPU 1: it needs two CPUs');

/** Starts one case's server on CPU 0, with its JIT code named for perf; resolves once it listens. */
function startServer(which) {
  return startServerProcess('taskset', ['-c', '0', SERVER_NODE, '--perf-basic-prof', SERVER, which], { name: `${which} server` });
}

/** What a symbol is: the build under test, Node's JavaScript, V8's builtins, C++, the kernel. */
function kind(symbol) {
  if (symbol.startsWith('[k]')) return 'kernel';
  // The case's build, wherever CASES put it, and its node_modules: JavaScript neither Node's own
  // (`node:` URLs) nor the bench's.
  if (symbol.startsWith('[.] JS:') && !/ node:/.test(symbol) && !symbol.includes('/bench/')) return 'this package (JS)';
  if (/^\[\.\] (JS:|RegExp)/.test(symbol)) return "Node's JS (and the handler)";
  if (symbol.includes('Builtins_')) return "V8's builtins";
  if (/v8::|node::|uv_|uv__|simdutf|llhttp|std::|cppgc/.test(symbol)) return 'C++ (V8, Node, libuv)';
  return 'libc, vDSO, unnamed';
}

/** One run: both servers afresh, sampled together. Returns ns of CPU a request by symbol, per server. */
async function run(dir) {
  const servers = [];
  try {
    for (const which of CASES) servers.push(await startServer(which));
    const wrks = servers.map(({ port }) =>
      spawn('taskset', ['-c', '1', 'wrk', '-t1', `-c${CONNECTIONS}`, `-d${WARM + RECORD + 5}s`, `http://127.0.0.1:${port}/`], { stdio: 'ignore' }),
    );
    await new Promise((r) => setTimeout(r, WARM * 1000));
    const before = await Promise.all(servers.map((s) => s.ask('stats')));
    const data = join(dir, 'perf.data');
    execFileSync('perf', ['record', '-q', '-e', 'cpu-clock', '-F', String(FREQ), '-C', '0', '-o', data, '--', 'sleep', String(RECORD)], { stdio: 'ignore' });
    const after = await Promise.all(servers.map((s) => s.ask('stats')));
    for (const w of wrks) w.kill();
    const report = execFileSync('perf', ['report', '-i', data, '--sort', 'pid,sym', '-g', 'none', '--stdio', '-n'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const byPid = new Map(
      servers.map((s, i) => {
        const requests = after[i].served - before[i].served;
        return [String(s.child.pid), { requests, processNs: ((after[i].cpuUs - before[i].cpuUs) * 1000) / requests, symbols: new Map(), total: 0 }];
      }),
    );
    for (const line of report.split('\n')) {
      // "    1.23%     456  12345:node   [.] JS:*'parserOnIncoming node:_http_server:1167:26"
      const m = /^\s*[\d.]+%\s+(\d+)\s+(\d+):\S+\s+(\[.\]\s+.*)$/.exec(line);
      const server = m && byPid.get(m[2]);
      if (!server) continue;
      // Tier marks (*' optimised, +' Maglev, ^ baseline, ~ interpreted) and bundle hashes vary between processes.
      const symbol = m[3].replace(/JS:[*+^~]?'?/, 'JS:').replace(/chunk-[A-Z0-9]+\.js:\d+:\d+/, 'chunk').replace(/\s+/g, ' ').trim();
      const samples = Number(m[1]);
      server.symbols.set(symbol, (server.symbols.get(symbol) ?? 0) + samples);
      server.total += samples;
    }
    const ns = (samples, requests) => (samples / FREQ / requests) * 1e9;
    return [...byPid.values()].map(({ requests, processNs, symbols, total }) => ({
      requests,
      processNs,
      total: ns(total, requests),
      symbols: new Map([...symbols].map(([k, v]) => [k, ns(v, requests)])),
    }));
  } finally {
    for (const s of servers) {
      s.child.kill();
      rmSync(`/tmp/perf-${s.child.pid}.map`, { force: true });
    }
  }
}

const version = execFileSync(SERVER_NODE, ['--version'], { encoding: 'utf8' }).trim();
console.log(`# servers on node ${version}, both on CPU 0, wrk -t1 -c${CONNECTIONS} each on CPU 1, ${WARM}s warm-up, ${RECORD}s sampled at ${FREQ} Hz, ${new Date().toISOString()}`);
const [A, B] = CASES;
const runs = [];
for (let i = 0; i < RUNS; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'si-http-profile-'));
  try {
    const [a, b] = await run(dir);
    runs.push([a, b]);
    console.log(
      `run ${i + 1}: ${A} ${a.requests} requests, ${a.total.toFixed(0)} ns CPU/req sampled (${a.processNs.toFixed(0)} by process.cpuUsage); ` +
        `${B} ${b.requests} requests, ${b.total.toFixed(0)} (${b.processNs.toFixed(0)}); cost ${(b.total / a.total).toFixed(3)}x, requests ${(b.requests / a.requests).toFixed(3)}x`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const cell = (v) => `${v >= 0 ? '+' : ''}${v.toFixed(0)}`.padStart(6);
/** Per-run differences (B minus A, ns a request) of whatever `key` groups the symbols by. */
function differences(key) {
  const rows = new Map();
  runs.forEach(([a, b], i) => {
    for (const [server, sign] of [[a, -1], [b, 1]]) {
      for (const [symbol, v] of server.symbols) {
        const row = rows.get(key(symbol)) ?? Array(runs.length).fill(0);
        row[i] += sign * v;
        rows.set(key(symbol), row);
      }
    }
  });
  return [...rows].map(([k, v]) => [k, v, v.reduce((s, x) => s + x, 0) / v.length]).sort((p, q) => q[2] - p[2]);
}
console.log(`\n${B} minus ${A}, ns of CPU a request: mean, then each run`);
const total = runs.map(([a, b]) => b.total - a.total);
console.log(`${'all'.padEnd(34)} ${cell(total.reduce((s, x) => s + x, 0) / runs.length)}   ${total.map(cell).join('')}`);
for (const [k, v, mean] of differences(kind)) console.log(`${k.padEnd(34)} ${cell(mean)}   ${v.map(cell).join('')}`);
console.log(`\nby function, the ${TOP} that grew most and the 10 that shrank most`);
const rows = differences((s) => s);
const line = ([k, v, mean]) => console.log(`${cell(mean)}   ${v.map(cell).join('')}   ${k.slice(0, 110)}`);
rows.slice(0, TOP).forEach(line);
console.log('...');
rows.slice(-10).forEach(line);
