// Cost of importing the package, beside the peers a user would otherwise reach for: wall and CPU time of
// `await import(x)` in a fresh process (and, for this package, of createMonitoring in DIRECT mode
// too), CommonJS modules loaded (require.cache), ES modules loaded (a resolve hook counts them),
// Node's own modules loaded (process.moduleLoadList), and the installed size of each package's
// production dependency closure. Medians over rounds, cases interleaved.
//
//   npm run build && node bench/import.js [rounds=11]
//   BASELINE=/path/to/another/checkout node bench/import.js   also times that checkout's build (A/B in one run)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OTEL_FLOOR } from './otel-floor.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Number(process.argv[2] ?? 11);
const BASELINE = process.env.BASELINE;
const OURS = [
  ['service-infrastructure (import)', `await import('service-infrastructure');`],
  ['service-infrastructure + createMonitoring(DIRECT)', `const m = await import('service-infrastructure'); m.createMonitoring({ mode: m.MonitoringMode.DIRECT }, { registerGlobal: false });`],
];
const CASES = [
  ...OURS.map(([n, c]) => [n, c, ROOT]),
  ...(BASELINE ? OURS.map(([n, c]) => [`baseline: ${n}`, c, BASELINE]) : []),
  // The floor: the OTel packages DIRECT mode runs on (the collector is a MetricReader, phases are
  // spans), imported on their own.
  ['OTel packages DIRECT mode needs (import)', `await Promise.all(${JSON.stringify(OTEL_FLOOR)}.map((p) => import(p)));`, ROOT],
  ['@opentelemetry/sdk-node (import)', `await import('@opentelemetry/sdk-node');`, ROOT],
  ['prom-client (import)', `await import('prom-client');`, ROOT],
];
// The ES module count comes from a separate run with a resolve hook, so the hook costs no time above.
const HOOK = `data:text/javascript,${encodeURIComponent(`
import { register } from 'node:module';
globalThis.__esm = new Set();
const { port1, port2 } = new MessageChannel();
port1.on('message', (u) => globalThis.__esm.add(u)); port1.unref();
register('data:text/javascript,' + encodeURIComponent(\`let p; export function initialize(d) { p = d.port; }
export async function resolve(s, c, next) { const r = await next(s, c); if (r.format === 'module' && r.url.startsWith('file:')) p.postMessage(r.url); return r; }\`), { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });
`)}`;

function run(code, hook, cwd) {
  const script = `const n0 = process.moduleLoadList.length; const c0 = process.cpuUsage(); const t0 = performance.now(); ${code} const ms = performance.now() - t0; const c = process.cpuUsage(c0); const cpu = (c.user + c.system) / 1000;
const builtins = process.moduleLoadList.slice(n0).filter((m) => m.startsWith('NativeModule ')).length;
await new Promise((r) => setTimeout(r, 20));
const { createRequire } = await import('node:module');
const cjs = Object.keys(createRequire(import.meta.url).cache).length;
console.log(JSON.stringify({ ms, cpu, cjs, esm: globalThis.__esm ? globalThis.__esm.size : 0, builtins })); process.exit(0);`;
  const args = [...(hook ? ['--import', HOOK] : []), '--input-type=module', '-e', script];
  const res = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  if (res.status !== 0) throw new Error(`${code} failed: ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split('\n').pop());
}

/** Bytes on disk of packages and everything they depend on at run time, each package once. */
function closureBytes(names, root) {
  const seen = new Set();
  let bytes = 0;
  const visit = (pkg, from) => {
    let dir = from;
    let found;
    for (;;) {
      const cand = join(dir, 'node_modules', pkg);
      if (existsSync(join(cand, 'package.json'))) {
        found = cand;
        break;
      }
      if (dir === root || dirname(dir) === dir) break;
      dir = dirname(dir);
    }
    if (found === undefined || seen.has(found)) return;
    seen.add(found);
    bytes += dirBytes(found, true);
    const meta = JSON.parse(readFileSync(join(found, 'package.json'), 'utf8'));
    for (const dep of Object.keys(meta.dependencies ?? {})) visit(dep, found);
    for (const [dep, m] of Object.entries(meta.peerDependencies ?? {})) if (!meta.peerDependenciesMeta?.[dep]?.optional) visit(dep, found);
  };
  if (names[0] === 'service-infrastructure') {
    const meta = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    bytes += dirBytes(join(root, 'dist'), false);
    for (const dep of Object.keys(meta.dependencies ?? {})) visit(dep, root);
    for (const dep of Object.keys(meta.peerDependencies ?? {})) if (!meta.peerDependenciesMeta?.[dep]?.optional) visit(dep, root);
  } else for (const name of names) visit(name, root);
  return { bytes, packages: seen.size };
}

function dirBytes(dir, skipNested) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (skipNested && entry.name === 'node_modules') continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) total += dirBytes(p, false);
    else if (entry.isFile()) total += statSync(p).size;
  }
  return total;
}

const samples = new Map(CASES.map(([n]) => [n, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (let i = 0; i < CASES.length; i++) {
    const [name, code, cwd] = CASES[(i + r) % CASES.length];
    samples.get(name).push(run(code, false, cwd));
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`# node ${process.version}, ${cpus().length} x ${cpus()[0]?.model}, ${ROUNDS} rounds, ${new Date().toISOString()}`);
console.log('case                                                           wall ms   CPU ms   CJS modules   ES modules   Node modules   install (prod closure)');
for (const [name, code, cwd] of CASES) {
  const xs = samples.get(name);
  const counted = run(code, true, cwd);
  const pkg = name.replace('baseline: ', '').split(' ')[0];
  const size = closureBytes(pkg === 'OTel' ? OTEL_FLOOR : [pkg], cwd);
  console.log(
    `${name.padEnd(62)} ${median(xs.map((x) => x.ms)).toFixed(0).padStart(7)} ${median(xs.map((x) => x.cpu)).toFixed(0).padStart(8)} ${String(median(xs.map((x) => x.cjs))).padStart(13)} ${String(counted.esm).padStart(12)} ${String(median(xs.map((x) => x.builtins))).padStart(14)}   ${(size.bytes / 1e6).toFixed(1)} MB in ${size.packages} packages`,
  );
}
