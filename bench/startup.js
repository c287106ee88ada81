// Startup cost of `node --import service-infrastructure/register`: wall time of `node -e 0`
// bare and under register with different instrumentation sets, interleaved over rounds, medians.
//
//   npm run build && node bench/startup.js        # ROUNDS=15 to change
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Number(process.env.ROUNDS ?? 15);
// Nothing is exported during the measurement: the OTLP endpoint is a closed local port and the
// mode is DIRECT (no exporters), so only loading and wiring are timed.
const base = { PATH: process.env.PATH ?? '', MONITORING_MODE: 'direct' };
const CASES = [
  ['bare', [], {}],
  ['register, none', ['--import', 'service-infrastructure/register'], { MONITORING_INSTRUMENTATIONS: 'none' }],
  ['register, http', ['--import', 'service-infrastructure/register'], { MONITORING_INSTRUMENTATIONS: 'http' }],
  ['register, http,pg,ioredis', ['--import', 'service-infrastructure/register'], { MONITORING_INSTRUMENTATIONS: 'http,pg,ioredis' }],
  ['register, all (auto-instrumentations-node)', ['--import', 'service-infrastructure/register'], { MONITORING_INSTRUMENTATIONS: 'all' }],
  ['OTel auto-instrumentations-node/register', ['--require', '@opentelemetry/auto-instrumentations-node/register'], { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' }],
];

const times = new Map(CASES.map(([name]) => [name, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (let i = 0; i < CASES.length; i++) {
    const [name, args, env] = CASES[(i + r) % CASES.length];
    const t = process.hrtime.bigint();
    const res = spawnSync(process.execPath, [...args, '-e', '0'], { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (res.status !== 0) throw new Error(`${name} failed: ${res.stderr}`);
    times.get(name).push(ms);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`# node ${process.version}, ${cpus().length} x ${cpus()[0]?.model}, ${ROUNDS} rounds, ${new Date().toISOString()}`);
const bare = median(times.get('bare'));
for (const [name] of CASES) {
  const m = median(times.get(name));
  console.log(`${name.padEnd(45)} ${m.toFixed(0).padStart(6)} ms  (+${(m - bare).toFixed(0)} ms)`);
}
