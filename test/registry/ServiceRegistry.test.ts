import { describe, expect, it } from 'vitest';
import { DependencyCycleError, ServiceRegistry, UnregisteredTokenError, createToken } from '../../src/index.js';

interface IClock {
  now(): number;
}
const IClock = createToken<IClock>('IClock');
interface IGreeter {
  greet(): string;
}
const IGreeter = createToken<IGreeter>('IGreeter');

class FixedClock implements IClock {
  now(): number {
    return 42;
  }
}
class Greeter implements IGreeter {
  static readonly inject = [IClock] as const;
  constructor(private readonly clock: IClock) {}
  greet(): string {
    return `hello at ${this.clock.now()}`;
  }
}

describe('ServiceRegistry', () => {
  it('builds classes with their injected dependencies, as singletons by default', () => {
    const r = new ServiceRegistry().register(IClock, FixedClock).register(IGreeter, Greeter);
    expect(r.resolve(IGreeter).greet()).toBe('hello at 42');
    expect(r.resolve(IGreeter)).toBe(r.resolve(IGreeter));
  });

  it('supports transient lifetime, factories, values and instances', () => {
    const r = new ServiceRegistry();
    r.register(IClock, { useFactory: () => new FixedClock() }, { lifetime: 'transient' });
    expect(r.resolve(IClock)).not.toBe(r.resolve(IClock));
    const clock = { now: () => 1 };
    r.register(IClock, { useValue: clock });
    expect(r.resolve(IClock)).toBe(clock);
    r.register(IClock, clock);
    expect(r.resolve(IClock).now()).toBe(1);
  });

  it('names the missing token and who needed it', () => {
    const r = new ServiceRegistry().register(IGreeter, Greeter);
    expect(() => r.resolve(IClock)).toThrow(UnregisteredTokenError);
    expect(() => r.resolve(IGreeter)).toThrow(/No provider registered for IClock \(needed by IGreeter\)/);
  });

  it('names the tokens of a cycle', () => {
    const A = createToken<unknown>('A');
    const B = createToken<unknown>('B');
    const r = new ServiceRegistry();
    r.register(A, { useFactory: (reg) => reg.resolve(B) });
    r.register(B, { useFactory: (reg) => reg.resolve(A) });
    expect(() => r.resolve(A)).toThrow(DependencyCycleError);
    expect(() => r.resolve(A)).toThrow('A -> B -> A');
    // The failed resolution leaves nothing half-built behind.
    r.register(B, { useValue: 'b' });
    expect(r.resolve(A)).toBe('b');
  });

  it('shutdown() calls shutdown on built singletons', async () => {
    const calls: string[] = [];
    const r = new ServiceRegistry();
    const clock: IClock & { shutdown(): Promise<void> } = { now: () => 0, shutdown: async () => void calls.push('clock') };
    r.register(IClock, { useValue: clock });
    r.resolve(IClock);
    await r.shutdown();
    expect(calls).toEqual(['clock']);
  });
});
