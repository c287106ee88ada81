// The root import stays light: DIRECT mode loads no OTLP exporter (with protobuf and the OTLP
// transformer), no Redis client, no host-metrics, no yaml (alerting's, in its own subpath) and no
// DDSketch package (loaded with the first sketch); each loads when something needs it.
// Module presence is deterministic, unlike import time (bench/import.js measures that).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt } from './helpers/build.js';

const HEAVY = [
  '@opentelemetry/exporter-',
  '@opentelemetry/otlp-',
  'protobufjs',
  'ioredis',
  '@opentelemetry/host-metrics',
  'systeminformation',
  '@opentelemetry/auto-instrumentations-node',
  'yaml',
  '@datadog/sketches-js',
];

function loadedPackages(code: string): string[] {
  const script = `${code}
const { createRequire } = await import('node:module');
const names = new Set();
for (const file of Object.keys(createRequire(import.meta.url).cache)) {
  const m = file.match(/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\/(?!.*node_modules)/);
  if (m) names.add(m[1]);
}
console.log(JSON.stringify([...names].sort()));`;
  return printedList(script);
}

/** Runs `script` as an ES module in a fresh Node process and parses the JSON list its last line prints. */
function printedList(script: string): string[] {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `${script}\nprocess.exit(0);`], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } });
  return JSON.parse(out.trim().split('\n').pop()!) as string[];
}

/** Node's own modules loaded by `code` that were not loaded before it ran (`process.moduleLoadList`). */
function loadedBuiltins(code: string): string[] {
  const script = `const before = new Set(process.moduleLoadList);
${code}
console.log(JSON.stringify(process.moduleLoadList.filter((m) => !before.has(m))));`;
  return printedList(script);
}

describe('import cost', () => {
  it('import + createMonitoring in DIRECT mode loads no exporter, Redis client, host-metrics, yaml or DDSketch', () => {
    ensureBuilt();
    const loaded = loadedPackages(`const m = await import('service-infrastructure'); m.createMonitoring({ mode: m.MonitoringMode.DIRECT }, { registerGlobal: false });`);
    expect(loaded).toContain('@opentelemetry/sdk-metrics');
    expect(loaded.filter((p) => HEAVY.some((h) => p.startsWith(h)))).toEqual([]);
  });

  it("import + createMonitoring in DIRECT mode loads neither undici nor the worker's modules", () => {
    // An ES-module import of node:http builds its namespace from every export, and on Node 22 and
    // later one of them (WebSocket) is a lazy getter that loads undici; node:util's load the
    // worker's modules. The package requires those built-ins instead (src/internal/builtins.ts).
    ensureBuilt();
    const loaded = loadedBuiltins(`const m = await import('service-infrastructure'); m.createMonitoring({ mode: m.MonitoringMode.DIRECT }, { registerGlobal: false });`);
    expect(loaded).toContain('NativeModule http');
    expect(loaded.filter((m) => /undici|webstreams|internal\/worker/.test(m))).toEqual([]);
  });

  it('EVENT_DRIVEN mode loads the OTLP exporters when it builds them', () => {
    ensureBuilt();
    const loaded = loadedPackages(
      `const m = await import('service-infrastructure'); const mon = m.createMonitoring({ mode: m.MonitoringMode.EVENT_DRIVEN, otlpEndpoint: 'http://127.0.0.1:9' }, { registerGlobal: false }); await mon.shutdown(100);`,
    );
    expect(loaded).toContain('@opentelemetry/exporter-trace-otlp-proto');
    expect(loaded).toContain('@opentelemetry/exporter-metrics-otlp-proto');
  });

  it('the DDSketch package loads with the first histogram series that keeps a sketch', () => {
    ensureBuilt();
    const before = loadedPackages(`const m = await import('service-infrastructure'); const c = new m.MemoryCollector(); c.incrementCounter('orders_total');`);
    expect(before).not.toContain('@datadog/sketches-js');
    const after = loadedPackages(`const m = await import('service-infrastructure'); const c = new m.MemoryCollector(); c.recordHistogram('latency_ms', 12); if (!(Math.abs(c.getHistogram('latency_ms').p99 - 12) <= 0.12)) throw new Error('no sketch percentile');`);
    expect(after).toContain('@datadog/sketches-js');
  });

  it('service-infrastructure/alerting loads yaml only to read a rule file', () => {
    ensureBuilt();
    expect(loadedPackages(`await import('service-infrastructure/alerting');`)).not.toContain('yaml');
    const dir = mkdtempSync(join(tmpdir(), 'si-rules-'));
    try {
      const file = join(dir, 'alerts.yaml');
      writeFileSync(file, 'rules:\n  - { kind: health, name: Down, severity: page }\n');
      const loaded = loadedPackages(
        `const a = await import('service-infrastructure/alerting'); if (a.loadAlertRules(${JSON.stringify(file)})[0].name !== 'Down') throw new Error('not parsed');`,
      );
      expect(loaded).toContain('yaml');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
