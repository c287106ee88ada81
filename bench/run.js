// The benchmark suite: every case in a fresh Node process, several rounds with the case order
// rotated each round (so background load hits every case alike), medians per case, ratios against
// each group's peer, then the heap-flat check. Writes bench/results/latest.json and latest.md.
//
// Usage: npm run bench            (builds first)
//        node bench/run.js [--rounds 5] [--only counter3,hist3] [--batch-ms 40]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CASES } from './cases.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const rounds = Number(opt('rounds', 5));
const batchMs = Number(opt('batch-ms', 40));
const only = opt('only', '').split(',').filter(Boolean);
const cases = only.length > 0 ? CASES.filter((c) => only.some((p) => c.id.startsWith(p))) : CASES;

/** Targets from the issues, checked against the medians: [case, peer or null, max ratio or ns]. */
const TARGETS = [
  { id: 'counter3.si.bound', ns: 10, text: 'bound counter add <= 10 ns' },
  { id: 'hist3.si.bound', ns: 30, text: 'bound histogram record <= 30 ns' },
  { id: 'counter3.si.bound.alerting', peer: 'counter3.si.bound', ratio: 1.1, text: 'bound counter with 100 alert rules loaded <= 1.1x without' },
  { id: 'counter3.si.declared', peer: 'counter3.otel', ratio: 0.2, text: 'unbound counter.add(1, labels) <= 1/5 of OTel' },
  { id: 'counter3.si.increment', peer: 'counter3.otel', ratio: 0.2, text: 'incrementCounter(name, labels) <= 1/5 of OTel' },
  { id: 'hist3.si.record', peer: 'hist3.otel', ratio: 0.2, text: 'recordHistogram(name, v, labels) <= 1/5 of OTel' },
  { id: 'phase.direct', peer: 'phase.otel', ratio: 1.15, text: 'direct phase <= 1.15x raw OTel span' },
  { id: 'phase.direct.lean', peer: 'phase.otel', ratio: 1.15, text: 'direct phase, detailed metrics off, <= 1.15x raw OTel span' },
  { id: 'phase.direct.mode', peer: 'phase.otel.mode', ratio: 1.15, text: 'direct phase <= 1.15x raw OTel span, on the DIRECT-mode provider' },
  { id: 'phase.noop', ns: 5, text: 'noop phase <= 5 ns' },
];

const started = Date.now();
const samples = new Map(cases.map((c) => [c.id, []]));
for (let r = 0; r < rounds; r++) {
  const order = cases.map((_, i) => cases[(i + r * 7) % cases.length]);
  for (const c of order) {
    const out = execFileSync(process.execPath, [join(here, 'case.js'), c.id, String(batchMs)], { encoding: 'utf8', timeout: 60_000 });
    const { ns } = JSON.parse(out.trim().split('\n').pop());
    samples.get(c.id).push(ns);
  }
  process.stderr.write(`round ${r + 1}/${rounds} done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const med = new Map([...samples].map(([id, xs]) => [id, median(xs)]));

const groups = [];
for (const c of cases) {
  let g = groups.find((x) => x.name === c.group);
  if (g === undefined) groups.push((g = { name: c.group, base: undefined, rows: [] }));
  if (c.base !== undefined) g.base = c.base;
  g.rows.push(c);
}

const fmtRatio = (r) => (r >= 0.1 ? `${r.toFixed(2)}x` : `1/${(1 / r).toFixed(0)}`);
const fmt = (ns) => (ns >= 100 ? ns.toFixed(0) : ns >= 10 ? ns.toFixed(1) : ns.toFixed(2));
const results = [];
const lines = [];
for (const g of groups) {
  const baseNs = g.base !== undefined ? med.get(g.base) : undefined;
  const baseLabel = g.base !== undefined ? cases.find((c) => c.id === g.base)?.label : undefined;
  lines.push(`\n${g.name}${baseLabel ? `  (ratio vs ${baseLabel})` : ''}`);
  for (const c of g.rows) {
    const ns = med.get(c.id);
    const ratio = baseNs !== undefined ? ns / baseNs : undefined;
    const spread = samples.get(c.id);
    results.push({ id: c.id, group: g.name, label: c.label, medianNs: ns, ratio, roundsNs: spread });
    lines.push(
      `  ${c.label.padEnd(48)} ${fmt(ns).padStart(9)} ns/op` +
        (ratio !== undefined ? `  ${fmtRatio(ratio).padStart(7)}` : '') +
        `   [${Math.min(...spread).toFixed(1)}..${Math.max(...spread).toFixed(1)}]`,
    );
  }
}

const targets = [];
for (const t of TARGETS) {
  const ns = med.get(t.id);
  if (ns === undefined) continue;
  if (t.ns !== undefined) targets.push({ ...t, value: `${fmt(ns)} ns`, met: ns <= t.ns });
  else {
    const peer = med.get(t.peer);
    if (peer === undefined) continue;
    const ratio = ns / peer;
    targets.push({ ...t, value: `${ratio.toFixed(3)}x`, met: ratio <= t.ratio });
  }
}

// Heap-flat check, in its own process with --expose-gc.
let heap = [];
if (only.length === 0 || only.includes('heap')) {
  const out = execFileSync(process.execPath, ['--expose-gc', join(here, 'heap-flat.js')], { encoding: 'utf8', timeout: 300_000 });
  heap = out.trim().split('\n').map((l) => JSON.parse(l));
}

const machine = {
  date: new Date().toISOString(),
  node: process.version,
  nproc: os.availableParallelism?.() ?? os.cpus().length,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  platform: `${os.platform()} ${os.release()}`,
  loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
  rounds,
  batchMs,
};

console.log(`service-infrastructure benchmarks — ${machine.date}, Node ${machine.node}, ${machine.nproc} CPUs (${machine.cpu}), load ${machine.loadavg.join(' ')}`);
console.log(`median ns/op over ${rounds} rounds, one fresh process per case per round; [min..max] of the round medians`);
for (const l of lines) console.log(l);
console.log('\ntargets');
for (const t of targets) console.log(`  ${t.met ? 'MET ' : 'MISS'} ${t.text}: ${t.value}`);
if (heap.length > 0) {
  console.log('\nheap-flat check (10 million calls per path)');
  for (const h of heap) console.log(`  ${h.path.padEnd(44)} retained ${String(h.heapRetainedBytes).padStart(9)} B   GCs during run ${h.gcsDuringRun}`);
}

mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'latest.json'), JSON.stringify({ machine, results, targets, heap }, null, 2) + '\n');
const md = [
  `# Benchmark results`,
  '',
  `${machine.date} · Node ${machine.node} · ${machine.nproc} CPUs (${machine.cpu}) · load average ${machine.loadavg.join(' ')} · ${rounds} rounds, one fresh process per case per round · \`npm run bench\``,
  '',
  '| group | case | median ns/op | vs peer | round medians min..max |',
  '|---|---|---:|---:|---:|',
  ...results.map(
    (r) =>
      `| ${r.group} | ${r.label} | ${fmt(r.medianNs)} | ${r.ratio === undefined ? '' : fmtRatio(r.ratio)} | ${Math.min(...r.roundsNs).toFixed(1)}..${Math.max(...r.roundsNs).toFixed(1)} |`,
  ),
  '',
  '| target | measured | |',
  '|---|---:|---|',
  ...targets.map((t) => `| ${t.text} | ${t.value} | ${t.met ? 'met' : 'missed'} |`),
  '',
  ...(heap.length > 0
    ? [
        '| heap-flat path (10M calls) | heap retained after GC | GCs during the run |',
        '|---|---:|---:|',
        ...heap.map((h) => `| ${h.path} | ${h.heapRetainedBytes} B | ${h.gcsDuringRun} |`),
        '',
      ]
    : []),
].join('\n');
writeFileSync(join(here, 'results', 'latest.md'), md);
console.log(`\nwrote bench/results/latest.json and latest.md in ${((Date.now() - started) / 1000).toFixed(0)} s`);
