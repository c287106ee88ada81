import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import { AggregationTemporality, DataPointType, type MetricData } from '@opentelemetry/sdk-metrics';
import { SeriesIndex, type MetricStore, type StoreInstrument } from './MetricStore.js';

/** The advanced instrument kinds the store holds beside counters, gauges and histograms. */
export type InstrumentKind = 'exponential_histogram' | 'summary' | 'reservoir' | 'hyperloglog';

/**
 * The label sets of one advanced instrument, with the same bounded label index as the
 * plain metric families, a factory for new series and the function that exports them.
 */
export class InstrumentFamily<S extends { readonly attributes: Attributes; readonly startTime: HrTime }>
  extends SeriesIndex<S>
  implements StoreInstrument
{
  constructor(
    name: string,
    readonly kind: InstrumentKind,
    readonly description: string,
    readonly unit: string,
    store: MetricStore,
    private readonly _factory: (attributes: Attributes, startTime: HrTime) => S,
    private readonly _export: (family: InstrumentFamily<S>, now: HrTime) => MetricData[],
  ) {
    super(name, store);
  }

  protected _make(attributes: Attributes): S {
    return this._factory(attributes, hrTime());
  }

  metricData(now: HrTime): MetricData[] {
    return this.all().length === 0 ? [] : this._export(this, now);
  }

  /** @internal The store, for handles that count drops. */
  get store(): MetricStore {
    return this._store;
  }
}

/** @internal A gauge metric built from points, for exporting instrument read-outs. */
export function gaugeData(
  name: string,
  description: string,
  unit: string,
  points: { attributes: Attributes; startTime: HrTime; value: number }[],
  now: HrTime,
): MetricData {
  return {
    descriptor: { name, description, unit, valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.GAUGE,
    dataPoints: points.map((p) => ({ attributes: p.attributes, startTime: p.startTime, endTime: now, value: p.value })),
  };
}
