import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { StandaloneDashboard } from '../../src/dashboard/StandaloneDashboard.js';
import { tempDirPerTest } from '../helpers/perTest.js';

function otlpJsonTrace(i: number, service = 'persisted-app'): Uint8Array {
  const traceId = (i + 1).toString(16).padStart(32, '0');
  const t = BigInt(Date.now()) * 1_000_000n;
  return Buffer.from(
    JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
          scopeSpans: [
            {
              scope: { name: 'test' },
              spans: [
                { traceId, spanId: '00000000000000a1', name: `root-${i}`, kind: 2, startTimeUnixNano: String(t), endTimeUnixNano: String(t + 5_000_000n), attributes: [{ key: 'padding', value: { stringValue: 'x'.repeat(200) } }] },
                { traceId, spanId: '00000000000000b2', parentSpanId: '00000000000000a1', name: 'child', kind: 1, startTimeUnixNano: String(t + 1_000_000n), endTimeUnixNano: String(t + 4_000_000n) },
              ],
            },
          ],
        },
      ],
    }),
  );
}

function otlpJsonCounter(value: number): Uint8Array {
  return Buffer.from(
    JSON.stringify({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'persisted-app' } }] },
          scopeMetrics: [{ metrics: [{ name: 'jobs_total', sum: { isMonotonic: true, aggregationTemporality: 2, dataPoints: [{ asInt: String(value), timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), attributes: [] }] } }] }],
        },
      ],
    }),
  );
}

describe('standalone dashboard persistence', () => {
  const dataDir = tempDirPerTest('dash-journal-');

  it('a restart keeps the traces and the metric history', async () => {
    const dir = dataDir();
    const first = new StandaloneDashboard({ port: 0, otlpPort: 0, dataDir: dir });
    first.ingest('traces', otlpJsonTrace(1), true);
    first.ingest('metrics', otlpJsonCounter(7), true);
    await first.shutdown();

    const second = new StandaloneDashboard({ port: 0, otlpPort: 0, dataDir: dir });
    try {
      const { ui } = await second.listen();
      const traces = (await (await fetch(`${ui}api/traces`)).json()) as { total: number; traces: { name: string; spans: number }[] };
      expect(traces.total).toBe(1);
      expect(traces.traces[0]).toMatchObject({ name: 'root-1', spans: 2 });
      const q = (await (await fetch(`${ui}api/query?metric=jobs_total&agg=sum`)).json()) as { series: { values: (number | null)[] }[] };
      expect(q.series[0]!.values.filter((v) => v !== null)).toEqual([7]);
    } finally {
      await second.shutdown();
    }
  });

  it('stays under its size cap and keeps the newest data', () => {
    const dir = dataDir();
    const max = 64 * 1024;
    const d = new StandaloneDashboard({ port: 0, otlpPort: 0, dataDir: dir, dataMaxBytes: max });
    for (let i = 0; i < 500; i++) d.ingest('traces', otlpJsonTrace(i), true);
    expect(d.journalBytes).toBeGreaterThan(max / 4);
    expect(d.journalBytes).toBeLessThanOrEqual(max);
    const again = new StandaloneDashboard({ port: 0, otlpPort: 0, dataDir: dir, dataMaxBytes: max });
    const names = again.stores.traces.search({ limit: 500 }).traces.map((t) => t.name);
    expect(names[0]).toBe('root-499');
    expect(names.length).toBeLessThan(500);
    expect(names).not.toContain('root-0');
  });

  it('refuses a bad cap at setup, naming the option', () => {
    expect(() => new StandaloneDashboard({ dataDir: tmpdir(), dataMaxBytes: 10 })).toThrow(/dashboard\.dataMaxBytes/);
  });
});
