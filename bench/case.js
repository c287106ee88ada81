// Runs one benchmark case in this (fresh) process and prints {"id", "ns", "wallNs"} as JSON.
// `ns` is CPU time per operation (process.cpuUsage: this process's user + system time, GC threads
// included): on a machine shared with other busy processes, wall time mostly measures their load,
// while CPU time stays close to what the operation costs. `wallNs` is reported beside it.
// Usage: node bench/case.js <case-id> [targetMsPerBatch]
import { setImmediate as tick } from 'node:timers/promises';
import { CASES } from './cases.js';

const id = process.argv[2];
const batchMs = Number(process.argv[3] ?? 40);
const spec = CASES.find((c) => c.id === id);
if (spec === undefined) {
  console.error(`unknown case ${id}`);
  process.exit(2);
}

const run = await spec.setup();

// Warm up until the optimising compiler has had its chance (~500 ms), yielding between batches so
// timers and span processors run as they would in a service.
let n = 1000;
const warmEnd = performance.now() + 500;
while (performance.now() < warmEnd) {
  const t0 = performance.now();
  run(n);
  const dt = performance.now() - t0;
  if (dt < batchMs / 4) n *= 2;
  await tick();
}
// Size batches to ~batchMs each, then take the median of 9 batches.
{
  const t0 = performance.now();
  run(n);
  const dt = Math.max(performance.now() - t0, 0.01);
  n = Math.max(1000, Math.round((n * batchMs) / dt));
}
const cpu = [];
const wall = [];
for (let b = 0; b < 9; b++) {
  await tick();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  run(n);
  const dt = Number(process.hrtime.bigint() - t0);
  const c1 = process.cpuUsage(c0);
  wall.push(dt / n);
  cpu.push(((c1.user + c1.system) * 1000) / n);
}
const mid = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
process.stdout.write(JSON.stringify({ id, ns: mid(cpu), wallNs: mid(wall), opsPerBatch: n }) + '\n');
process.exit(0);
