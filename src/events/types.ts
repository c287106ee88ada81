import type { Attributes } from '@opentelemetry/api';

/** Fields every monitoring event has. */
export interface BaseEvent<T extends string = string> {
  /** The event type string, e.g. `performance.phase.end`. */
  readonly type: T;
  /** Milliseconds since the epoch when the event happened. */
  readonly timestamp: number;
  /** The trace this event belongs to (32 hex chars), when it was recorded inside a span. */
  readonly traceId?: string | undefined;
  /** The span this event belongs to (16 hex chars). */
  readonly spanId?: string | undefined;
  readonly attributes: Attributes;
}

export interface PhaseStartEvent extends BaseEvent<'performance.phase.start'> {
  readonly name: string;
  readonly parentSpanId?: string | undefined;
}

export interface PhaseEndEvent extends BaseEvent<'performance.phase.end'> {
  readonly name: string;
  readonly durationMs: number;
  readonly status: 'ok' | 'error';
  readonly error?: string | undefined;
}

export interface OperationCompleteEvent extends BaseEvent<'performance.operation.complete'> {
  readonly name: string;
  readonly durationMs: number;
}

export interface MetricRecordedEvent extends BaseEvent<'performance.metric.recorded'> {
  readonly name: string;
  readonly value: number;
}

/** Health status names; `pass` / `warn` / `fail` are their draft-inadarei-api-health-check forms. */
export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface HealthCheckCompletedEvent extends BaseEvent<'health.check.completed'> {
  readonly check: string;
  readonly status: HealthStatus;
  readonly durationMs: number;
  readonly details: Readonly<Record<string, unknown>>;
  /** The check's category (`component`, `system`, `business`). */
  readonly category?: string | undefined;
  /** Whether the check's failure makes the system unhealthy. */
  readonly critical?: boolean | undefined;
  /** Why the check is not healthy. */
  readonly reason?: string | undefined;
}

export interface HealthStatusChangedEvent extends BaseEvent<'health.status.changed'> {
  /** The check's name, or `system` for the overall status. */
  readonly check: string;
  readonly previous: HealthStatus | 'unknown';
  readonly current: HealthStatus;
  /** Why the new status is not healthy (for a check), when known. */
  readonly reason?: string | undefined;
}

export interface HealthComponentDegradedEvent extends BaseEvent<'health.component.degraded'> {
  readonly check: string;
  readonly status: HealthStatus;
  readonly reason: string;
}

export interface ValidationStartedEvent extends BaseEvent<'validation.started'> {
  readonly validationId: string;
  readonly validator: string;
}

export interface ValidationCompletedEvent extends BaseEvent<'validation.completed'> {
  readonly validationId: string;
  readonly validator: string;
  readonly durationMs: number;
}

export interface ValidationFailedEvent extends BaseEvent<'validation.failed'> {
  readonly validationId: string;
  readonly validator: string;
  readonly durationMs: number;
  readonly reason: string;
}

/** Something the SDK had to drop (a full queue, a bad record); `count` is the running total. */
export interface MonitoringDroppedEvent extends BaseEvent<'monitoring.dropped'> {
  readonly source: string;
  readonly reason: string;
  readonly count: number;
}

/** An alert as events carry it (the same shape the alerting HTTP API lists). */
export interface AlertEventPayload {
  readonly fingerprint: string;
  readonly rule: string;
  readonly state: 'pending' | 'firing' | 'resolved';
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly value: number;
  /** ISO times. */
  readonly activeAt: string;
  readonly firedAt?: string | undefined;
  readonly resolvedAt?: string | undefined;
}

/** An alert rule's label set started to hold and waits out its `for` duration. */
export interface AlertPendingEvent extends BaseEvent<'alert.pending'> {
  readonly alert: AlertEventPayload;
}

/** An alert fired: its condition held for the rule's `for` duration. */
export interface AlertFiringEvent extends BaseEvent<'alert.firing'> {
  readonly alert: AlertEventPayload;
}

/** A firing alert stopped firing. */
export interface AlertResolvedEvent extends BaseEvent<'alert.resolved'> {
  readonly alert: AlertEventPayload;
}

/** A notification the alerting `bus` receiver delivered: one route's group of alerts. */
export interface AlertNotificationEvent extends BaseEvent<'alert.notification'> {
  readonly receiver: string;
  readonly groupKey: string;
  readonly status: 'firing' | 'resolved';
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly alerts: readonly AlertEventPayload[];
}

/**
 * Every event type and its payload. Extend it by declaration merging to add your own typed events:
 *
 * @example
 * declare module 'service-infrastructure' {
 *   interface MonitoringEventMap { 'orders.placed': BaseEvent<'orders.placed'> & { total: number } }
 * }
 */
export interface MonitoringEventMap {
  'performance.phase.start': PhaseStartEvent;
  'performance.phase.end': PhaseEndEvent;
  'performance.operation.complete': OperationCompleteEvent;
  'performance.metric.recorded': MetricRecordedEvent;
  'health.check.completed': HealthCheckCompletedEvent;
  'health.status.changed': HealthStatusChangedEvent;
  'health.component.degraded': HealthComponentDegradedEvent;
  'validation.started': ValidationStartedEvent;
  'validation.completed': ValidationCompletedEvent;
  'validation.failed': ValidationFailedEvent;
  'monitoring.dropped': MonitoringDroppedEvent;
  'alert.pending': AlertPendingEvent;
  'alert.firing': AlertFiringEvent;
  'alert.resolved': AlertResolvedEvent;
  'alert.notification': AlertNotificationEvent;
}

export type EventType = keyof MonitoringEventMap & string;
export type MonitoringEvent = MonitoringEventMap[EventType];

type Prefixes<T extends string> = T extends `${infer Head}.${infer Tail}` ? Head | `${Head}.${Prefixes<Tail>}` : never;

/** An exact type, a prefix wildcard such as `performance.*` or `performance.phase.*`, or `*`. */
export type EventPattern = EventType | `${Prefixes<EventType>}.*` | '*';

/** The event types a pattern matches. */
export type EventsMatching<P extends EventPattern> = P extends '*'
  ? MonitoringEvent
  : P extends `${infer Prefix}.*`
    ? MonitoringEventMap[Extract<EventType, `${Prefix}.${string}`>]
    : P extends EventType
      ? MonitoringEventMap[P]
      : never;

/** What `publish` takes: the payload without `type`; `timestamp` and `attributes` are filled in when absent. */
export type EventInput<T extends EventType> = Omit<MonitoringEventMap[T], 'type' | 'timestamp' | 'attributes'> & {
  readonly timestamp?: number;
  readonly attributes?: Attributes;
};
