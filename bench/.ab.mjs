import { CASES } from './cases.js';
const a = await CASES.find((c) => c.id === 'phase.direct').setup();
const b = await CASES.find((c) => c.id === 'phase.otel').setup();
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) * 1000; };
const N = 100000; const ra = [], rb = [];
for (let i = 0; i < 3; i++) { a(N); b(N); await new Promise(r => setImmediate(r)); }
for (let r = 0; r < 31; r++) {
  let t = cpu(); a(N); ra.push((cpu() - t) / N); await new Promise(r => setImmediate(r));
  t = cpu(); b(N); rb.push((cpu() - t) / N); await new Promise(r => setImmediate(r));
}
const med = (x) => x.sort((p, q) => p - q)[x.length >> 1];
console.log(`direct ${med(ra).toFixed(0)} otel ${med(rb).toFixed(0)} ratio ${(med(ra) / med(rb)).toFixed(3)}`);
process.exit(0);
