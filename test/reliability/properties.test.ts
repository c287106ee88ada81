import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCollector } from '../../src/collectors/MemoryCollector.js';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { MonitoringSettings, SETTINGS_ENV } from '../../src/config/MonitoringSettings.js';
import { decodeEntry, encodeEvent, WIRE_VERSION } from '../../src/distributed/wire.js';
import { ConfigurationError } from '../../src/errors/MonitoringError.js';
import { createPrometheusEndpoint } from '../../src/export/PrometheusEndpoint.js';
import { createHealthHandler } from '../../src/health/createHealthHandler.js';
import { HealthCheckManager } from '../../src/health/HealthCheckManager.js';
import { createMonitoring } from '../../src/monitoring/createMonitoring.js';

// Property tests: for generated input (fast-check, a fixed seed so a failure replays), the SDK
// never throws into the application, stays bounded, and what it writes parses back.
const SEED = 20261130;
const runs = (n: number) => ({ seed: SEED, numRuns: n });

/** Anything a caller could pass where a value or a label value is expected. */
const anything = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.bigInt(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant(NaN),
  fc.constant(Infinity),
  fc.object(),
  fc.array(fc.integer()),
);

describe('settings and environment parsing', () => {
  const envNames = Object.values(SETTINGS_ENV);
  it('any environment either gives valid settings or a ConfigurationError naming the variable and showing its value', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...envNames), fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.double().map(String), fc.constantFrom('1e309', '-0', 'NaN', '%ZZ', 'a=%E0%A4%A', '0x10', ' 5 '))), (env) => {
        try {
          const s = new MonitoringSettings({}, env);
          expect(s.healthCheckInterval).toBeGreaterThanOrEqual(1);
          expect(Number.isInteger(s.maxSnapshots)).toBe(true);
          expect(Object.isFrozen(s)).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigurationError);
          const option = (err as ConfigurationError).option;
          expect(envNames.some((n) => option === n || option.startsWith(`${n}.`)) || option in SETTINGS_ENV).toBe(true);
        }
      }),
      runs(300),
    );
  });

  it('any override either gives valid settings or a ConfigurationError, never another error', () => {
    const keys = Object.keys(SETTINGS_ENV);
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), anything), (overrides) => {
        try {
          new MonitoringSettings(overrides as never, {});
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigurationError);
          expect((err as Error).message).toMatch(/^Invalid /);
          // Non-finite numbers read as such, not as JSON's null.
          for (const v of Object.values(overrides)) if (typeof v === 'number' && !Number.isFinite(v) && (err as ConfigurationError).value === v) expect((err as Error).message).toContain(`: ${String(v)} (`);
        }
      }),
      runs(300),
    );
  });
});

describe('metric and label validation', () => {
  it('no record call throws for any name, labels or value; stored values are finite numbers; series stay bounded', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            kind: fc.constantFrom('counter', 'gauge', 'histogram', 'updown', 'handle'),
            name: fc.oneof(fc.constantFrom('a_total', 'b', 'c.d', 'e_seconds'), fc.string()),
            labels: fc.oneof(fc.constant(undefined), fc.dictionary(fc.oneof(fc.constantFrom('route', 'code'), fc.string()), anything)),
            value: anything,
          }),
          { maxLength: 60 },
        ),
        (records) => {
          const c = new MemoryCollector({ maxCardinality: 5 });
          for (const r of records) {
            const labels = r.labels as never;
            const value = r.value as never;
            if (r.kind === 'counter') c.incrementCounter(r.name, labels, value);
            else if (r.kind === 'gauge') c.recordGauge(r.name, value, labels);
            else if (r.kind === 'histogram') c.recordHistogram(r.name, value, labels);
            else if (r.kind === 'updown') c.addUpDownCounter(r.name, value, labels);
            else {
              try {
                c.counter(r.name).add(value, labels);
              } catch (err) {
                // Declaring is configuration: a bad name throws at declaration, never at record time.
                expect(err).toBeInstanceOf(ConfigurationError);
              }
            }
          }
          for (const name of c.metricNames()) {
            const series = c.getSeries(name);
            expect(series.length).toBeLessThanOrEqual(6);
            for (const s of series) {
              if (s.value !== undefined) expect(Number.isFinite(s.value)).toBe(true);
              if (s.histogram !== undefined) expect(Number.isFinite(s.histogram.sum)).toBe(true);
              for (const v of Object.values(s.labels)) expect(['string', 'number', 'boolean']).toContain(typeof v);
            }
          }
        },
      ),
      runs(300),
    );
  });
});

function promtool(text: string): string {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return r.stdout + r.stderr;
}

/** Unescapes a Prometheus text-format label value. */
function unescape(v: string): string {
  return v.replace(/\\(\\|"|n)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

describe('Prometheus text for arbitrary names, label values and values', () => {
  it('parses with promtool and gives every label value and value back', async () => {
    // Names the OTel-to-Prometheus rules keep as they are: lower case, no runs of '_', and an
    // ending ('x' and a digit) that no unit or type suffix rule touches.
    const metricName = fc.stringMatching(/^[a-z][a-z0-9]{0,10}(_[a-z0-9]{1,6}){0,2}x[0-9]$/);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.record({ name: metricName, value: fc.double({ noNaN: true, noDefaultInfinity: true }), label: fc.string({ unit: 'binary', maxLength: 40 }) }), { selector: (r) => r.name.toLowerCase(), minLength: 1, maxLength: 8 }),
        async (metrics) => {
          const m = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'prop' }, { registerGlobal: false });
          try {
            for (const x of metrics) m.collector.recordGauge(`g_${x.name}`, x.value, { v: x.label });
            const body = (await createPrometheusEndpoint(m, { port: 0 }).scrape()).body;
            const out = promtool(body);
            expect(out, body).not.toMatch(/error while linting|parsing error/);
            for (const x of metrics) {
              const line = body.split('\n').find((l) => l.startsWith(`g_${x.name}{`) || l.startsWith(`g_${x.name} `));
              expect(line, body).toBeDefined();
              // An empty label value is the same as no label in Prometheus' model.
              const match = /^[^{ ]+(?:\{v="((?:[^"\\]|\\.)*)"\})? (\S+)$/.exec(line!);
              expect(match, line).not.toBeNull();
              // Lone surrogates cannot travel in UTF-8; everything else comes back exactly.
              expect(unescape(match![1] ?? '')).toBe(Buffer.from(x.label, 'utf8').toString('utf8'));
              expect(Number(match![2]) === x.value, `${match![2]} vs ${x.value}`).toBe(true);
            }
          } finally {
            await m.shutdown();
          }
        },
      ),
      runs(40),
    );
  }, 120_000);
});

describe('Redis wire decoding', () => {
  it('decodeEntry never throws and classifies any field list', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom('v', 'd', WIRE_VERSION), fc.string(), fc.json(), anything), { maxLength: 8 }), (fields) => {
        const r = decodeEntry(fields);
        if (r.ok) expect(typeof r.value.id).toBe('string');
        else expect(['foreign', 'oversized', 'malformed']).toContain(r.reason);
      }),
      runs(1000),
    );
  });

  it('a JSON payload of any shape is decoded or refused as malformed, never misread', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const r = decodeEntry(['v', WIRE_VERSION, 'd', JSON.stringify(v)]);
        if (!r.ok) expect(r.reason).toBe('malformed');
      }),
      runs(1000),
    );
  });

  it('what encodeEvent writes, decodeEntry reads back unchanged', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 4 }),
        fc.integer({ min: 1, max: 2 ** 31 }),
        (name, value, attributes, seq) => {
          const event = { type: 'performance.metric.recorded' as const, name, value, timestamp: 1_700_000_000_000 + seq, attributes };
          const json = encodeEvent(event, 'svc', 'i-1', `i-1-${seq}`)!;
          const r = decodeEntry(['v', WIRE_VERSION, 'd', json]);
          expect(r.ok).toBe(true);
          if (r.ok) expect(r.value).toEqual({ id: `i-1-${seq}`, service: 'svc', instance: 'i-1', event: Object.is(value, -0) ? { ...event, value: 0 } : event });
        },
      ),
      runs(500),
    );
  });
});

describe('health JSON', () => {
  let server: Server;
  let url: string;
  let current: unknown[] = [];
  beforeAll(async () => {
    const health = new HealthCheckManager({ background: false });
    for (let i = 0; i < 3; i++) health.registerCheck(`c${i}`, () => current[i] as never, { cacheTtlMs: 0 });
    server = createServer(createHealthHandler(health, { showDetails: true }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('whatever checks return, /health answers valid JSON with 200 or 503 and a draft status', async () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    const result = fc.oneof(
      anything,
      fc.record({ status: fc.constantFrom('healthy', 'degraded', 'unhealthy', 'bogus'), reason: anything, details: fc.oneof(fc.object(), fc.constant(cyclic), fc.constant({ n: 10n })), observedValue: anything }),
    );
    await fc.assert(
      fc.asyncProperty(fc.tuple(result, result, result), async (results) => {
        current = results;
        const res = await fetch(url);
        expect([200, 503]).toContain(res.status);
        const body = JSON.parse(await res.text()) as { status: string };
        expect(['pass', 'warn', 'fail']).toContain(body.status);
        expect(body.status === 'fail').toBe(res.status === 503);
      }),
      runs(100),
    );
  }, 120_000);
});
