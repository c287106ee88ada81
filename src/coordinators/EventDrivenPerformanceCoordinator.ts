import { redactSecrets } from '../internal/redact.js';
import { context, trace, type Attributes } from '@opentelemetry/api';
import { MonitoringMode } from '../config/MonitoringMode.js';
import { EventBus } from '../events/EventBus.js';
import { DirectPerformanceCoordinator, type CoordinatorOptions, type Phase } from './DirectPerformanceCoordinator.js';

export interface EventDrivenCoordinatorOptions extends CoordinatorOptions {
  /** The bus to publish on. Defaults to a new one (reachable as `coordinator.events`). */
  events?: EventBus;
}

const NO_ATTRIBUTES: Attributes = Object.freeze({});

/**
 * The seed's `EventDrivenPerformanceCoordinator`: everything the direct coordinator does, plus the
 * typed events `performance.phase.start`, `performance.phase.end`, `performance.operation.complete`
 * and `performance.metric.recorded` on the bus, each carrying the span's `traceId` and `spanId`.
 * Built on its own (not by `createMonitoring`) it also exports traces and metrics over OTLP/HTTP to
 * `settings.otlpEndpoint`. A payload is only built when something subscribes to its type.
 *
 * @example
 * const coordinator = new EventDrivenPerformanceCoordinator();
 * coordinator.events.subscribe('performance.phase.end', (e) => console.log(e.name, e.durationMs, e.traceId));
 * coordinator.measure('render', () => render());
 */
export class EventDrivenPerformanceCoordinator extends DirectPerformanceCoordinator {
  override readonly mode: MonitoringMode = MonitoringMode.EVENT_DRIVEN;
  readonly events: EventBus;
  /** Tells `ValidationMonitoringService` this coordinator publishes performance events itself. */
  readonly publishesEvents = true;

  constructor(options: EventDrivenCoordinatorOptions = {}) {
    super(options);
    this.events = options.events ?? new EventBus({ queueSize: this.settings.eventQueueSize });
  }

  protected override defaultMode(): MonitoringMode {
    return MonitoringMode.EVENT_DRIVEN;
  }

  protected override _onPhaseStart(phase: Phase, attributes: Attributes | undefined): void {
    if (!this.events.hasSubscribers('performance.phase.start')) return;
    const parent = trace.getSpanContext(context.active());
    this.events.publish('performance.phase.start', {
      name: phase.name,
      traceId: phase.traceId,
      spanId: phase.spanId,
      parentSpanId: parent?.spanId,
      attributes: this._detailed && attributes !== undefined ? attributes : NO_ATTRIBUTES,
    });
  }

  protected override _onPhaseEnd(phase: Phase, durationMs: number, error: unknown, attributes: Attributes | undefined): void {
    if (!this.events.hasSubscribers('performance.phase.end')) return;
    this.events.publish('performance.phase.end', {
      name: phase.name,
      durationMs,
      status: error === undefined ? 'ok' : 'error',
      error: error === undefined ? undefined : redactSecrets(error instanceof Error ? error.message : String(error)),
      traceId: phase.traceId,
      spanId: phase.spanId,
      attributes: this._detailed && attributes !== undefined ? attributes : NO_ATTRIBUTES,
    });
  }

  protected override _onOperation(name: string, durationMs: number, attributes: Attributes | undefined): void {
    if (!this.events.hasSubscribers('performance.operation.complete')) return;
    const active = trace.getSpanContext(context.active());
    this.events.publish('performance.operation.complete', {
      name,
      durationMs,
      traceId: active?.traceId,
      spanId: active?.spanId,
      attributes: attributes ?? NO_ATTRIBUTES,
    });
  }

  protected override _onMetric(name: string, value: number, attributes: Attributes | undefined): void {
    if (!this.events.hasSubscribers('performance.metric.recorded')) return;
    const active = trace.getSpanContext(context.active());
    this.events.publish('performance.metric.recorded', {
      name,
      value,
      traceId: active?.traceId,
      spanId: active?.spanId,
      attributes: attributes ?? NO_ATTRIBUTES,
    });
  }
}
