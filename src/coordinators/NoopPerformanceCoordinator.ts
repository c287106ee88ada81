import { INVALID_SPAN_CONTEXT, trace, type Attributes, type Span } from '@opentelemetry/api';
import { MonitoringMode } from '../config/MonitoringMode.js';
import type { IPerformanceCoordinator, PerformanceSnapshot, PhaseHandle } from './IPerformanceCoordinator.js';

const NOOP_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** The one handle every noop phase returns: no allocation per call. */
const NOOP_PHASE: PhaseHandle = Object.freeze({
  name: 'noop',
  traceId: INVALID_SPAN_CONTEXT.traceId,
  spanId: INVALID_SPAN_CONTEXT.spanId,
  span: NOOP_SPAN,
  end: (_attributes?: Attributes): number => 0,
  fail: (_error: unknown, _attributes?: Attributes): number => 0,
  run: <T>(fn: () => T): T => fn(),
});

const EMPTY_SNAPSHOT: PerformanceSnapshot = Object.freeze({
  timestamp: 0,
  mode: MonitoringMode.DISABLED,
  phases: Object.freeze({}),
  operations: Object.freeze({}),
  metrics: Object.freeze({}),
  recent: Object.freeze([]),
});

/**
 * The seed's `NoopPerformanceCoordinator` for `DISABLED` mode: the same interface, nothing
 * recorded, nothing allocated per call. `measure` still runs the function and returns its result.
 *
 * @example
 * const coordinator = new NoopPerformanceCoordinator();
 * coordinator.startPhase('anything').end(); // costs a couple of nanoseconds
 */
export class NoopPerformanceCoordinator implements IPerformanceCoordinator {
  readonly mode: MonitoringMode = MonitoringMode.DISABLED;

  startPhase(_name: string, _attributes?: Attributes): PhaseHandle {
    return NOOP_PHASE;
  }

  measure<T>(_name: string, fn: (phase: PhaseHandle) => T, _attributes?: Attributes): T {
    return fn(NOOP_PHASE);
  }

  recordOperation(_name: string, _durationMs: number, _attributes?: Attributes): void {}

  recordMetric(_name: string, _value: number, _attributes?: Attributes): void {}

  getSnapshot(): PerformanceSnapshot {
    return EMPTY_SNAPSHOT;
  }

  async forceFlush(_timeoutMs?: number): Promise<void> {}

  async shutdown(_timeoutMs?: number): Promise<void> {}
}
