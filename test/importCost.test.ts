// The root import stays light: DIRECT mode loads no OTLP exporter (with protobuf and the OTLP
// transformer), no Redis client and no host-metrics; a mode that exports over OTLP loads them then.
// Module presence is deterministic, unlike import time (bench/import.js measures that).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt } from './helpers/build.js';

const HEAVY = ['@opentelemetry/exporter-', '@opentelemetry/otlp-', 'protobufjs', 'ioredis', '@opentelemetry/host-metrics', 'systeminformation', '@opentelemetry/auto-instrumentations-node'];

function loadedPackages(code: string): string[] {
  const script = `${code}
const { createRequire } = await import('node:module');
const names = new Set();
for (const file of Object.keys(createRequire(import.meta.url).cache)) {
  const m = file.match(/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\/(?!.*node_modules)/);
  if (m) names.add(m[1]);
}
console.log(JSON.stringify([...names].sort()));
process.exit(0);`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } });
  return JSON.parse(out.trim().split('\n').pop()!) as string[];
}

describe('import cost', () => {
  it('import + createMonitoring in DIRECT mode loads no exporter, Redis client or host-metrics', () => {
    ensureBuilt();
    const loaded = loadedPackages(`const m = await import('service-infrastructure'); m.createMonitoring({ mode: m.MonitoringMode.DIRECT }, { registerGlobal: false });`);
    expect(loaded).toContain('@opentelemetry/sdk-metrics');
    expect(loaded.filter((p) => HEAVY.some((h) => p.startsWith(h)))).toEqual([]);
  });

  it('EVENT_DRIVEN mode loads the OTLP exporters when it builds them', () => {
    ensureBuilt();
    const loaded = loadedPackages(
      `const m = await import('service-infrastructure'); const mon = m.createMonitoring({ mode: m.MonitoringMode.EVENT_DRIVEN, otlpEndpoint: 'http://127.0.0.1:9' }, { registerGlobal: false }); await mon.shutdown(100);`,
    );
    expect(loaded).toContain('@opentelemetry/exporter-trace-otlp-proto');
    expect(loaded).toContain('@opentelemetry/exporter-metrics-otlp-proto');
  });
});
