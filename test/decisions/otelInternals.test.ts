// Each OTel-internals workaround (docs/decisions/) has a check here that fails loudly when an OTel
// upgrade changes what the workaround relies on, naming the decision note to revisit.
import { describe, expect, it } from 'vitest';
import { DataPointType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { exemplarsOf } from '../../src/collectors/exemplars.js';

class PlainReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

describe('OTel internals the SDK relies on', () => {
  it('001: OTel histogram points carry no exemplars of their own (else map ours onto theirs)', async () => {
    const reader = new PlainReader();
    const provider = new MeterProvider({ readers: [reader] });
    provider.getMeter('t').createHistogram('h').record(1, { a: 'b' });
    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics[0]!.metrics[0]!;
    expect(metric.dataPointType).toBe(DataPointType.HISTOGRAM);
    if (metric.dataPointType !== DataPointType.HISTOGRAM) return;
    const point = metric.dataPoints[0]!;
    expect(Object.keys(point).sort(), 'OTel data points changed shape: see docs/decisions/001-exemplars-on-data-points.md').toEqual([
      'attributes',
      'endTime',
      'startTime',
      'value',
    ]);
    expect(exemplarsOf(point)).toBeUndefined();
    await provider.shutdown();
  });
});
