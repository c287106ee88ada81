import { requireArray, requireMethods, requireObject } from '../internal/configCheck.js';
import { statfs } from 'node:fs/promises';
import type { BatchObservableCallback, BatchObservableResult, Meter, MeterOptions, MeterProvider as ApiMeterProvider, MetricOptions, Observable } from '@opentelemetry/api';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { MemoryCollector } from '../collectors/MemoryCollector.js';
import { reportOnce } from '../internal/report.js';
import { lazyRequire } from '../internal/lazyRequire.js';

// host-metrics (and systeminformation behind it) load when metrics start, not on import.
const hostMetrics = lazyRequire<typeof import('@opentelemetry/host-metrics')>('@opentelemetry/host-metrics');

/** Gauge of file system bytes by `system.filesystem.mountpoint` and `system.filesystem.state` (used, free). */
export const FILESYSTEM_USAGE_METRIC = 'system.filesystem.usage';
/** Gauge: used share of each file system, 0..1. */
export const FILESYSTEM_UTILIZATION_METRIC = 'system.filesystem.utilization';

/**
 * The instruments `SystemMetrics` records itself (host-metrics' CPU, memory and network names are
 * OTel's `system.*` ones).
 *
 * @example
 * collector.getGaugeValue(SYSTEM_METRICS.filesystemUtilization, { 'system.filesystem.mountpoint': '/' });
 */
export const SYSTEM_METRICS = Object.freeze({ filesystemUsage: FILESYSTEM_USAGE_METRIC, filesystemUtilization: FILESYSTEM_UTILIZATION_METRIC } as const);

/**
 * Units of the semantic conventions for the host-metrics instruments that `@opentelemetry/host-metrics`
 * 0.39 creates without one (so OTLP carried no unit and Prometheus no `_bytes` / `_ratio`).
 */
const HOST_METRIC_UNITS: Readonly<Record<string, string>> = Object.freeze({
  'system.cpu.utilization': '1',
  'system.memory.usage': 'By',
  'system.memory.utilization': '1',
  'system.network.dropped': '{packet}',
  'system.network.errors': '{error}',
  'system.network.io': 'By',
  'process.cpu.utilization': '1',
  'process.memory.usage': 'By',
});

/** A meter that fills in a semconv unit where the caller gave none; everything else passes through. */
class UnitFillingMeter implements Meter {
  constructor(private readonly _meter: Meter) {}
  private _opts(name: string, options: MetricOptions | undefined): MetricOptions | undefined {
    const unit = HOST_METRIC_UNITS[name];
    return unit === undefined || options?.unit !== undefined ? options : { ...options, unit };
  }
  createGauge(name: string, options?: MetricOptions) {
    return this._meter.createGauge(name, this._opts(name, options));
  }
  createHistogram(name: string, options?: MetricOptions) {
    return this._meter.createHistogram(name, this._opts(name, options));
  }
  createCounter(name: string, options?: MetricOptions) {
    return this._meter.createCounter(name, this._opts(name, options));
  }
  createUpDownCounter(name: string, options?: MetricOptions) {
    return this._meter.createUpDownCounter(name, this._opts(name, options));
  }
  createObservableGauge(name: string, options?: MetricOptions) {
    return this._meter.createObservableGauge(name, this._opts(name, options));
  }
  createObservableCounter(name: string, options?: MetricOptions) {
    return this._meter.createObservableCounter(name, this._opts(name, options));
  }
  createObservableUpDownCounter(name: string, options?: MetricOptions) {
    return this._meter.createObservableUpDownCounter(name, this._opts(name, options));
  }
  addBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    this._meter.addBatchObservableCallback(callback, observables);
  }
  removeBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    this._meter.removeBatchObservableCallback(callback, observables);
  }
}

/** `provider`, with meters that fill in the units host-metrics leaves out. */
function withSemconvUnits(provider: ApiMeterProvider): ApiMeterProvider {
  return {
    getMeter: (name: string, version?: string, options?: MeterOptions) => new UnitFillingMeter(provider.getMeter(name, version, options)),
  };
}

export interface SystemMetricsOptions {
  /** Its meter receives the gauges; `collector.read()` shows them. */
  collector: MemoryCollector;
  /** The MeterProvider the collector reads (`monitoring.meterProvider`), for host-metrics. */
  meterProvider: MeterProvider;
  /** Paths whose file systems are reported. Under register: the `diskPaths` setting (env `MONITORING_DISK_PATHS`). Default `['/']`. */
  diskPaths?: readonly string[];
}

/**
 * Host metrics from the seed's list: CPU time and utilisation, memory, network I/O (all through
 * `@opentelemetry/host-metrics`, for the system and this process), plus disk usage per file system
 * from `fs.statfs`. All are observable: nothing runs until a reader collects.
 *
 * @example
 * new SystemMetrics({ collector: monitoring.collector, meterProvider: monitoring.meterProvider }).start();
 * (await monitoring.collector.readMetric('system.filesystem.usage'))?.series;
 */
export class SystemMetrics {
  private readonly _collector: MemoryCollector;
  private readonly _provider: MeterProvider;
  private readonly _paths: readonly string[];
  private _started = false;
  private _batch: ((result: BatchObservableResult) => Promise<void>) | undefined;
  private _observables: Observable[] = [];

  constructor(options: SystemMetricsOptions) {
    requireObject('options', options, '{ collector, meterProvider, diskPaths? }');
    requireMethods('collector', options.collector, ['getMeter'], 'a MemoryCollector');
    requireMethods('meterProvider', options.meterProvider, ['getMeter'], 'the MeterProvider the collector reads');
    const paths = options.diskPaths ?? ['/'];
    requireArray('diskPaths', paths, 'a non-empty array of paths', (p) => typeof p === 'string' && p !== '', 1);
    this._collector = options.collector;
    this._provider = options.meterProvider;
    this._paths = [...paths];
  }

  /** Registers the instruments. host-metrics has no way to unregister, so this is once per provider. */
  start(): this {
    if (this._started) return this;
    this._started = true;
    new (hostMetrics().HostMetrics)({ meterProvider: withSemconvUnits(this._provider), name: 'service-infrastructure/host' }).start();

    const meter = this._collector.getMeter('service-infrastructure/system', '0.1.0');
    const usage = meter.createObservableGauge(FILESYSTEM_USAGE_METRIC, { description: 'File system space by state.', unit: 'By' });
    const utilization = meter.createObservableGauge(FILESYSTEM_UTILIZATION_METRIC, { description: 'Used share of the file system.', unit: '1' });
    this._observables = [usage, utilization];
    this._batch = async (result) => {
      for (const path of this._paths) {
        try {
          const s = await statfs(path);
          const total = s.blocks * s.bsize;
          const free = s.bavail * s.bsize;
          // Blocks reserved for root count as used: that is what `df` shows a normal user.
          const used = total - s.bfree * s.bsize;
          result.observe(usage, used, { 'system.filesystem.mountpoint': path, 'system.filesystem.state': 'used' });
          result.observe(usage, free, { 'system.filesystem.mountpoint': path, 'system.filesystem.state': 'free' });
          if (used + free > 0) result.observe(utilization, used / (used + free), { 'system.filesystem.mountpoint': path });
        } catch (err) {
          reportOnce(`statfs:${path}`, `disk usage of ${path} could not be read: ${String(err)}`);
        }
      }
    };
    meter.addBatchObservableCallback(this._batch, this._observables);
    return this;
  }

  /** Stops reporting disk usage (host-metrics stops with its MeterProvider). */
  stop(): void {
    if (this._batch === undefined) return;
    this._collector.getMeter('service-infrastructure/system', '0.1.0').removeBatchObservableCallback(this._batch, this._observables);
    this._batch = undefined;
  }
}
