// Instructions per request of the bench/http-server.js cases, counted by valgrind's callgrind in a
// real server under wrk. bench/http.js measures throughput, and on a shared machine its pairs
// spread by a few percent, as much as the changes being looked for; callgrind counts instructions,
// which depend on the code run and not on what the neighbours do.
//
//   npm run build && node bench/http-callgrind.js   # CASES=si-red,si-trace-rate CONNECTIONS=1 WARM=60 MEASURE=20
//   CASES=si-trace-rate,si-trace-rate@/path/to/other/dist/index.js node bench/http-callgrind.js   # A/B
//
// Needs valgrind (Debian's package) and wrk. Each case runs alone, in its own process under
// callgrind (about 50 times slower than natively), with counting off while wrk warms it up for
// WARM seconds and on for the next MEASURE seconds. The instructions of that window are split three
// ways by the function they ran in: V8's compilers (which keep optimising long after a native run
// would have settled, at a pace that varies from run to run), the garbage collector (a scavenge
// falls in the window or does not), and the rest, "mutator": JavaScript, Node's C++ and libuv, and
// V8's builtins. The mutator count repeats within about 4% between runs of one build (Node 26: RED
// 55.3k, 55.9k and 57.7k in three runs, a context per request 53.8k and 55.9k), so a change of a
// few hundred instructions needs the per-function counts of the dumps, not the totals; the other
// two are shown but not compared. Counts are not cycles: a cache miss costs one instruction here,
// so a change that only moves memory about shows in bench/http.js and not here.
// V8 also tiers up far more slowly under valgrind: on Node 24, after 150 s of warm-up, the
// instrumentation's `_start` still ran as baseline code and `_record` in Maglev, where a native
// server has both in TurboFan within seconds, so a case's JavaScript counts with the inline-cache
// builtins unoptimised code calls. bench/http-profile.js samples native servers instead.
//
// The rate-limited case traces TRACE_RATE requests a second (default 5 here): under callgrind a
// server answers about 1,000 a second, so this keeps the share of sampled requests near what 100/s
// is natively. CONNECTIONS (default 1) is wrk's; with one connection every request is a full turn
// of the event loop, and the counts vary least.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasTaskset, requireTools, startServerProcess } from './http-server-process.js';

const SERVER = fileURLToPath(new URL('./http-server.js', import.meta.url));
const WARM = Number(process.env.WARM ?? 60);
const MEASURE = Number(process.env.MEASURE ?? 20);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 1);
const SERVER_NODE = process.env.SERVER_NODE ?? process.execPath;
const CASES = ['bare', ...(process.env.CASES ?? 'si-red,si-trace-rate').split(',').filter((c) => c !== 'bare')];
const PIN = hasTaskset();

requireTools('bench/http-callgrind.js', ['valgrind', 'callgrind_control', 'callgrind_annotate', 'wrk'], 'valgrind wrk');

/** Runs one case under callgrind; resolves with the path of its dump and the requests it covers. */
async function measure(which, dir) {
  const out = join(dir, 'callgrind.out');
  const argv = ['valgrind', '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${out}`, SERVER_NODE, SERVER, which];
  const { child, port, ask } = await startServerProcess(PIN ? 'taskset' : argv[0], PIN ? ['-c', '0', ...argv] : argv.slice(1), {
    name: `${which} under valgrind`,
    env: { ...process.env, TRACE_RATE: process.env.TRACE_RATE ?? '5' },
    stderr: 'ignore',
  });
  const load = (seconds) => {
    const args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, `http://127.0.0.1:${port}/`];
    execFileSync(PIN ? 'taskset' : 'wrk', PIN ? ['-c', '1', 'wrk', ...args] : args);
  };
  const control = (...args) => execFileSync('callgrind_control', [...args, String(child.pid)], { stdio: 'ignore' });
  try {
    load(WARM);
    control('-i', 'on');
    const before = await ask('stats');
    load(MEASURE);
    const after = await ask('stats');
    control('-i', 'off');
    control('-d');
    const dump = readdirSync(dir).find((f) => f.startsWith('callgrind.out.'));
    if (dump === undefined) throw new Error(`callgrind wrote no dump for ${which}`);
    return { dump: join(dir, dump), requests: after.served - before.served };
  } finally {
    child.kill('SIGKILL');
  }
}

const GC = /Scaveng|heap::|Heap::|IterateObjectCache|MarkCompact|Sweeper|cppgc|Marking|Evacuat|MemoryAllocator|PagedSpace|NewSpace|SemiSpace|MemoryChunk|GCTracer|IteratePointers|SizeFromMap|OnMoveEvent|RememberedSet|SlotSet/;
// V8's JavaScript parser, not node::http_parser::Parser (the HTTP parser is per-request work).
const COMPILER = /compiler::|maglev::|turboshaft|Turboshaft|Zone::|Assembler|RelocIterator|baseline::|interpreter::Bytecode|CodeGenerator|internal::Parser|internal::PreParser|internal::Scanner|ParserBase|Deoptimizer|OptimizingCompile/;

/** Instructions per request by kind, from a dump's per-function totals. */
function split(dump, requests) {
  const text = execFileSync('callgrind_annotate', ['--threshold=100', dump], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const kinds = { mutator: 0, gc: 0, compiler: 0 };
  for (const line of text.split('\n')) {
    const m = /^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$/.exec(line);
    if (m === null || m[2].includes('PROGRAM TOTALS')) continue;
    const ir = Number(m[1].replaceAll(',', '')) / requests;
    kinds[GC.test(m[2]) ? 'gc' : COMPILER.test(m[2]) ? 'compiler' : 'mutator'] += ir;
  }
  return kinds;
}

const serverNode = execFileSync(SERVER_NODE, ['--version'], { encoding: 'utf8' }).trim();
console.log(`# servers on node ${serverNode} under callgrind, wrk -t1 -c${CONNECTIONS}, ${WARM}s warm-up, ${MEASURE}s counted, ${new Date().toISOString()}`);
console.log(`${'case'.padEnd(24)} ${'requests'.padStart(8)}  ${'mutator Ir/req'.padStart(14)}  ${'over bare'.padStart(9)}  ${'gc'.padStart(6)}  ${'compiler'.padStart(8)}`);
let bare;
for (const which of CASES) {
  const dir = mkdtempSync(join(tmpdir(), 'si-callgrind-'));
  try {
    const { dump, requests } = await measure(which, dir);
    const k = split(dump, requests);
    bare ??= k.mutator;
    const over = k.mutator - bare;
    console.log(`${which.padEnd(24)} ${String(requests).padStart(8)}  ${k.mutator.toFixed(0).padStart(14)}  ${`${over >= 0 ? '+' : ''}${over.toFixed(0)}`.padStart(9)}  ${k.gc.toFixed(0).padStart(6)}  ${k.compiler.toFixed(0).padStart(8)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
