import { SpanStatusCode, TraceFlags, context, trace, type Attributes, type Span, type SpanContext, type Tracer, type TracerProvider } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { MonitoringMode } from '../config/MonitoringMode.js';
import { MonitoringSettings } from '../config/MonitoringSettings.js';
import type { BoundHistogram, CounterMetric, HistogramMetric } from '../collectors/handles.js';
import type { HistogramSummary, MemoryCollector } from '../collectors/MemoryCollector.js';
import { telemetryFor, type Telemetry } from '../export/telemetry.js';
import { once, withTimeout } from '../internal/timeout.js';
import type { RecentSpanStore } from '../tracing/RecentSpanStore.js';
import type {
  IPerformanceCoordinator,
  PerformanceRecord,
  PerformanceSnapshot,
  PhaseHandle,
  TimingStats,
} from './IPerformanceCoordinator.js';

export interface CoordinatorOptions {
  /** Defaults to `new MonitoringSettings({ mode })` for the coordinator's own mode. */
  settings?: MonitoringSettings;
  /** Where spans go. Without one the coordinator builds (and owns) providers from the settings. */
  tracerProvider?: TracerProvider;
  /** Where phase durations go. Required together with `tracerProvider`. */
  collector?: MemoryCollector;
  /** In-memory span store to read back in `recentSpans()`, when the caller built the providers. */
  spanStore?: RecentSpanStore;
}

/** Histogram of phase durations, label `phase`. */
export const PHASE_DURATION_METRIC = 'performance.phase.duration';
/** Counter of failed phases, label `phase`. */
export const PHASE_ERRORS_METRIC = 'performance.phase.errors';
/** Histogram of operation durations, label `operation`. */
export const OPERATION_DURATION_METRIC = 'performance.operation.duration';
/** Histogram of `recordMetric` values, label `metric`. */
export const METRIC_VALUE_METRIC = 'performance.metric.value';

/**
 * The instruments the coordinators record, by role (the seed's `performance_*` names on /metrics).
 *
 * @example
 * monitoring.collector.getHistogram(PERFORMANCE_METRICS.phaseDuration, { phase: 'charge-card' })?.p95;
 */
export const PERFORMANCE_METRICS = Object.freeze({
  phaseDuration: PHASE_DURATION_METRIC,
  phaseErrors: PHASE_ERRORS_METRIC,
  operationDuration: OPERATION_DURATION_METRIC,
  metricValue: METRIC_VALUE_METRIC,
} as const);

export class Phase implements PhaseHandle {
  /** True once `end()` or `fail()` ran. */
  ended = false;

  constructor(
    readonly name: string,
    readonly span: Span,
    /**
     * [start, duration] from performance.now(), only for spans that do not time themselves (not
     * recording): a recorded phase stores no number of its own, so creating one allocates no
     * heap number (the handle is the one allocation the coordinator adds to a span's).
     */
    readonly clock: Float64Array | null,
    private readonly _owner: DirectPerformanceCoordinator,
  ) {}

  /** The duration in ms once ended, else -1. */
  get durationMs(): number {
    if (!this.ended) return -1;
    if (this.clock !== null) return this.clock[1]!;
    const d = (this.span as unknown as ReadableSpan).duration;
    return d[0] * 1e3 + d[1] / 1e6;
  }

  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  get spanId(): string {
    return this.span.spanContext().spanId;
  }

  end(attributes?: Attributes): number {
    return this.ended ? this.durationMs : this._owner._endPhase(this, attributes, undefined);
  }

  fail(error: unknown, attributes?: Attributes): number {
    return this.ended ? this.durationMs : this._owner._endPhase(this, attributes, error ?? new Error('phase failed'));
  }

  run<T>(fn: () => T): T {
    return context.with(trace.setSpan(context.active(), this.span), fn);
  }
}

/**
 * The recent-records ring as columns: typed arrays for numbers and flags, plain arrays for names
 * and span contexts. Rewriting one long-lived record object per phase boxed two doubles and stored
 * two fresh id strings into an old-generation object (write barriers, promotions): measured
 * ~60 ns per phase (bench phase.direct). Here a phase costs two typed-array writes and two pointer
 * stores, and the ids are read from the kept span context only when `getSnapshot()` asks.
 */
class RecordRing {
  readonly durationMs: Float64Array;
  readonly timestamp: Float64Array;
  /** bit 0: operation (else phase); bit 1: error (else ok). */
  readonly flags: Uint8Array;
  readonly names: string[];
  readonly contexts: (SpanContext | undefined)[];
  next = 0;
  length = 0;

  constructor(readonly size: number) {
    this.durationMs = new Float64Array(size);
    this.timestamp = new Float64Array(size);
    this.flags = new Uint8Array(size);
    this.names = new Array<string>(size).fill('');
    this.contexts = new Array<SpanContext | undefined>(size).fill(undefined);
  }

  /** Durations (ms) of the records still held, by name, for phases (`kind` 0) or operations (1). */
  durationsByName(kind: 0 | 1): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (let i = 0; i < this.length; i++) {
      if ((this.flags[i]! & 1) !== kind) continue;
      const name = this.names[i]!;
      let list = out.get(name);
      if (list === undefined) out.set(name, (list = []));
      list.push(this.durationMs[i]!);
    }
    return out;
  }

  /** Oldest first, as frozen records. */
  records(): PerformanceRecord[] {
    const n = this.length;
    const start = n < this.size ? 0 : this.next;
    const out: PerformanceRecord[] = [];
    for (let k = 0; k < n; k++) {
      const i = (start + k) % this.size;
      const ctx = this.contexts[i];
      out.push(
        Object.freeze({
          kind: (this.flags[i]! & 1) !== 0 ? 'operation' : 'phase',
          name: this.names[i]!,
          durationMs: this.durationMs[i]!,
          timestamp: this.timestamp[i]!,
          status: (this.flags[i]! & 2) !== 0 ? 'error' : 'ok',
          traceId: ctx?.traceId,
          spanId: ctx?.spanId,
        }),
      );
    }
    return out;
  }
}

/**
 * The seed's `DirectPerformanceCoordinator`: in-memory performance tracking with immediate metric
 * availability. A phase is an OTel span (a child of the active span, so `measure` nests through
 * AsyncLocalStorage), its duration lands in the `performance_phase_duration_seconds` histogram,
 * and the last `maxSnapshots` records are kept in a ring for `getSnapshot()`.
 *
 * @example
 * const coordinator = new DirectPerformanceCoordinator();
 * await coordinator.measure('checkout', async () => {
 *   const phase = coordinator.startPhase('load-cart');
 *   await loadCart();
 *   phase.end();
 * });
 * coordinator.getSnapshot().phases['load-cart']?.p95Ms;
 */
export class DirectPerformanceCoordinator implements IPerformanceCoordinator {
  readonly mode: MonitoringMode = MonitoringMode.DIRECT;
  readonly settings: MonitoringSettings;
  readonly collector: MemoryCollector;
  protected readonly _tracer: Tracer;
  protected readonly _detailed: boolean;
  private readonly _telemetry: Telemetry | undefined;
  private readonly _spanStore: RecentSpanStore | undefined;
  private readonly _phases: HistogramMetric;
  private readonly _phaseErrors: CounterMetric;
  private readonly _operations: HistogramMetric;
  private readonly _metricValues: HistogramMetric;
  private readonly _phaseSeries = new Map<string, BoundHistogram>();
  /** One-entry cache in front of `_phaseSeries`: loops usually end the same phase name again. */
  private _lastPhaseName = '';
  private _lastPhaseSeries: BoundHistogram | undefined = undefined;
  private readonly _ring: RecordRing;
  private readonly _ringSize: number;
  private _closed = false;
  readonly shutdown: (timeoutMs?: number) => Promise<void>;

  constructor(options: CoordinatorOptions = {}) {
    this.settings = options.settings ?? new MonitoringSettings({ mode: this.defaultMode() });
    const providers = telemetryFor(this.settings, options);
    this._telemetry = providers.owned;
    this._tracer = providers.tracerProvider.getTracer('service-infrastructure', '0.1.0');
    this.collector = providers.collector;
    this._spanStore = providers.spanStore;
    this._detailed = this.settings.enableDetailedMetrics;
    this._ringSize = this._detailed ? this.settings.maxSnapshots : 0;
    this._ring = new RecordRing(this._ringSize);
    const collector = this.collector;
    // No DDSketch on the phase and operation histograms: their snapshot percentiles come from the
    // recent-records ring (the "bounded ring, with per-phase ... p50/p95/p99"), and a sketch
    // insert per phase measured ~2% of a span's cost (bench phase.direct).
    this._phases = collector.histogram(PHASE_DURATION_METRIC, { description: 'Duration of performance phases.', unit: 's', sketch: false });
    this._phaseErrors = collector.counter(PHASE_ERRORS_METRIC, { description: 'Performance phases that ended in error.', unit: '{error}' });
    this._operations = collector.histogram(OPERATION_DURATION_METRIC, { description: 'Duration of recorded operations.', unit: 's', sketch: false });
    this._metricValues = collector.histogram(METRIC_VALUE_METRIC, { description: 'Values passed to recordMetric, by metric.' });
    const shutdown = once(async (timeoutMs: number) => {
      this._closed = true;
      if (this._telemetry !== undefined) await this._telemetry.shutdown(timeoutMs);
    });
    this.shutdown = (timeoutMs = 10_000) => shutdown(timeoutMs);
  }

  /** The mode a default-constructed coordinator of this class runs in. */
  protected defaultMode(): MonitoringMode {
    return MonitoringMode.DIRECT;
  }

  startPhase(name: string, attributes?: Attributes): PhaseHandle {
    const span = this._tracer.startSpan(name, this._detailed && attributes !== undefined ? { attributes } : undefined);
    const timesItself = span.isRecording() && (span as unknown as ReadableSpan).startTime !== undefined;
    const phase = new Phase(name, span, timesItself ? null : Float64Array.of(performance.now(), -1), this);
    this._onPhaseStart(phase, attributes);
    return phase;
  }

  measure<T>(name: string, fn: (phase: PhaseHandle) => T, attributes?: Attributes): T {
    const phase = this.startPhase(name, attributes);
    let result: T;
    try {
      result = context.with(trace.setSpan(context.active(), phase.span), fn, undefined, phase);
    } catch (err) {
      phase.fail(err);
      throw err;
    }
    if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
      return (result as unknown as Promise<unknown>).then(
        (value) => {
          phase.end();
          return value;
        },
        (err: unknown) => {
          phase.fail(err);
          throw err;
        },
      ) as T;
    }
    phase.end();
    return result;
  }

  recordOperation(name: string, durationMs: number, attributes?: Attributes): void {
    if (!Number.isFinite(durationMs) || durationMs < 0) {
      this.collector.dropRecord('invalid_duration', `operation "${name}" got duration ${durationMs}`);
      return;
    }
    const series = this._operations.tryBind({ operation: name });
    if (series !== undefined) {
      const sc = trace.getSpanContext(context.active());
      if (sc !== undefined && (sc.traceFlags & TraceFlags.SAMPLED) !== 0) series.recordWithExemplar(durationMs / 1000, sc.traceId, sc.spanId);
      else series.record(durationMs / 1000);
    }
    if (this._ringSize > 0) this._remember(1, name, durationMs, Date.now(), undefined);
    this._onOperation(name, durationMs, attributes);
  }

  recordMetric(name: string, value: number, attributes?: Attributes): void {
    if (!Number.isFinite(value)) {
      this.collector.dropRecord('non_finite', `metric "${name}" got ${value}`);
      return;
    }
    this._metricValues.record(value, { metric: name });
    this._onMetric(name, value, attributes);
  }

  getSnapshot(): PerformanceSnapshot {
    const errors = new Map<string, number>();
    for (const s of this.collector.getSeries(PHASE_ERRORS_METRIC)) errors.set(String(s.labels['phase']), s.value ?? 0);
    return {
      timestamp: Date.now(),
      mode: this.mode,
      phases: statsOf(this.collector.getSeries(PHASE_DURATION_METRIC), 'phase', 1000, errors, this._ring.durationsByName(0)),
      operations: statsOf(this.collector.getSeries(OPERATION_DURATION_METRIC), 'operation', 1000, undefined, this._ring.durationsByName(1)),
      metrics: statsOf(this.collector.getSeries(METRIC_VALUE_METRIC), 'metric', 1, undefined, undefined),
      recent: this._recent(),
    };
  }

  /** Ended spans held in memory (the last `maxSnapshots`), when this coordinator has a span store. */
  recentSpans(): ReadableSpan[] {
    return this._spanStore?.spans() ?? [];
  }

  async forceFlush(timeoutMs = 10_000): Promise<void> {
    if (this._telemetry !== undefined && !this._closed) await withTimeout(this._telemetry.forceFlush(timeoutMs), timeoutMs, 'forceFlush');
  }

  /** @internal Ends a phase: span end, histogram, ring, hook. */
  _endPhase(phase: Phase, attributes: Attributes | undefined, error: unknown): number {
    const span = phase.span;
    if (error !== undefined) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    }
    if (attributes !== undefined && this._detailed) span.setAttributes(attributes);
    span.end();
    // The span timed itself: its duration and end time are read, not measured again. Its context
    // and end time are read once and shared by the exemplar and the ring.
    const readable = span as unknown as ReadableSpan;
    const duration = readable.duration;
    const clock = phase.clock;
    let ms: number;
    if (clock === null) ms = duration[0] * 1e3 + duration[1] / 1e6;
    else ms = clock[1] = performance.now() - clock[0]!;
    const end = clock === null ? readable.endTime : undefined;
    const endMs = end !== undefined ? end[0] * 1e3 + end[1] / 1e6 : Date.now();
    const sc = span.spanContext();
    phase.ended = true;
    let series = phase.name === this._lastPhaseName ? this._lastPhaseSeries : this._phaseSeries.get(phase.name);
    if (series === undefined) {
      series = this._phases.tryBind({ phase: phase.name });
      if (series !== undefined && this._phaseSeries.size < this.settings.maxCardinality) this._phaseSeries.set(phase.name, series);
    }
    if (series !== undefined) {
      this._lastPhaseName = phase.name;
      this._lastPhaseSeries = series;
      // Exemplar: a sampled phase links its duration bucket to its trace (OpenMetrics and OTLP).
      if ((sc.traceFlags & TraceFlags.SAMPLED) !== 0) series.recordWithExemplar(ms / 1000, sc.traceId, sc.spanId, endMs);
      else series.record(ms / 1000);
    }
    if (error !== undefined) this._phaseErrors.add(1, { phase: phase.name });
    if (this._ringSize > 0) this._remember(error === undefined ? 0 : 2, phase.name, ms, endMs, sc);
    this._onPhaseEnd(phase, ms, error, attributes);
    return ms;
  }

  /** Hooks for the event-driven subclass; no-ops here. */
  protected _onPhaseStart(_phase: Phase, _attributes: Attributes | undefined): void {}
  protected _onPhaseEnd(_phase: Phase, _durationMs: number, _error: unknown, _attributes: Attributes | undefined): void {}
  protected _onOperation(_name: string, _durationMs: number, _attributes: Attributes | undefined): void {}
  protected _onMetric(_name: string, _value: number, _attributes: Attributes | undefined): void {}

  /** `flags`: bit 0 operation, bit 1 error. `ctx` undefined: the active span's, if any. */
  private _remember(flags: number, name: string, ms: number, timestampMs: number, ctx: SpanContext | undefined): void {
    const ring = this._ring;
    const i = ring.next;
    ring.timestamp[i] = timestampMs;
    ring.durationMs[i] = ms;
    ring.flags[i] = flags;
    ring.names[i] = name;
    ring.contexts[i] = ctx ?? trace.getSpanContext(context.active());
    ring.next = i + 1 === ring.size ? 0 : i + 1;
    if (ring.length < ring.size) ring.length++;
  }

  private _recent(): PerformanceRecord[] {
    return this._ring.records();
  }

}

function statsOf(
  series: readonly { labels: Attributes; histogram?: HistogramSummary }[],
  label: string,
  scale: number,
  errors: Map<string, number> | undefined,
  recent: Map<string, number[]> | undefined,
): Record<string, TimingStats> {
  const out: Record<string, TimingStats> = {};
  for (const { labels, histogram: s } of series) {
    if (s === undefined || s.count === 0) continue;
    const name = String(labels[label] ?? 'overflow');
    const window = recent?.get(name);
    let percentiles: { p50Ms: number; p95Ms: number; p99Ms: number } | undefined;
    if (window !== undefined && window.length > 0) {
      window.sort((a, b) => a - b);
      percentiles = { p50Ms: nearestRank(window, 0.5), p95Ms: nearestRank(window, 0.95), p99Ms: nearestRank(window, 0.99) };
    } else if (s.relativeError !== undefined) {
      percentiles = { p50Ms: s.p50 * scale, p95Ms: s.p95 * scale, p99Ms: s.p99 * scale };
    }
    out[name] = {
      count: s.count,
      errors: errors?.get(name) ?? 0,
      totalMs: s.sum * scale,
      minMs: s.min * scale,
      maxMs: s.max * scale,
      meanMs: (s.sum / s.count) * scale,
      ...percentiles,
    };
  }
  return out;
}

/** The q-quantile of sorted values by the nearest-rank rule (an observed value, no interpolation). */
function nearestRank(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
