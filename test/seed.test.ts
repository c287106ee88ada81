// Every snippet of the seed document, in its TypeScript form, run against the built package
// (imported by its package name, so this goes through package.json "exports" and dist/).
import { afterAll, describe, expect, it } from 'vitest';
import * as root from 'service-infrastructure';
import * as monitoringPath from 'service-infrastructure/monitoring';
import pg from 'pg';
import {
  CacheHealthChecker,
  ConnectionPoolHealthChecker,
  HealthCheckManager,
  IHealthCheck,
  RateLimiterHealthChecker,
  DirectPerformanceCoordinator,
  EventDrivenPerformanceCoordinator,
  IMetricsCollector,
  IPerformanceCoordinator,
  MemoryCollector,
  MonitoringMode,
  MonitoringSettings,
  ServiceRegistry,
  type EventType,
} from 'service-infrastructure/monitoring';

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup) await c();
});

describe('the seed, in TypeScript', () => {
  it('MemoryCollector: counters, gauges, histograms', () => {
    const collector = new MemoryCollector();
    collector.incrementCounter('requests_total', { endpoint: '/api/v1' });
    collector.recordGauge('memory_usage_mb', 256.5);
    collector.recordHistogram('response_time_ms', 45.2);
    expect(collector.getCounterValue('requests_total', { endpoint: '/api/v1' })).toBe(1);
    expect(collector.getGaugeValue('memory_usage_mb')).toBe(256.5);
    expect(collector.getHistogram('response_time_ms')!.sum).toBe(45.2);
  });

  it('Health monitoring: component checks and the system-wide status', async () => {
    // A real PostgreSQL pool; a cache and a rate limiter as the app would hand them over.
    const db_pool = new pg.Pool({ connectionString: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test', max: 4 });
    cleanup.push(() => db_pool.end());
    const store = new Map<string, string>();
    const cache_manager = { get: (k: string) => store.get(k), set: (k: string, v: string) => void store.set(k, v) };
    const limiter = { getStats: () => ({ allowed: 950, rejected: 12, remaining: 40, limit: 100 }) };

    const health_manager = new HealthCheckManager();
    health_manager.registerCheck('cache', new CacheHealthChecker(cache_manager));
    health_manager.registerCheck('database', new ConnectionPoolHealthChecker(db_pool));
    health_manager.registerCheck('rate_limiter', new RateLimiterHealthChecker(limiter));
    cleanup.push(() => health_manager.shutdown());

    const system_health = await health_manager.checkHealth();
    expect(system_health.status).toBe('healthy');
    expect(Object.keys(system_health.checks).sort()).toEqual(['cache', 'database', 'rate_limiter']);
  });

  it('Service registry integration', () => {
    const registry = new ServiceRegistry();
    registry.register(IPerformanceCoordinator, EventDrivenPerformanceCoordinator);
    registry.register(IMetricsCollector, MemoryCollector);
    registry.register(IHealthCheck, HealthCheckManager);
    expect(registry.resolve(IHealthCheck)).toBeInstanceOf(HealthCheckManager);
    cleanup.push(() => (registry.resolve(IHealthCheck) as HealthCheckManager).shutdown());
    const coordinator = registry.resolve(IPerformanceCoordinator);
    cleanup.push(() => coordinator.shutdown(300));
    expect(coordinator).toBeInstanceOf(EventDrivenPerformanceCoordinator);
    expect(registry.resolve(IMetricsCollector)).toBeInstanceOf(MemoryCollector);
  });

  it('Event system integration: the typed event names', () => {
    const names: EventType[] = [
      'performance.phase.start',
      'performance.phase.end',
      'performance.operation.complete',
      'performance.metric.recorded',
      'health.check.completed',
      'health.status.changed',
      'health.component.degraded',
    ];
    const bus = new root.EventBus();
    const seen: string[] = [];
    bus.subscribe('*', (e) => {
      seen.push(e.type);
    });
    bus.publish('performance.phase.start', { name: 'p' });
    bus.publish('performance.phase.end', { name: 'p', durationMs: 1, status: 'ok' });
    bus.publish('performance.operation.complete', { name: 'o', durationMs: 1 });
    bus.publish('performance.metric.recorded', { name: 'm', value: 1 });
    bus.publish('health.check.completed', { check: 'db', status: 'healthy', durationMs: 1, details: {} });
    bus.publish('health.status.changed', { check: 'db', previous: 'healthy', current: 'degraded' });
    bus.publish('health.component.degraded', { check: 'db', status: 'degraded', reason: 'slow' });
    expect(seen).toEqual(names);
  });

  it('Configuration integration: MonitoringSettings with the seed fields and defaults', () => {
    const settings = new MonitoringSettings({}, {});
    expect({
      mode: settings.mode,
      enableDetailedMetrics: settings.enableDetailedMetrics,
      maxSnapshots: settings.maxSnapshots,
      healthCheckInterval: settings.healthCheckInterval,
    }).toEqual({ mode: MonitoringMode.EVENT_DRIVEN, enableDetailedMetrics: true, maxSnapshots: 1000, healthCheckInterval: 30 });
  });

  it('Migration: the old names are reachable from service-infrastructure/monitoring and the root alike', async () => {
    expect(monitoringPath.DirectPerformanceCoordinator).toBe(root.DirectPerformanceCoordinator);
    expect(monitoringPath.MemoryCollector).toBe(root.MemoryCollector);
    const c = new DirectPerformanceCoordinator();
    c.startPhase('migrated').end();
    expect(c.getSnapshot().phases['migrated']!.count).toBe(1);
    await c.shutdown();
  });
});
