/**
 * How performance monitoring runs, with the seed's four meanings:
 * - `DISABLED`: `NoopPerformanceCoordinator`, nothing recorded, no overhead.
 * - `DIRECT`: `DirectPerformanceCoordinator`, spans and metrics kept in memory, read back at once.
 * - `EVENT_DRIVEN`: `EventDrivenPerformanceCoordinator`, the same plus typed events on the bus and OTLP export.
 * - `CUSTOM`: a user-provided `IPerformanceCoordinator`.
 *
 * @example
 * new MonitoringSettings({ mode: MonitoringMode.DIRECT });
 */
export const MonitoringMode = Object.freeze({
  DISABLED: 'disabled',
  DIRECT: 'direct',
  EVENT_DRIVEN: 'event_driven',
  CUSTOM: 'custom',
} as const);

export type MonitoringMode = (typeof MonitoringMode)[keyof typeof MonitoringMode];

const MODES: readonly string[] = Object.values(MonitoringMode);

/** @internal */
export function isMonitoringMode(value: unknown): value is MonitoringMode {
  return typeof value === 'string' && MODES.includes(value);
}
