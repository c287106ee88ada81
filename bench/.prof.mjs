import { CASES } from './cases.js';
const spec = CASES.find((c) => c.id === process.argv[2]);
const run = await spec.setup();
const end = performance.now() + 4000;
while (performance.now() < end) { run(20000); await new Promise((r) => setImmediate(r)); }
process.exit(0);
