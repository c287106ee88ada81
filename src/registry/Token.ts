/**
 * A runtime key for a service in `ServiceRegistry` that also carries the service's type. The SDK's
 * interfaces (`IPerformanceCoordinator`, `IMetricsCollector`, `IHealthCheck`, ...) are declared as
 * both an interface and a token of the same name, so one identifier serves as type and key.
 *
 * @example
 * interface IClock { now(): number }
 * const IClock = createToken<IClock>('IClock');
 * registry.register(IClock, { useValue: { now: Date.now } });
 */
export interface Token<T> {
  readonly name: string;
  readonly id: symbol;
  /** Phantom field: only here so `Token<A>` and `Token<B>` differ. */
  readonly __type?: T;
}

/** Makes a new token; two tokens with the same name are still different keys. */
export function createToken<T>(name: string): Token<T> {
  return Object.freeze({ name, id: Symbol(name) });
}
