// Heap-flat check: 10 million calls on each recording path, heap measured after a full GC before
// and after. A path that allocated per call would grow (or churn) the heap; these must stay flat.
// Usage: node --expose-gc bench/heap-flat.js   (prints one JSON line per path)
import { PerformanceObserver } from 'node:perf_hooks';
import { setImmediate as tick } from 'node:timers/promises';
import { MemoryCollector } from '../dist/index.js';

// Garbage collections during a run: a path allocating even 16 bytes per call would need ~10
// young-generation collections per 10 million calls; an allocation-free one needs none.
let gcs = 0;
new PerformanceObserver((list) => {
  gcs += list.getEntries().length;
}).observe({ entryTypes: ['gc'] });

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(2);
}
const CALLS = 10_000_000;
const labels = { method: 'GET', route: '/users', status: '200' };
const c = new MemoryCollector();
const counter = c.counter('requests_total');
const boundCounter = counter.bind(labels);
const boundHistogram = c.histogram('latency_ms').bind(labels);
const boundExp = c.exponentialHistogram('latency_exp_ms').bind(labels);
const boundHll = c.hyperLogLog('unique_users').bind();
const ids = Array.from({ length: 1024 }, (_, i) => `user-${i}`);

const paths = {
  'bound counter .inc()': (n) => { for (let i = 0; i < n; i++) boundCounter.inc(); },
  'bound histogram .record()': (n) => { for (let i = 0; i < n; i++) boundHistogram.record((i & 1023) + 0.5); },
  'bound exponential histogram .record()': (n) => { for (let i = 0; i < n; i++) boundExp.record((i & 1023) + 0.5); },
  'bound HyperLogLog .add()': (n) => { for (let i = 0; i < n; i++) boundHll.add(ids[i & 1023]); },
  'counter.add(1, labels) (unbound)': (n) => { for (let i = 0; i < n; i++) counter.add(1, labels); },
  'incrementCounter(name, labels)': (n) => { for (let i = 0; i < n; i++) c.incrementCounter('requests_total', labels); },
  // Control: proves the check sees a path that allocates one small object per call.
  'control: one {...labels} copy per call': (n) => { let k = 0; for (let i = 0; i < n; i++) k += Object.keys({ ...labels, i }).length; return k; },
};

for (const [name, run] of Object.entries(paths)) {
  run(1_000_000); // warm up: series created, code optimised (interpreted code boxes doubles)
  globalThis.gc();
  globalThis.gc();
  await tick();
  await tick();
  const gcsBefore = gcs;
  const before = process.memoryUsage().heapUsed;
  run(CALLS);
  const grown = process.memoryUsage().heapUsed - before; // before any GC: counts garbage too
  await tick();
  await tick();
  const gcsDuring = gcs - gcsBefore;
  globalThis.gc();
  globalThis.gc();
  const retained = process.memoryUsage().heapUsed - before;
  process.stdout.write(JSON.stringify({ path: name, calls: CALLS, heapGrowthBeforeGcBytes: grown, heapRetainedBytes: retained, gcsDuringRun: gcsDuring }) + '\n');
}
