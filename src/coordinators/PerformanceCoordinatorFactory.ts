import { requireFunction } from '../internal/configCheck.js';
import type { TracerProvider } from '@opentelemetry/api';
import { MonitoringMode } from '../config/MonitoringMode.js';
import type { MonitoringSettings } from '../config/MonitoringSettings.js';
import type { MemoryCollector } from '../collectors/MemoryCollector.js';
import { ConfigurationError, InvalidCoordinatorError } from '../errors/MonitoringError.js';
import type { EventBus } from '../events/EventBus.js';
import type { RecentSpanStore } from '../tracing/RecentSpanStore.js';
import { DirectPerformanceCoordinator } from './DirectPerformanceCoordinator.js';
import { EventDrivenPerformanceCoordinator } from './EventDrivenPerformanceCoordinator.js';
import { COORDINATOR_METHODS, type IPerformanceCoordinator } from './IPerformanceCoordinator.js';
import { NoopPerformanceCoordinator } from './NoopPerformanceCoordinator.js';

/** What a coordinator is built from; a `CUSTOM` class or factory receives the same object. */
export interface CoordinatorDependencies {
  settings: MonitoringSettings;
  tracerProvider?: TracerProvider;
  collector?: MemoryCollector;
  events?: EventBus;
  spanStore?: RecentSpanStore;
}

/** A user coordinator for `CUSTOM` mode: a class constructed with the dependencies, or a factory. */
export type CustomCoordinator =
  | (new (deps: CoordinatorDependencies) => IPerformanceCoordinator)
  | ((deps: CoordinatorDependencies) => IPerformanceCoordinator);

/**
 * The seed's `PerformanceCoordinatorFactory`: picks the coordinator for `settings.mode`.
 * `CUSTOM` takes a user class or factory and checks that what it builds implements
 * `IPerformanceCoordinator`, throwing `InvalidCoordinatorError` with the missing methods if not.
 *
 * @example
 * const coordinator = PerformanceCoordinatorFactory.create(new MonitoringSettings({ mode: MonitoringMode.DIRECT }));
 * const mine = PerformanceCoordinatorFactory.create(new MonitoringSettings({ mode: MonitoringMode.CUSTOM }), {}, MyCoordinator);
 */
export class PerformanceCoordinatorFactory {
  static create(
    settings: MonitoringSettings,
    deps: Omit<CoordinatorDependencies, 'settings'> = {},
    custom?: CustomCoordinator,
  ): IPerformanceCoordinator {
    const all: CoordinatorDependencies = { ...deps, settings };
    const shared = deps.tracerProvider !== undefined && deps.collector !== undefined
      ? { settings, tracerProvider: deps.tracerProvider, collector: deps.collector, ...(deps.spanStore ? { spanStore: deps.spanStore } : {}) }
      : { settings };
    switch (settings.mode) {
      case MonitoringMode.DISABLED:
        return new NoopPerformanceCoordinator();
      case MonitoringMode.DIRECT:
        return new DirectPerformanceCoordinator(shared);
      case MonitoringMode.EVENT_DRIVEN:
        return new EventDrivenPerformanceCoordinator({ ...shared, ...(deps.events ? { events: deps.events } : {}) });
      case MonitoringMode.CUSTOM: {
        requireFunction('customCoordinator', custom, 'a class or factory function for CUSTOM mode');
        const built = isClass(custom)
          ? new (custom as new (d: CoordinatorDependencies) => IPerformanceCoordinator)(all)
          : (custom as (d: CoordinatorDependencies) => IPerformanceCoordinator)(all);
        return PerformanceCoordinatorFactory.check(built);
      }
      default:
        throw new ConfigurationError('mode', settings.mode, `one of ${Object.values(MonitoringMode).join(', ')}`);
    }
  }

  /** Throws `InvalidCoordinatorError` unless `candidate` has every `IPerformanceCoordinator` method. */
  static check(candidate: unknown): IPerformanceCoordinator {
    if (candidate === null || typeof candidate !== 'object') throw new InvalidCoordinatorError([...COORDINATOR_METHODS]);
    const c = candidate as Record<string, unknown>;
    const missing = COORDINATOR_METHODS.filter((m) => typeof c[m] !== 'function');
    if (missing.length > 0) throw new InvalidCoordinatorError(missing);
    return candidate as IPerformanceCoordinator;
  }
}

function isClass(fn: unknown): boolean {
  return typeof fn === 'function' && /^class\b/.test(Function.prototype.toString.call(fn));
}
