import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCollector } from '../../src/collectors/MemoryCollector.js';
import { MonitoringSettings } from '../../src/config/MonitoringSettings.js';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { ConfigurationError } from '../../src/errors/MonitoringError.js';
import { EventBus } from '../../src/events/EventBus.js';
import type { MonitoringEvent } from '../../src/events/types.js';
import { createPrometheusEndpoint } from '../../src/export/PrometheusEndpoint.js';
import { HttpHealthChecker } from '../../src/health/checkers/HttpHealthChecker.js';
import { createHealthHandler } from '../../src/health/createHealthHandler.js';
import { HealthCheckManager } from '../../src/health/HealthCheckManager.js';
import { resetReported } from '../../src/internal/report.js';
import { addRedactionPattern } from '../../src/internal/addRedactionPattern.js';
import { redactSecrets, resetRedactionPatterns } from '../../src/internal/redact.js';
import { createMonitoring } from '../../src/monitoring/createMonitoring.js';
import { summarizeRollup, createRollup, addValue } from '../../src/distributed/Rollup.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  resetRedactionPatterns();
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('defect 4: only finite numbers are recorded', () => {
  it('a string value never reaches a counter, gauge or histogram, by name or through a handle; each is counted', async () => {
    const m = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'values' }, { registerGlobal: false });
    closers.push(() => m.shutdown());
    const c = m.collector;
    c.incrementCounter('x_total', {}, '5' as never);
    c.incrementCounter('x_total', {});
    c.counter('y_total').add('5' as never);
    c.counter('y_total').bind({}).add('5' as never);
    c.counter('y_total').add(2);
    c.recordGauge('g', '7' as never);
    c.gauge('g').set('7' as never);
    c.gauge('g').bind({ a: 'b' }).set('7' as never);
    c.gauge('g').add('1' as never);
    c.recordHistogram('h', '3' as never);
    c.histogram('h').record('3' as never);
    c.histogram('h').bind({}).record('3' as never);
    c.addUpDownCounter('u', '2' as never);
    c.incrementCounter('x_total', {}, 10n as never);
    expect(c.getCounterValue('x_total')).toBe(1);
    expect(c.getCounterValue('y_total')).toBe(2);
    expect(c.getGaugeValue('g')).toBeUndefined();
    expect(c.getHistogram('h')).toBeUndefined();
    expect(c.droppedRecords()).toMatchObject({ not_a_number: 12 });
    const body = (await createPrometheusEndpoint(m, { port: 0 }).scrape()).body;
    expect(body).toMatch(/^x_total 1$/m);
    expect(body).toMatch(/^y_total 2$/m);
    expect(body).toMatch(/^service_infrastructure_records_dropped_total\{reason="not_a_number"\} 12$/m);
  });
});

describe('defect 9: sumCounter matches typed label values', () => {
  it('{ status: 200 } matches a series recorded with the number 200 and with the string "200"', () => {
    const c = new MemoryCollector();
    c.incrementCounter('req_total', { status: 200, route: '/a' }, 2);
    c.incrementCounter('req_total', { status: 200, route: '/b' }, 3);
    c.incrementCounter('req_total', { status: 500, route: '/a' }, 7);
    c.incrementCounter('flags_total', { ok: true }, 4);
    expect(c.sumCounter('req_total', { status: 200 })).toBe(5);
    expect(c.sumCounter('req_total', { status: '200' })).toBe(5);
    expect(c.sumCounter('req_total', { status: 500 })).toBe(7);
    expect(c.sumCounter('flags_total', { ok: true })).toBe(4);
    expect(c.sumCounter('req_total', { missing: 'x' })).toBe(0);
  });
});

describe('defect 10: labels', () => {
  it('a label value longer than 2048 characters is dropped and counted, never stored', () => {
    const c = new MemoryCollector();
    const huge = 'x'.repeat(1 << 20);
    for (let i = 0; i < 50; i++) c.incrementCounter('hostile_total', { v: huge + i });
    c.incrementCounter('hostile_total', { v: 'x'.repeat(2048) });
    expect(c.getSeries('hostile_total')).toHaveLength(1);
    expect(c.droppedRecords()).toMatchObject({ label_value_too_long: 50 });
  });

  it('label values with NUL and other control characters do not merge two different label sets', () => {
    const c = new MemoryCollector();
    c.incrementCounter('m_total', { a: 'x\u0001b\u0000y' }, 1);
    c.incrementCounter('m_total', { a: 'x', b: 'y' }, 10);
    const series = c.getSeries('m_total');
    expect(series).toHaveLength(2);
    expect(c.getCounterValue('m_total', { a: 'x\u0001b\u0000y' })).toBe(1);
    expect(c.getCounterValue('m_total', { a: 'x', b: 'y' })).toBe(10);
  });
});

describe('defect 10: percentiles', () => {
  it('p99 of {45.2, 100} is 100 (nearest rank) with a sketch, and so is the rollup p99', () => {
    const c = new MemoryCollector();
    c.recordHistogram('latency_ms', 45.2);
    c.recordHistogram('latency_ms', 100);
    const h = c.getHistogram('latency_ms')!;
    expect(h.p99).toBeCloseTo(100, 0);
    expect(h.p50).toBeCloseTo(45.2, 0);
    const r = createRollup();
    addValue(r, 45.2);
    addValue(r, 100);
    expect(summarizeRollup(r).p99).toBeCloseTo(100, 0);
    expect(summarizeRollup(r).p50).toBeCloseTo(45.2, 0);
  });
});

describe('defect 10: configuration', () => {
  it('OTEL_RESOURCE_ATTRIBUTES with a malformed escape is a ConfigurationError naming the variable', () => {
    let err: unknown;
    try {
      new MonitoringSettings({}, { OTEL_RESOURCE_ATTRIBUTES: 'a=%ZZ' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).option).toBe('OTEL_RESOURCE_ATTRIBUTES');
    expect((err as Error).message).toContain('"a=%ZZ"');
    expect(new MonitoringSettings({}, { OTEL_RESOURCE_ATTRIBUTES: 'team=a%2Cb' }).resourceAttributes).toEqual({ team: 'a,b' });
  });

  it('a health interval under 1 s is refused, from the environment and from options', () => {
    expect(() => new MonitoringSettings({}, { MONITORING_HEALTH_CHECK_INTERVAL: '1e-9' })).toThrow(/MONITORING_HEALTH_CHECK_INTERVAL: 1e-9 \(expected a number of seconds from 1/);
    expect(() => new HealthCheckManager({ intervalSeconds: 0.001 })).toThrow(ConfigurationError);
    expect(new MonitoringSettings({}, { MONITORING_HEALTH_CHECK_INTERVAL: '1' }).healthCheckInterval).toBe(1);
  });

  it('1e309 is shown as Infinity in the error, not null', () => {
    expect(() => new MonitoringSettings({}, { MONITORING_MAX_SNAPSHOTS: '1e309' })).toThrow(/Invalid MONITORING_MAX_SNAPSHOTS: Infinity \(/);
    expect(() => new MonitoringSettings({ tracesSamplerArg: NaN, tracesSampler: 'traceidratio' })).toThrow(/Invalid tracesSamplerArg: NaN/);
  });
});

describe('defect 10: /health with a malformed escape', () => {
  it('answers 400, not 503', async () => {
    const health = new HealthCheckManager({ background: false });
    health.registerCheck('ok', () => true);
    const { url } = await serve(createHealthHandler(health));
    const res = await fetch(`${url}/health/%E0%A4%A`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ status: 'fail', output: 'malformed percent-encoding in the path' });
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });
});

describe('defect 5: credentials are redacted wherever a reason leaves the process', () => {
  const SECRET = 'S3cretPw';
  const failing = (): never => {
    throw new Error(`ECONNREFUSED postgres://app:${SECRET}@db/orders`);
  };

  it('in health events, the /health body with details, and the log line', async () => {
    const logged: string[] = [];
    const logger: DiagLogger = {
      error: (m) => logged.push(m), warn: (m) => logged.push(m), info: (m) => logged.push(m), debug: (m) => logged.push(m), verbose: (m) => logged.push(m),
    };
    diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
    closers.push(async () => diag.disable());
    resetReported();
    const bus = new EventBus();
    const events: MonitoringEvent[] = [];
    bus.subscribe('health.*', (e) => {
      events.push(e);
    });
    const health = new HealthCheckManager({ background: false, events: bus });
    health.registerCheck('database', failing);
    health.registerCheck('details', () => ({ status: 'degraded', reason: 'slow', details: { dsn: `redis://:${SECRET}@cache:6379/0`, nested: { note: `password=${SECRET}` } } }), { critical: false });
    const { url } = await serve(createHealthHandler(health, { showDetails: true }));
    const body = await (await fetch(`${url}/health`)).text();
    expect(body).toContain('postgres://app:***@db/orders');
    expect(body).toContain('redis://:***@cache:6379/0');
    expect(body).not.toContain(SECRET);
    expect(JSON.stringify(events)).toContain('ECONNREFUSED postgres://app:***@db/orders');
    expect(JSON.stringify(events)).not.toContain(SECRET);
    expect(logged.join('\n')).toContain('postgres://app:***@db/orders');
    expect(logged.join('\n')).not.toContain(SECRET);
  });

  it('HttpHealthChecker sends URL credentials as Basic auth and never shows them', async () => {
    let seen: IncomingHttpHeaders | undefined;
    const { url } = await serve((req, res) => {
      seen = req.headers;
      res.statusCode = 500;
      res.end();
    });
    const withCreds = url.replace('http://', `http://ops:${SECRET}@`) + '/status';
    const health = new HealthCheckManager({ background: false });
    health.registerCheck('upstream', new HttpHealthChecker(withCreds));
    const report = await health.checkHealth();
    expect(seen?.authorization).toBe(`Basic ${Buffer.from(`ops:${SECRET}`).toString('base64')}`);
    expect(report.checks['upstream']!.reason).toBe(`${url}/status answered 500 Internal Server Error`);
    expect(JSON.stringify(report)).not.toContain(SECRET);
    expect(() => new HttpHealthChecker(`ftp://ops:${SECRET}@x/`)).toThrow(/ftp:\/\/ops:\*\*\*@x/);
  });

  it('redacts key=value secrets, auth headers and configured patterns', () => {
    expect(redactSecrets('connect failed: host=db password=hunter2 user=app')).toBe('connect failed: host=db password=*** user=app');
    expect(redactSecrets('GET /x?api_key=abc123&page=2')).toBe('GET /x?api_key=***&page=2');
    expect(redactSecrets('401 for Authorization: Bearer eyJhbGciOi.abc.def')).toBe('401 for Authorization: Bearer ***');
    expect(redactSecrets('amqp://guest:gu@st@broker:5672/')).toBe('amqp://guest:***@broker:5672/');
    expect(redactSecrets('ECONNREFUSED 127.0.0.1:6379')).toBe('ECONNREFUSED 127.0.0.1:6379');
    addRedactionPattern(/sk_live_[A-Za-z0-9]+/);
    expect(redactSecrets('charge failed with key sk_live_abcDEF123')).toBe('charge failed with key ***');
  });

  it('refuses a pattern that is not a RegExp, and more than 100, with a ConfigurationError naming the value', () => {
    expect(() => addRedactionPattern('sk_live_' as never)).toThrow(ConfigurationError);
    expect(() => addRedactionPattern('sk_live_' as never)).toThrow('Invalid addRedactionPattern pattern: "sk_live_" (expected a RegExp)');
    for (let i = 0; i < 100; i++) addRedactionPattern(new RegExp(`tok${i}_[a-z]+`));
    expect(() => addRedactionPattern(/one_too_many/)).toThrow('Invalid addRedactionPattern pattern: "/one_too_many/" (expected at most 100 redaction patterns in all)');
    expect(redactSecrets('tok99_abc')).toBe('***');
  });
});
