import { afterEach, describe, expect, it } from 'vitest';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { MonitoringSettings } from '../../src/config/MonitoringSettings.js';
import { createMonitoring, type Monitoring } from '../../src/monitoring/createMonitoring.js';
import { OtlpReceiver } from '../helpers/otlpReceiver.js';

// OTel's exporter gives up on a batch after about 2 s here (its own retries end at the export
// timeout), so a receiver that is down for longer shows what the retry buffer adds.
const TIMEOUT_ENV = 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function receiver(): Promise<OtlpReceiver> {
  return OtlpReceiver.started(cleanups);
}

function monitoringTo(r: OtlpReceiver, serviceName: string, overrides: { exportBufferSpans?: number; exportBufferMaxAge?: number } = {}): Monitoring {
  const previous = process.env[TIMEOUT_ENV];
  process.env[TIMEOUT_ENV] = '2000';
  try {
    const m = createMonitoring(
      { mode: MonitoringMode.EVENT_DRIVEN, serviceName, otlpEndpoint: r.url, metricExportInterval: 60_000, ...overrides },
      { registerGlobal: false },
    );
    cleanups.push(() => m.shutdown(5000));
    return m;
  } finally {
    if (previous === undefined) delete process.env[TIMEOUT_ENV];
    else process.env[TIMEOUT_ENV] = previous;
  }
}

/** Exports OTel's exporter reported as failed (after its own retries), all error types. */
async function failedExports(m: Monitoring): Promise<number> {
  const metric = await m.collector.readMetric('otel.sdk.exporter.span.exported');
  return metric?.series.filter((s) => s.labels['error.type'] !== undefined).reduce((a, s) => a + (s.value ?? 0), 0) ?? 0;
}

async function waitUntil(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

function dropped(m: Monitoring, reason: string): number {
  return m.collector.sumCounter('service_infrastructure.records.dropped', { reason });
}

describe('OTLP span retry buffer', () => {
  it('delivers every span recorded while the receiver was down past OTel’s own retries, each exactly once', async () => {
    const r = await receiver();
    const port = r.port;
    const m = monitoringTo(r, 'retry-outage');
    await m.coordinator.measure('before', () => undefined);
    await m.forceFlush(5000);
    await r.waitFor('the first span', () => r.spans.some((s) => s.name === 'before'));

    await r.stop();
    const TOTAL = 1500;
    for (let i = 0; i < TOTAL; i++) m.coordinator.measure('during', () => i);
    // OTel's exporter ran out of retries for at least two batches: without the buffer these are lost.
    await waitUntil('two failed exports', async () => (await failedExports(m)) >= 2);
    for (let i = 0; i < 100; i++) m.coordinator.measure('late', () => i);
    expect(m.coordinator.measure('still-alive', () => 42)).toBe(42);

    await r.start(port);
    await r.waitFor('every span after the outage', () => r.spans.filter((s) => s.name !== 'before').length >= TOTAL + 101, 40_000);
    await m.forceFlush(10_000);

    const ids = r.spans.map((s) => s.spanId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(r.spans.filter((s) => s.name === 'during')).toHaveLength(TOTAL);
    expect(r.spans.filter((s) => s.name === 'late')).toHaveLength(100);
    expect(r.spans.filter((s) => s.name === 'still-alive')).toHaveLength(1);
    const processed = await m.collector.readMetric('otel.sdk.processor.span.processed');
    expect(processed?.series.filter((s) => s.labels['error.type'] === 'queue_full').reduce((a, s) => a + (s.value ?? 0), 0) ?? 0).toBe(0);
    expect(dropped(m, 'export_buffer_full') + dropped(m, 'export_expired')).toBe(0);
  }, 60_000);

  it('keeps at most exportBufferSpans, drops the oldest and counts them; the rest arrive once', async () => {
    const r = await receiver();
    const port = r.port;
    const m = monitoringTo(r, 'retry-bounded', { exportBufferSpans: 600 });
    await r.stop();
    const TOTAL = 2000;
    for (let i = 0; i < TOTAL; i++) m.coordinator.measure(`during-${i}`, () => i);
    await waitUntil('the buffer to overflow', async () => dropped(m, 'export_buffer_full') > 0 && (await failedExports(m)) >= 1);
    await waitUntil('every batch handed to the buffer', async () => {
      const q = await m.collector.readMetric('otel.sdk.processor.span.queue.size');
      return (q?.series[0]?.value ?? 1) === 0;
    });

    await r.start(port);
    await m.forceFlush(10_000);
    await r.waitFor('the buffered spans', () => r.spans.length > 0);
    const ids = r.spans.map((s) => s.spanId);
    expect(new Set(ids).size).toBe(ids.length);
    const full = dropped(m, 'export_buffer_full');
    // The buffer holds one 512-span batch besides the one being retried: the others were dropped
    // (and counted), and every span is either delivered or counted.
    expect(full).toBeGreaterThanOrEqual(TOTAL - 600 - 512);
    expect(r.spans.length).toBeLessThanOrEqual(600 + 512);
    expect(r.spans.length + full).toBe(TOTAL);
  }, 60_000);

  it('drops and counts batches older than exportBufferMaxAge', async () => {
    const r = await receiver();
    const port = r.port;
    const m = monitoringTo(r, 'retry-expired', { exportBufferMaxAge: 1000 });
    await r.stop();
    for (let i = 0; i < 10; i++) m.coordinator.measure('old', () => i);
    await waitUntil('the batch to expire', async () => dropped(m, 'export_expired') === 10);
    await r.start(port);
    await m.coordinator.measure('fresh', () => undefined);
    await m.forceFlush(10_000);
    await r.waitFor('the fresh span', () => r.spans.some((s) => s.name === 'fresh'));
    expect(r.spans.filter((s) => s.name === 'old')).toHaveLength(0);
  }, 60_000);

  it('validates its settings, naming the option or env var and the value', () => {
    expect(() => new MonitoringSettings({ exportBufferSpans: -1 }, {})).toThrow(/exportBufferSpans.*-1/);
    expect(() => new MonitoringSettings({ exportBufferMaxAge: 10 }, {})).toThrow(/exportBufferMaxAge.*10/);
    expect(() => new MonitoringSettings({}, { MONITORING_EXPORT_BUFFER_SPANS: 'lots' })).toThrow(/MONITORING_EXPORT_BUFFER_SPANS.*lots/);
    expect(() => new MonitoringSettings({}, { MONITORING_EXPORT_BUFFER_MAX_AGE_MS: '0.5' })).toThrow(/MONITORING_EXPORT_BUFFER_MAX_AGE_MS.*0\.5/);
    const s = new MonitoringSettings({}, { MONITORING_EXPORT_BUFFER_SPANS: '4096', MONITORING_EXPORT_BUFFER_MAX_AGE_MS: '30000' });
    expect([s.exportBufferSpans, s.exportBufferMaxAge]).toEqual([4096, 30_000]);
    expect(new MonitoringSettings({}, {}).exportBufferSpans).toBe(8192);
  });
});
