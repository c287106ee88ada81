import type { Attributes, Span } from '@opentelemetry/api';
import type { MonitoringMode } from '../config/MonitoringMode.js';
import { createToken } from '../registry/Token.js';

/** A running phase: an OTel span plus the bookkeeping to time it. */
export interface PhaseHandle {
  readonly name: string;
  /** The span's trace id (32 hex chars); all zeros from the noop coordinator. */
  readonly traceId: string;
  /** The span's id (16 hex chars). */
  readonly spanId: string;
  /** The OTel span behind the phase. */
  readonly span: Span;
  /** Ends the phase and returns its duration in ms. A second call changes nothing and returns the same duration. */
  end(attributes?: Attributes): number;
  /** Records `error` on the span, marks it failed, ends it; returns the duration in ms. */
  fail(error: unknown, attributes?: Attributes): number;
  /** Runs `fn` with this phase as the active span, so phases and spans started inside are its children. */
  run<T>(fn: () => T): T;
}

/** Statistics of one phase or operation name, in milliseconds. */
export interface TimingStats {
  readonly count: number;
  readonly errors: number;
  readonly totalMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly meanMs: number;
  /**
   * Percentiles (nearest rank) over this name's records still in the recent-records ring, i.e.
   * among the last `maxSnapshots` records; present when detailed metrics are enabled. For
   * `metrics` they come from a DDSketch over every value (1% relative error).
   */
  readonly p50Ms?: number;
  readonly p95Ms?: number;
  readonly p99Ms?: number;
}

/** One entry of the recent-records ring. */
export interface PerformanceRecord {
  readonly kind: 'phase' | 'operation';
  readonly name: string;
  readonly durationMs: number;
  /** Epoch ms when the record ended. */
  readonly timestamp: number;
  readonly status: 'ok' | 'error';
  readonly traceId: string | undefined;
  readonly spanId: string | undefined;
}

/** What `getSnapshot()` returns. */
export interface PerformanceSnapshot {
  readonly timestamp: number;
  readonly mode: MonitoringMode;
  readonly phases: Readonly<Record<string, TimingStats>>;
  readonly operations: Readonly<Record<string, TimingStats>>;
  /** Values passed to `recordMetric`, summarised (count, sum as totalMs, min, max, mean, percentiles). */
  readonly metrics: Readonly<Record<string, TimingStats>>;
  /** The last `maxSnapshots` phase/operation records, oldest first (empty without detailed metrics). */
  readonly recent: readonly PerformanceRecord[];
}

/**
 * The seed's performance coordinator: phases (spans), operations, metrics, snapshots. Implemented
 * by the direct, event-driven and noop coordinators, and by any `CUSTOM` one.
 */
export interface IPerformanceCoordinator {
  readonly mode: MonitoringMode;
  startPhase(name: string, attributes?: Attributes): PhaseHandle;
  /** Runs `fn` (sync or async) as a phase: a child span of the active one; errors are recorded and rethrown. */
  measure<T>(name: string, fn: (phase: PhaseHandle) => T, attributes?: Attributes): T;
  /** Records an operation that was timed elsewhere. */
  recordOperation(name: string, durationMs: number, attributes?: Attributes): void;
  /** Records a named value (a batch size, a queue depth) into a distribution. */
  recordMetric(name: string, value: number, attributes?: Attributes): void;
  getSnapshot(): PerformanceSnapshot;
  forceFlush(timeoutMs?: number): Promise<void>;
  shutdown(timeoutMs?: number): Promise<void>;
}

/** Registry token for `IPerformanceCoordinator`. */
export const IPerformanceCoordinator = createToken<IPerformanceCoordinator>('IPerformanceCoordinator');

/** The methods a `CUSTOM` coordinator must have. */
export const COORDINATOR_METHODS = Object.freeze([
  'startPhase',
  'measure',
  'recordOperation',
  'recordMetric',
  'getSnapshot',
  'forceFlush',
  'shutdown',
] as const);
