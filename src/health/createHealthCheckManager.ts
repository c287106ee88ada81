import type { Meter } from '@opentelemetry/api';
import type { MonitoringSettings } from '../config/MonitoringSettings.js';
import type { EventBus } from '../events/EventBus.js';
import type { ServiceRegistry } from '../registry/ServiceRegistry.js';
import { HealthCheckManager, type HealthCheckManagerOptions } from './HealthCheckManager.js';
import { IHealthCheck } from './IHealthCheck.js';

/** The parts of a `createMonitoring` handle a health manager attaches to. */
export interface HealthMonitoringHandle {
  readonly settings: MonitoringSettings;
  readonly events: EventBus;
  readonly registry: ServiceRegistry;
  getMeter(name?: string, version?: string): Meter;
}

/**
 * A `HealthCheckManager` attached to a `createMonitoring` handle: its interval comes from the
 * handle's settings, its events go to the handle's bus, its gauges to the handle's MeterProvider
 * (so they reach `collector.read()`, Prometheus and OTLP), and it is registered as `IHealthCheck`
 * in the handle's registry, so `monitoring.shutdown()` stops it too.
 *
 * @example
 * const monitoring = createMonitoring({ serviceName: 'checkout' });
 * const health = createHealthCheckManager(monitoring);
 * health.registerCheck('database', new ConnectionPoolHealthChecker(pool));
 * monitoring.registry.resolve(IHealthCheck) === health; // true
 */
export function createHealthCheckManager(
  monitoring: HealthMonitoringHandle,
  options: Omit<HealthCheckManagerOptions, 'events' | 'meter' | 'collector'> = {},
): HealthCheckManager {
  const manager = new HealthCheckManager({
    settings: monitoring.settings,
    ...options,
    events: monitoring.events,
    meter: monitoring.getMeter('service-infrastructure/health'),
  });
  monitoring.registry.register(IHealthCheck, { useValue: manager });
  return manager;
}
