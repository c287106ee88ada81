import { describe, expect, it, vi } from 'vitest';
import { randomFillSync } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { createMonitoring } from '../../src/monitoring/createMonitoring.js';
import { PooledIdGenerator } from '../../src/tracing/PooledIdGenerator.js';

describe('PooledIdGenerator', () => {
  it('gives lower-case hex ids of 32 and 16 characters, all distinct, across many draws of random bytes', () => {
    const ids = new PooledIdGenerator();
    const traceIds = new Set<string>();
    const spanIds = new Set<string>();
    // 3,000 of each uses ~36 draws of 4 KiB, with trace and span ids interleaved in each.
    for (let i = 0; i < 3000; i++) {
      traceIds.add(ids.generateTraceId());
      spanIds.add(ids.generateSpanId());
    }
    expect(traceIds.size).toBe(3000);
    expect(spanIds.size).toBe(3000);
    for (const id of traceIds) expect(id).toMatch(/^[0-9a-f]{32}$/);
    for (const id of spanIds) expect(id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('never hands out an all-zero id: it draws again', () => {
    let draws = 0;
    // The first draw is all zeros (what a broken random source would give); later ones are random.
    const ids = new PooledIdGenerator((bytes) => {
      draws++;
      if (draws === 1) bytes.fill(0);
      else randomFillSync(bytes);
    });
    const trace = ids.generateTraceId();
    const span = ids.generateSpanId();
    expect(draws).toBe(2);
    expect(trace).toMatch(/^[0-9a-f]{32}$/);
    expect(trace).not.toBe('0'.repeat(32));
    expect(span).toMatch(/^[0-9a-f]{16}$/);
    expect(span).not.toBe('0'.repeat(16));
  });

  it('is what createMonitoring’s tracer provider makes its ids with', async () => {
    const traceIds = vi.spyOn(PooledIdGenerator.prototype, 'generateTraceId');
    const spanIds = vi.spyOn(PooledIdGenerator.prototype, 'generateSpanId');
    const monitoring = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'ids' });
    try {
      monitoring.getTracer().startSpan('root', { kind: SpanKind.SERVER }).end();
      const [span] = monitoring.spanStore.spans();
      expect(traceIds.mock.results.map((r) => r.value)).toEqual([span!.spanContext().traceId]);
      expect(spanIds.mock.results.map((r) => r.value)).toEqual([span!.spanContext().spanId]);
    } finally {
      traceIds.mockRestore();
      spanIds.mockRestore();
      await monitoring.shutdown();
    }
  });
});
