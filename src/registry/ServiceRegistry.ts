import { requireFunction, requireOneOf } from '../internal/configCheck.js';
import { ConfigurationError, DependencyCycleError, UnregisteredTokenError } from '../errors/MonitoringError.js';
import type { Token } from './Token.js';

/** `singleton` (default): built once and shared. `transient`: built on every resolve. */
export type Lifetime = 'singleton' | 'transient';

/** A class the registry can build: its constructor's arguments are the tokens listed in `inject`. */
export interface Injectable<T> {
  new (...args: never[]): T;
  /** Tokens resolved and passed to the constructor, in order. */
  readonly inject?: readonly Token<unknown>[];
}

/** What `register` accepts: a class, `{ useClass }`, `{ useFactory }` or `{ useValue }`, or a ready instance. */
export type Provider<T> =
  | Injectable<T>
  | { readonly useClass: Injectable<T> }
  | { readonly useFactory: (registry: ServiceRegistry) => T }
  | { readonly useValue: T }
  | T;

export interface RegisterOptions {
  lifetime?: Lifetime;
}

interface Entry {
  readonly build: (registry: ServiceRegistry) => unknown;
  readonly lifetime: Lifetime;
  instance?: unknown;
  built: boolean;
}

/**
 * A small dependency container keyed by tokens, as in the seed's "Service Registry Integration".
 * Singletons by default; an unregistered token or a cycle throws an error naming the tokens.
 *
 * @example
 * const registry = new ServiceRegistry();
 * registry.register(IPerformanceCoordinator, EventDrivenPerformanceCoordinator);
 * registry.register(IMetricsCollector, MemoryCollector);
 * registry.register(IHealthCheck, HealthCheckManager);
 * const coordinator = registry.resolve(IPerformanceCoordinator);
 */
export class ServiceRegistry {
  private readonly _entries = new Map<symbol, Entry>();
  private readonly _resolving: string[] = [];

  register<T>(token: Token<T>, provider: Provider<T>, options: RegisterOptions = {}): this {
    const lifetime = options.lifetime ?? 'singleton';
    requireOneOf('lifetime', lifetime, ['singleton', 'transient'], 'singleton or transient');
    if (token === null || typeof token !== 'object' || typeof token.id !== 'symbol') {
      throw new ConfigurationError('token', token, 'a token made by createToken');
    }
    this._entries.set(token.id, { build: builderFor(provider), lifetime, built: false });
    return this;
  }

  /** True when `token` has a provider. */
  has(token: Token<unknown>): boolean {
    return this._entries.has(token.id);
  }

  resolve<T>(token: Token<T>): T {
    const entry = this._entries.get(token.id);
    if (entry === undefined) throw new UnregisteredTokenError(token.name, this._resolving);
    if (entry.built) return entry.instance as T;
    if (this._resolving.includes(token.name)) {
      throw new DependencyCycleError([...this._resolving.slice(this._resolving.indexOf(token.name)), token.name]);
    }
    this._resolving.push(token.name);
    try {
      const instance = entry.build(this);
      if (entry.lifetime === 'singleton') {
        entry.instance = instance;
        entry.built = true;
      }
      return instance as T;
    } finally {
      this._resolving.pop();
    }
  }

  /** Resolves `token` when registered, otherwise returns undefined. */
  tryResolve<T>(token: Token<T>): T | undefined {
    return this.has(token) ? this.resolve(token) : undefined;
  }

  /** Calls `shutdown()` on every singleton built so far that has one, in reverse build order. */
  async shutdown(): Promise<void> {
    const built = [...this._entries.values()].filter((e) => e.built).reverse();
    for (const entry of built) {
      const inst = entry.instance as { shutdown?: () => unknown } | null;
      if (inst !== null && typeof inst === 'object' && typeof inst.shutdown === 'function') await inst.shutdown();
    }
  }
}

function isClass(value: unknown): value is Injectable<unknown> {
  return typeof value === 'function' && value.prototype !== undefined && /^class\b/.test(Function.prototype.toString.call(value));
}

function builderFor<T>(provider: Provider<T>): (registry: ServiceRegistry) => unknown {
  if (isClass(provider)) return (r) => construct(provider, r);
  if (provider !== null && typeof provider === 'object') {
    if ('useClass' in provider) {
      const cls = provider.useClass;
      if (!isClass(cls)) throw new ConfigurationError('useClass', cls, 'a class');
      return (r) => construct(cls, r);
    }
    if ('useFactory' in provider) {
      const factory = provider.useFactory;
      requireFunction('useFactory', factory);
      return factory;
    }
    if ('useValue' in provider) {
      const value = provider.useValue;
      return () => value;
    }
  }
  // A plain function (not a class) or any other object is the instance itself.
  return () => provider;
}

function construct<T>(cls: Injectable<T>, registry: ServiceRegistry): T {
  const deps = (cls.inject ?? []).map((t) => registry.resolve(t));
  return new cls(...(deps as never[]));
}
