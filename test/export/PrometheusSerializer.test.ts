import { spawnSync } from 'node:child_process';
import { context, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCollector } from '../../src/collectors/MemoryCollector.js';
import { createMonitoring, type Monitoring } from '../../src/monitoring/createMonitoring.js';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import {
  PrometheusSerializer,
  escapeHelp,
  escapeLabelValue,
  formatValue,
  sanitizeName,
} from '../../src/export/PrometheusSerializer.js';
import { PrometheusEndpoint } from '../../src/export/PrometheusEndpoint.js';

/** Renders a standalone collector the one way there is: its cells as OTel data from `collect()`. */
async function render(collector: MemoryCollector, openMetrics = false): Promise<string> {
  const serializer = new PrometheusSerializer({ targetInfo: false });
  return serializer.serialize((await collector.collect()).resourceMetrics, openMetrics);
}

function promtool(text: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, output: (r.stdout + r.stderr).trim() };
}

let monitoring: Monitoring | undefined;
afterEach(async () => {
  await monitoring?.shutdown();
  monitoring = undefined;
});

describe('escaping and names', () => {
  it('escapes backslash, quote and newline in label values, and backslash and newline in help', () => {
    expect(escapeLabelValue('plain')).toBe('plain');
    expect(escapeLabelValue('a "b"\\c\nd')).toBe('a \\"b\\"\\\\c\\nd');
    expect(escapeHelp('say "hi"\\\nbye')).toBe('say "hi"\\\\\\nbye');
  });

  it('sanitizes names to snake_case Prometheus names', () => {
    expect(sanitizeName('http.server.duration')).toBe('http_server_duration');
    expect(sanitizeName('cacheHitRatio')).toBe('cache_hit_ratio');
    expect(sanitizeName('9lives')).toBe('_9lives');
    expect(sanitizeName('a..b--c')).toBe('a_b_c');
    expect(sanitizeName('ns:metric', false)).toBe('ns_metric');
  });

  it('formats special floats the way Prometheus parses them', () => {
    expect(formatValue(Infinity)).toBe('+Inf');
    expect(formatValue(-Infinity)).toBe('-Inf');
    expect(formatValue(NaN)).toBe('NaN');
    expect(formatValue(0.25)).toBe('0.25');
  });
});

describe('PrometheusSerializer', () => {
  it('renders counters with _total, gauges, and histograms with cumulative buckets, from cells both ways', async () => {
    const c = new MemoryCollector();
    c.declare('jobs_done', 'counter', { description: 'Jobs done.' });
    c.incrementCounter('jobs_done', { queue: 'a' }, 2);
    c.incrementCounter('jobs_done', { queue: 'a' });
    c.recordGauge('queue_depth', 7, { queue: 'a' });
    c.declare('job_duration_seconds', 'histogram', { buckets: [0.1, 1], description: 'Job duration.' });
    for (const v of [0.05, 0.5, 0.7, 3]) c.recordHistogram('job_duration_seconds', v);
    const viaStore = await render(c);
    // The endpoint takes the same route: a scrape is the serializer over collect().
    const scrape = await new PrometheusEndpoint(c, { host: '127.0.0.1', port: 0, targetInfo: false }).scrape();
    expect(scrape.body).toBe(viaStore);
    expect(viaStore).toContain('# HELP jobs_done_total Jobs done.\n# TYPE jobs_done_total counter\njobs_done_total{queue="a"} 3\n');
    expect(viaStore).toContain('# TYPE queue_depth gauge\nqueue_depth{queue="a"} 7\n');
    expect(viaStore).toContain(
      [
        '# HELP job_duration_seconds Job duration.',
        '# TYPE job_duration_seconds histogram',
        'job_duration_seconds_bucket{le="0.1"} 1',
        'job_duration_seconds_bucket{le="1"} 3',
        'job_duration_seconds_bucket{le="+Inf"} 4',
        'job_duration_seconds_sum 4.25',
        'job_duration_seconds_count 4',
      ].join('\n'),
    );
    await c.shutdown();
  });

  it('converts millisecond and megabyte metrics to base units, as promtool requires', async () => {
    const c = new MemoryCollector();
    c.declare('response_time_ms', 'histogram', { buckets: [5, 50] });
    c.recordHistogram('response_time_ms', 45.2);
    c.recordGauge('memory_usage_mb', 2);
    const meter = c.getMeter('lib');
    meter.createHistogram('http.client.duration', { unit: 'ms', advice: { explicitBucketBoundaries: [100] } }).record(250);
    meter.createUpDownCounter('pool.size', { unit: '{connection}' }).add(4);
    meter.createObservableGauge('cpu.utilization', { unit: '1' }).addCallback((r) => r.observe(0.5));
    const viaStore = await render(c);
    expect(viaStore).toContain('response_time_seconds_bucket{le="0.005"} 0\nresponse_time_seconds_bucket{le="0.05"} 1\n');
    expect(viaStore).toContain('response_time_seconds_sum 0.0452\n');
    expect(viaStore).toContain(`memory_usage_bytes ${2 * 1024 * 1024}\n`);
    expect(viaStore).toContain('http_client_duration_seconds_bucket{le="0.1"} 0\nhttp_client_duration_seconds_bucket{le="+Inf"} 1\nhttp_client_duration_seconds_sum 0.25\n');
    expect(viaStore).toContain('# TYPE pool_size gauge\npool_size 4\n');
    expect(viaStore).toContain('# TYPE cpu_utilization_ratio gauge\ncpu_utilization_ratio 0.5\n');
    const samples = viaStore.split('\n').filter((l) => !l.startsWith('#'));
    expect(samples.join('\n')).not.toMatch(/_ms\b|_mb\b/);
    expect(promtool(viaStore)).toEqual({ status: 0, output: '' });
    await c.shutdown();
  });

  it("renders a library's gauge named *.count (pg's db.client.connection.count) lint-clean: Prometheus reserves _count, _sum, _bucket for histograms", async () => {
    const c = new MemoryCollector();
    const meter = c.getMeter('@opentelemetry/instrumentation-pg');
    meter.createUpDownCounter('db.client.connection.count', { unit: '{connection}', description: 'connections' }).add(2, { 'db.client.connection.state': 'idle' });
    meter.createObservableGauge('queue.sum').addCallback((r) => r.observe(3));
    meter.createCounter('jobs.count').add(5);
    const text = await render(c);
    expect(text).toContain('# TYPE db_client_connection_count_value gauge\ndb_client_connection_count_value{db_client_connection_state="idle"} 2\n');
    expect(text).toContain('# TYPE queue_sum_value gauge\nqueue_sum_value 3\n');
    expect(text).toContain('jobs_count_total 5\n');
    expect(promtool(text)).toEqual({ status: 0, output: '' });
    await c.shutdown();
  });

  it('escapes label values that came from the application', async () => {
    const c = new MemoryCollector();
    c.incrementCounter('hits_total', { path: '/a"b\\c\nd' });
    const viaStore = await render(c);
    expect(viaStore).toContain('hits_total{path="/a\\"b\\\\c\\nd"} 1\n');
    expect(promtool(viaStore)).toEqual({ status: 0, output: '' });
    await c.shutdown();
  });

  it('keeps the first of two metrics that map to one name with different types, and says so once', async () => {
    const c = new MemoryCollector();
    c.recordGauge('thing', 1);
    c.getMeter('lib').createCounter('thing', {}).add(1); // -> thing_total, no clash
    c.getMeter('lib').createHistogram('thing', {}).record(1); // -> thing, clashes with the gauge
    const viaStore = await render(c);
    expect(viaStore.match(/# TYPE thing /g)).toHaveLength(1);
    expect(viaStore).toContain('# TYPE thing_total counter');
    expect(promtool(viaStore).status).toBe(0);
    await c.shutdown();
  });

  it("passes promtool check metrics on a monitoring setup's whole output, target_info included", async () => {
    monitoring = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'lint-me' }, { registerGlobal: false });
    const c = monitoring.collector;
    c.incrementCounter('requests_total', { endpoint: '/api/v1' });
    c.recordGauge('memory_usage_mb', 256.5);
    c.recordHistogram('response_time_ms', 45.2);
    c.addUpDownCounter('in_flight', 2);
    monitoring.coordinator.measure('load', () => 1);
    monitoring.getMeter('lib').createCounter('http.server.requests', { unit: '{request}' }).add(1, { 'http.method': 'GET' });
    const serializer = new PrometheusSerializer();
    const { resourceMetrics } = await c.collect();
    const text = serializer.serialize(resourceMetrics, false);
    expect(text).toMatch(/^# HELP target_info .*\n# TYPE target_info gauge\ntarget_info\{.*service_name="lint-me".*telemetry_sdk_language="nodejs"/);
    expect(text).toContain('performance_phase_duration_seconds_count{phase="load"} 1');
    expect(promtool(text)).toEqual({ status: 0, output: '' });
  });

  it('writes OpenMetrics with exemplars of sampled phases, and no exemplars in the 0.0.4 text', async () => {
    monitoring = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'ex' }, { registerGlobal: false });
    let traceId = '';
    let spanId = '';
    monitoring.coordinator.measure('checkout', (phase) => {
      traceId = phase.traceId;
      spanId = phase.spanId;
      monitoring!.coordinator.recordOperation('db-query', 30); // inside the phase's span
    });
    const serializer = new PrometheusSerializer({ targetInfo: false });
    const c = monitoring.collector;
    c.incrementCounter('orders_total');
    const instruments = (await c.collect()).resourceMetrics;
    const om = serializer.serialize(instruments, true);
    expect(om.endsWith('# EOF\n')).toBe(true);
    const line = om.split('\n').find((l) => l.startsWith('performance_phase_duration_seconds_bucket') && l.includes(' # {'));
    expect(line).toMatch(
      // Which bucket the phase lands in depends on the machine's speed (12 ms seen on a loaded one).
      new RegExp(`^performance_phase_duration_seconds_bucket\\{phase="checkout",le="[0-9.]+"\\} 1 # \\{trace_id="${traceId}",span_id="${spanId}"\\} [0-9.e-]+ \\d+\\.\\d{3}$`),
    );
    expect(om).toContain(`performance_operation_duration_seconds_bucket{operation="db-query",le="0.05"} 1 # {trace_id="${traceId}",span_id="${spanId}"} 0.03 `);
    // The exemplar's timestamp is the phase span's end.
    const span = monitoring.spanStore.spans().find((sp) => sp.spanContext().spanId === spanId)!;
    expect(line!.split(' ').pop()).toBe(((span.endTime[0] * 1e3 + span.endTime[1] / 1e6) / 1000).toFixed(3));
    expect(om).toContain('# TYPE orders counter\norders_total 1\n'); // OpenMetrics family names drop _total
    const plain = serializer.serialize(instruments, false);
    expect(plain).not.toContain('trace_id');
    expect(plain).not.toContain('# EOF');
  });

  it('records no exemplar for a phase whose span was not sampled', async () => {
    monitoring = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'ex', tracesSampler: 'always_off' }, { registerGlobal: false });
    monitoring.coordinator.measure('quiet', () => 1);
    const serializer = new PrometheusSerializer({ targetInfo: false });
    const c = monitoring.collector;
    const om = serializer.serialize((await c.collect()).resourceMetrics, true);
    expect(om).toContain('performance_phase_duration_seconds_count{phase="quiet"} 1');
    expect(om).not.toContain('trace_id');
    expect(trace.getSpan(context.active())).toBeUndefined();
  });

  it('hands out the same bytes in chunks as in one piece', async () => {
    const c = new MemoryCollector({ maxCardinality: 5000 });
    for (let i = 0; i < 3000; i++) c.recordHistogram('latency_seconds', (i % 100) / 100, { route: `/r/${i}` });
    const serializer = new PrometheusSerializer({ chunkBytes: 4096 });
    const rm = (await c.collect()).resourceMetrics;
    const chunks = [...serializer.chunks(rm, false)];
    expect(chunks.length).toBeGreaterThan(100);
    for (const ch of chunks.slice(0, -1)) expect(ch.length).toBeLessThanOrEqual(4096);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(serializer.serialize(rm, false));
    await c.shutdown();
  });

  it('rejects a chunk size too small to be useful, naming the option', () => {
    expect(() => new PrometheusSerializer({ chunkBytes: 10 })).toThrow(/chunkBytes.*10/);
  });
});
