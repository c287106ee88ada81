// Health-check benchmarks: run `npm run build && node bench/health.js`.
//
// 1. A cached `checkHealth()` read (what /health costs between background runs), next to a plain
//    `Promise.resolve(obj)` (the floor: checkHealth returns a promise) and to re-running 10 trivial
//    checks with Promise.all on every read (what a manager without a cache does).
// 2. 100 registered checks of 10 ms each: a fresh `checkHealth()` runs them concurrently and should
//    take about 10 ms, against the same checks awaited one after another (~1 s), as a sequential
//    registry does.
// 3. Collecting the three health gauges for 100 checks through MemoryCollector.read().
//
// The machine is shared and noisy: cases are interleaved, repeated, and medians are printed.
import os from 'node:os';
import { HealthCheckManager, MemoryCollector } from '../dist/index.js';

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function nsPerOp(fn, ops) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) await fn();
  return Number(process.hrtime.bigint() - t0) / ops;
}

// ---- 1. cached read -------------------------------------------------------------------------
const cachedManager = new HealthCheckManager({ background: false, intervalSeconds: 3600 });
const trivial = [];
for (let i = 0; i < 10; i++) {
  const check = async () => ({ status: 'healthy', observedValue: i });
  trivial.push(check);
  cachedManager.registerCheck(`check_${i}`, check);
}
await cachedManager.checkHealth();
const floorObj = { status: 'healthy' };
const cases1 = {
  'Promise.resolve(obj) (floor)': () => Promise.resolve(floorObj),
  'checkHealth() cached, 10 checks': () => cachedManager.checkHealth(),
  'Promise.all over 10 checks (no cache)': () => Promise.all(trivial.map((c) => c())),
};
const results1 = Object.fromEntries(Object.keys(cases1).map((k) => [k, []]));
const OPS = 200_000;
for (const fn of Object.values(cases1)) await nsPerOp(fn, 20_000); // warm-up
for (let r = 0; r < ROUNDS; r++) for (const [name, fn] of Object.entries(cases1)) results1[name].push(await nsPerOp(fn, OPS));

// ---- 2. 100 checks of 10 ms ----------------------------------------------------------------
const concurrentManager = new HealthCheckManager({ background: false });
const slowChecks = [];
for (let i = 0; i < 100; i++) {
  const check = async () => {
    await sleep(10);
    return true;
  };
  slowChecks.push(check);
  concurrentManager.registerCheck(`slow_${i}`, check, { timeoutMs: 1000 });
}
const results2 = { 'checkHealth({ fresh: true }), 100 x 10 ms': [], 'sequential await, 100 x 10 ms': [] };
let lastStatus;
for (let r = 0; r < Math.max(3, Math.ceil(ROUNDS / 2)); r++) {
  let t0 = performance.now();
  lastStatus = (await concurrentManager.checkHealth({ fresh: true })).status;
  results2['checkHealth({ fresh: true }), 100 x 10 ms'].push(performance.now() - t0);
  t0 = performance.now();
  for (const c of slowChecks) await c();
  results2['sequential await, 100 x 10 ms'].push(performance.now() - t0);
}

// ---- 3. gauge collection -------------------------------------------------------------------
const collector = new MemoryCollector();
const gaugeManager = new HealthCheckManager({ background: false, collector });
for (let i = 0; i < 100; i++) gaugeManager.registerCheck(`g_${i}`, () => true);
await gaugeManager.checkHealth();
const results3 = { 'collector.read() with 100 checks (300 points)': [] };
for (let r = 0; r < ROUNDS; r++) results3['collector.read() with 100 checks (300 points)'].push((await nsPerOp(() => collector.read(), 200)) / 1000);

// ---- report --------------------------------------------------------------------------------
console.log(`health bench  ${new Date().toISOString()}  node ${process.version}  ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}  rounds ${ROUNDS} (medians)`);
const floor = median(results1['Promise.resolve(obj) (floor)']);
for (const [name, xs] of Object.entries(results1)) console.log(`  ${name.padEnd(46)} ${fmt(median(xs)).padStart(9)} ns/op   x${fmt(median(xs) / floor)} floor`);
const conc = median(results2['checkHealth({ fresh: true }), 100 x 10 ms']);
for (const [name, xs] of Object.entries(results2)) console.log(`  ${name.padEnd(46)} ${fmt(median(xs)).padStart(9)} ms      x${fmt(median(xs) / conc)} concurrent`);
console.log(`    (status of the concurrent run: ${lastStatus})`);
for (const [name, xs] of Object.entries(results3)) console.log(`  ${name.padEnd(46)} ${fmt(median(xs)).padStart(9)} µs/read`);

await cachedManager.shutdown();
await concurrentManager.shutdown();
await gaugeManager.shutdown();
await collector.shutdown();
