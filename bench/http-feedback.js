// Whether a case changes the type feedback V8 collects in Node's own request path, compared with
// another case: each server is loaded by wrk for LOAD seconds with V8's inline-cache log on
// (`--log-ic`), and the inline caches of Node's functions are compared. Unlike bench/http.js and
// bench/http-profile.js this reads no clock: an inline cache's state either differs or it does
// not, however busy the machine is.
//
//   npm run build && node bench/http-feedback.js      # CASES=bare-dc,si-red LOAD=15
//   CASES=bare-dc,si-trace-rate SERVER_NODE=/path/to/node24 node bench/http-feedback.js
//
// Needs wrk. The reference case runs twice, then the other case once, each in a fresh process.
// Printed, for Node's functions only (`node:` URLs; the case's own code differs by design): the
// inline caches whose state (monomorphic 1, polymorphic P, megamorphic N) or number of maps
// differs from the reference's first run, first for its second run (the floor: what differs
// between two processes of the same case), then for the other case. A property access in Node's
// code that the case made polymorphic, say by adding a property to every socket after Node first
// saw it, costs a map check per access in optimised code and would show here. Inline caches that
// change after the load (when wrk closes its connections and the server reads the `done` on
// stdin) are left out: they are not the steady state the throughput benches measure.
//
// TurboFan's inlining decisions are not compared: traced with `--trace-turbo-inlining`, two
// servers of the same case differed in 16 of the 41 Node functions both compiled (Node 24), so a
// difference between cases says nothing.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { requireTools, startServerProcess } from './http-server-process.js';

const run = promisify(execFile);
const SERVER = fileURLToPath(new URL('./http-server.js', import.meta.url));
const SERVER_NODE = process.env.SERVER_NODE ?? process.execPath;
const CASES = (process.env.CASES ?? 'bare-dc,si-red').split(',');
const LOAD = Number(process.env.LOAD ?? 15);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);

if (CASES.length !== 2) throw new Error(`CASES must name two cases, the reference first, not ${JSON.stringify(process.env.CASES)}`);
requireTools('bench/http-feedback.js', ['wrk'], 'wrk');

/** Loads one case's server with V8's inline-cache log on; returns its inline caches. */
async function observe(which, dir) {
  const logfile = join(dir, `${which.replace(/[^\w-]/g, '_')}.log`);
  const flags = ['--log-ic', `--logfile=${logfile}`, '--no-logfile-per-isolate'];
  const server = await startServerProcess(SERVER_NODE, [...flags, SERVER, which], { name: `${which} server` });
  await run('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${LOAD}s`, `http://127.0.0.1:${server.port}/`]);
  const loadEnded = performance.now();
  const exited = new Promise((r) => server.child.on('close', r));
  const { served } = await server.ask('done');
  await exited; // the log is complete once the server has exited
  // The log's times are µs from the server's start, and its last timed entries come from the
  // server answering `done` and exiting, (now - loadEnded) after the load. wrk's connections close
  // as it exits, before its exit reaches this process, so a second more is cut to leave their
  // closing out.
  const afterLoadUs = (performance.now() - loadEnded + 1000) * 1000;
  return { served, ics: inlineCaches(readFileSync(logfile, 'utf8'), afterLoadUs) };
}

/**
 * The log's inline caches in Node's functions, by function, line and property: the highest state
 * reached and the maps seen, up to `cutUs` before the log's last timed entry (with these flags,
 * code creations and inline caches are the only entries with a time). Each one is put down to the
 * function whose code held its address when it was logged (the log is in time order).
 */
function inlineCaches(log, cutUs) {
  const code = [];
  const events = [];
  let last = 0;
  for (const line of log.split('\n')) {
    if (line.startsWith('code-creation,')) {
      // code-creation,<type>,<kind>,<time>,<address>,<size>,<name>,...
      const f = line.split(',');
      const start = parseInt(f[4], 16);
      addCode(code, { start, end: start + Number(f[5]), name: f[6] });
      last = Math.max(last, Number(f[3]));
    } else if (/^(Load|Store|KeyedLoad|KeyedStore|LoadGlobal|StoreGlobal|StoreInArrayLiteral)IC,/.test(line)) {
      // <type>IC,<pc>,<time>,<line>,<column>,<old state>,<new state>,<map>,<key>,<modifier>,<slow reason>
      const f = line.split(',');
      const pc = parseInt(f[1], 16);
      const fn = code[codeIndex(code, pc)];
      const time = Number(f[2]);
      last = Math.max(last, time);
      if (fn !== undefined && fn.start <= pc && / node:/.test(fn.name)) {
        events.push({ type: f[0], fn: fn.name, time, line: f[3], state: f[6], map: f[7], key: f.slice(8, -2).join(',') });
      }
    }
  }
  const byKey = new Map();
  const rank = { 0: 0, 1: 1, P: 2, N: 3 };
  for (const e of events) {
    if (e.time > last - cutUs) continue;
    // Symbols print with a hash that differs between processes.
    const key = `${e.type} ${e.fn} line ${e.line} ${e.key.replace(/ hash [0-9a-f]+/, '')}`;
    let ic = byKey.get(key);
    if (ic === undefined) byKey.set(key, (ic = { state: '0', maps: new Set() }));
    if ((rank[e.state] ?? 0) > rank[ic.state]) ic.state = e.state;
    if (!/^0x0+$/.test(e.map)) ic.maps.add(e.map);
  }
  return byKey;
}

/**
 * Adds new code to `code` (sorted by address, no two overlapping), in place of whatever was at its
 * addresses: V8 reuses the space of code it freed, and the log records no deletions.
 */
function addCode(code, entry) {
  const first = codeIndex(code, entry.start);
  let after = first;
  while (after < code.length && code[after].start < entry.end) after++;
  code.splice(first, after - first, entry);
}

/** The index of the first code in `code` that ends after `address` (code.length if none). */
function codeIndex(code, address) {
  let lo = 0;
  let hi = code.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (code[mid].end <= address) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const version = execFileSync(SERVER_NODE, ['--version'], { encoding: 'utf8' }).trim();
console.log(`# servers on node ${version}, one after the other, wrk -t1 -c${CONNECTIONS} for ${LOAD}s each, ${new Date().toISOString()}`);
const dir = mkdtempSync(join(tmpdir(), 'si-http-feedback-'));
try {
  const [A, B] = CASES;
  // The reference runs twice: what differs between two processes of the same case is the floor
  // that a difference between the cases has to stand out from.
  const a = await observe(A, dir);
  const again = await observe(A, dir);
  const b = await observe(B, dir);
  console.log(`${A}: ${a.served} requests, ${a.ics.size} inline caches in Node's code; ${A} again: ${again.served}, ${again.ics.size}; ${B}: ${b.served}, ${b.ics.size}`);
  const floor = new Set(differing(a.ics, again.ics));
  for (const [name, other] of [[`${A} again`, again], [B, b]]) {
    const keys = differing(a.ics, other.ics);
    console.log(`\ninline caches in Node's functions that differ, ${A} -> ${name} (${keys.length}):`);
    for (const k of keys) {
      const mark = other === b && floor.has(k) ? '  (differs between two reference runs too)' : '';
      console.log(`  ${describe(a.ics.get(k)).padEnd(14)} -> ${describe(other.ics.get(k)).padEnd(14)} ${k}${mark}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Keys of the inline caches both runs have whose state or number of maps differs. */
function differing(x, y) {
  // An inline cache only one run has is code the other never ran (a module only one case loads).
  return [...x.keys()].filter((k) => {
    const p = x.get(k);
    const q = y.get(k);
    return q !== undefined && (p.state !== q.state || p.maps.size !== q.maps.size);
  }).sort();
}

function describe(ic) {
  return `${ic.state} (${ic.maps.size} map${ic.maps.size === 1 ? '' : 's'})`;
}
