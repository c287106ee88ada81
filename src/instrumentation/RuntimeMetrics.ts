import { requireMethods, requireMilliseconds, requireObject } from '../internal/configCheck.js';
import { PerformanceObserver, constants as perfConstants, performance, type EventLoopUtilization, type PerformanceEntry } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { BatchObservableResult, Observable } from '@opentelemetry/api';
import type { MemoryCollector } from '../collectors/MemoryCollector.js';
import type { BoundHistogram, HistogramMetric } from '../collectors/handles.js';
import { reportOnce } from '../internal/report.js';

/** Histogram of event-loop delay samples, seconds. */
export const EVENT_LOOP_DELAY_METRIC = 'nodejs.eventloop.delay';
/** Gauge: share of time the event loop was busy since the previous read, 0..1. */
export const EVENT_LOOP_UTILIZATION_METRIC = 'nodejs.eventloop.utilization';
/** Histogram of GC pauses, seconds, by `v8js.gc.type` (major, minor, incremental, weakcb). */
export const GC_DURATION_METRIC = 'v8js.gc.duration';
/** Gauges of V8 heap spaces, bytes, by `v8js.heap.space.name`. */
export const HEAP_USED_METRIC = 'v8js.memory.heap.used';
export const HEAP_LIMIT_METRIC = 'v8js.memory.heap.limit';
export const HEAP_AVAILABLE_METRIC = 'v8js.memory.heap.space.available_size';
/** Gauge: live libuv handles and requests keeping the process alive, by `nodejs.resource.type`. */
export const ACTIVE_RESOURCES_METRIC = 'nodejs.active_resources';

/**
 * The instruments `RuntimeMetrics` records, by role (OTel semantic-convention names).
 *
 * @example
 * collector.getHistogram(RUNTIME_METRICS.eventLoopDelay)?.p99; // seconds
 */
export const RUNTIME_METRICS = Object.freeze({
  eventLoopDelay: EVENT_LOOP_DELAY_METRIC,
  eventLoopUtilization: EVENT_LOOP_UTILIZATION_METRIC,
  gcDuration: GC_DURATION_METRIC,
  heapUsed: HEAP_USED_METRIC,
  heapLimit: HEAP_LIMIT_METRIC,
  heapAvailable: HEAP_AVAILABLE_METRIC,
  activeResources: ACTIVE_RESOURCES_METRIC,
} as const);

/** Bucket bounds (seconds) for loop delay and GC pauses: 0.1 ms up to 5 s. */
export const RUNTIME_BUCKETS: readonly number[] = Object.freeze([
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
]);

export interface RuntimeMetricsOptions {
  /** Where the metrics go: histograms into its cells, gauges through its meter. */
  collector: MemoryCollector;
  /**
   * Milliseconds between event-loop delay samples. Each sample is how late a timer fired; a
   * blocked loop shows up as one large sample. Default 20, minimum 1.
   */
  sampleIntervalMs?: number;
}

const GC_KIND: Record<number, string> = {
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/**
 * Node runtime metrics: event-loop delay as a real histogram (buckets, count, sum, percentiles;
 * not just a mean), event-loop utilisation, GC pauses by kind, V8 heap spaces, and the active
 * handles/requests by type. Histograms land in the collector's cells; the gauges are OTel
 * observable instruments of the collector's meter, computed only when something reads metrics.
 * Everything shows up in `collector.read()` and in every exporter.
 *
 * @example
 * const runtime = new RuntimeMetrics({ collector: monitoring.collector }).start();
 * monitoring.collector.getHistogram('nodejs.eventloop.delay')?.p99; // seconds
 * runtime.stop();
 */
export class RuntimeMetrics {
  private readonly _collector: MemoryCollector;
  private readonly _interval: number;
  private readonly _delay: BoundHistogram;
  private readonly _gcFamily: HistogramMetric;
  private readonly _gcSeries = new Map<string, BoundHistogram | null>();
  private _timer: NodeJS.Timeout | undefined;
  private _lastTick = 0;
  private _observer: PerformanceObserver | undefined;
  private _elu: EventLoopUtilization | undefined;
  private _observables: Observable[] = [];
  private _batch: ((result: BatchObservableResult) => void) | undefined;

  constructor(options: RuntimeMetricsOptions) {
    requireObject('options', options, '{ collector, sampleIntervalMs? }');
    requireMethods('collector', options.collector, ['histogram', 'getMeter'], 'a MemoryCollector');
    const interval = options.sampleIntervalMs ?? 20;
    requireMilliseconds('sampleIntervalMs', interval, 1);
    this._collector = options.collector;
    this._interval = interval;
    this._delay = this._collector
      .histogram(EVENT_LOOP_DELAY_METRIC, { description: 'Event loop delay: how late a timer fired.', unit: 's', buckets: RUNTIME_BUCKETS })
      .bind();
    this._gcFamily = this._collector.histogram(GC_DURATION_METRIC, { description: 'Garbage collection pause duration.', unit: 's', buckets: RUNTIME_BUCKETS });
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this._timer !== undefined;
  }

  /** Starts sampling and registers the gauges. Calling it twice is harmless. */
  start(): this {
    if (this._timer !== undefined) return this;
    this._lastTick = performance.now();
    this._timer = setInterval(() => this._sample(), this._interval);
    this._timer.unref();

    this._observer = new PerformanceObserver((list) => this._onGc(list.getEntries()));
    this._observer.observe({ entryTypes: ['gc'] });

    this._elu = performance.eventLoopUtilization();
    const meter = this._collector.getMeter('service-infrastructure/runtime', '0.1.0');
    const elu = meter.createObservableGauge(EVENT_LOOP_UTILIZATION_METRIC, { description: 'Share of time the event loop was busy since the previous read.', unit: '1' });
    const heapUsed = meter.createObservableGauge(HEAP_USED_METRIC, { description: 'V8 heap space used.', unit: 'By' });
    const heapLimit = meter.createObservableGauge(HEAP_LIMIT_METRIC, { description: 'V8 heap space size.', unit: 'By' });
    const heapAvail = meter.createObservableGauge(HEAP_AVAILABLE_METRIC, { description: 'V8 heap space available.', unit: 'By' });
    const resources = meter.createObservableGauge(ACTIVE_RESOURCES_METRIC, { description: 'Active libuv handles and requests, by type.', unit: '{resource}' });
    this._observables = [elu, heapUsed, heapLimit, heapAvail, resources];
    this._batch = (result) => {
      try {
        const now = performance.eventLoopUtilization();
        result.observe(elu, performance.eventLoopUtilization(now, this._elu).utilization);
        this._elu = now;
        for (const space of v8.getHeapSpaceStatistics()) {
          const attrs = { 'v8js.heap.space.name': space.space_name };
          result.observe(heapUsed, space.space_used_size, attrs);
          result.observe(heapLimit, space.space_size, attrs);
          result.observe(heapAvail, space.space_available_size, attrs);
        }
        const counts = new Map<string, number>();
        for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
        for (const [type, n] of counts) result.observe(resources, n, { 'nodejs.resource.type': type });
      } catch (err) {
        reportOnce('runtime.observe', `runtime metrics could not be read: ${String(err)}`);
      }
    };
    meter.addBatchObservableCallback(this._batch, this._observables);
    return this;
  }

  /** Stops sampling and unregisters the gauges; what was recorded stays readable. */
  stop(): void {
    if (this._timer === undefined) return;
    clearInterval(this._timer);
    this._timer = undefined;
    this._observer?.disconnect();
    this._observer = undefined;
    if (this._batch !== undefined) {
      this._collector.getMeter('service-infrastructure/runtime', '0.1.0').removeBatchObservableCallback(this._batch, this._observables);
      this._batch = undefined;
    }
  }

  /** @internal Records one delay sample: how much later than scheduled this tick ran. */
  _sample(): void {
    const now = performance.now();
    const late = now - this._lastTick - this._interval;
    this._lastTick = now;
    this._delay.record(late > 0 ? late / 1000 : 0);
  }

  private _onGc(entries: PerformanceEntry[]): void {
    for (const entry of entries) {
      const kind = GC_KIND[(entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'other';
      let series = this._gcSeries.get(kind);
      if (series === undefined) {
        series = this._gcFamily.tryBind({ 'v8js.gc.type': kind }) ?? null;
        this._gcSeries.set(kind, series);
      }
      series?.record(entry.duration / 1000);
    }
  }
}
