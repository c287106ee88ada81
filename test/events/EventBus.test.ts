import { diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError, EventBus, type MonitoringEvent, type PhaseEndEvent } from '../../src/index.js';

const end = (name: string) => ({ name, durationMs: 1, status: 'ok' as const, traceId: 't', spanId: 's' });

describe('EventBus', () => {
  afterEach(() => vi.restoreAllMocks());

  it('delivers typed events with type, timestamp and attributes filled in', () => {
    const bus = new EventBus();
    const got: PhaseEndEvent[] = [];
    bus.subscribe('performance.phase.end', (e) => {
      got.push(e);
    });
    bus.publish('performance.phase.end', end('a'));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ type: 'performance.phase.end', name: 'a', durationMs: 1, attributes: {} });
    expect(got[0]!.timestamp).toBeGreaterThan(Date.now() - 5000);
  });

  it('rejects misspelt types at compile time', () => {
    const bus = new EventBus();
    // @ts-expect-error: not an event type
    expect(() => bus.subscribe('performance.phase.ended', () => {})).not.toThrow();
    // @ts-expect-error: durationMs must be a number
    bus.publish('performance.phase.end', { ...end('a'), durationMs: 'slow' });
  });

  it('matches prefix wildcards and *', () => {
    const bus = new EventBus();
    const perf: string[] = [];
    const all: string[] = [];
    bus.subscribe('performance.*', (e) => {
      perf.push(e.type);
    });
    bus.subscribe('*', (e: MonitoringEvent) => {
      all.push(e.type);
    });
    bus.publish('performance.phase.end', end('a'));
    bus.publish('performance.metric.recorded', { name: 'm', value: 1 });
    bus.publish('health.status.changed', { check: 'db', previous: 'healthy', current: 'unhealthy' });
    expect(perf).toEqual(['performance.phase.end', 'performance.metric.recorded']);
    expect(all).toEqual([...perf, 'health.status.changed']);
  });

  it('unsubscribes', () => {
    const bus = new EventBus();
    const fn = vi.fn();
    const off = bus.subscribe('performance.phase.end', fn);
    expect(bus.hasSubscribers('performance.phase.end')).toBe(true);
    off();
    off();
    bus.publish('performance.phase.end', end('a'));
    expect(fn).not.toHaveBeenCalled();
    expect(bus.hasSubscribers('performance.phase.end')).toBe(false);
  });

  it('a throwing subscriber never breaks publishing or the others, and is reported once', () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const bus = new EventBus();
    const seen: string[] = [];
    bus.subscribe('performance.phase.end', function boom() {
      throw new Error('subscriber bug');
    });
    bus.subscribe('performance.phase.end', (e) => {
      seen.push(e.name);
    });
    expect(() => {
      bus.publish('performance.phase.end', end('a'));
      bus.publish('performance.phase.end', end('b'));
    }).not.toThrow();
    expect(seen).toEqual(['a', 'b']);
    expect(bus.stats().errors).toBe(2);
    expect(warn.mock.calls.filter((c) => String(c[0]).includes('subscriber bug'))).toHaveLength(1);
  });

  it('a rejecting async subscriber is counted, not thrown', async () => {
    const bus = new EventBus();
    bus.subscribe('performance.phase.end', async () => {
      throw new Error('async bug');
    });
    bus.publish('performance.phase.end', end('a'));
    await bus.flush();
    expect(bus.stats().errors).toBe(1);
  });

  it('a slow async subscriber gets a bounded queue: oldest dropped, drops counted and announced', async () => {
    const bus = new EventBus({ queueSize: 3 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: string[] = [];
    bus.subscribe('performance.phase.end', async (e) => {
      await gate;
      slow.push(e.name);
    });
    const fast: string[] = [];
    bus.subscribe('performance.phase.end', (e) => {
      fast.push(e.name);
    });
    const dropped: number[] = [];
    bus.subscribe('monitoring.dropped', (e) => {
      dropped.push(e.count);
    });
    // The first event is taken by the drain loop on the next turn; hold it there.
    bus.publish('performance.phase.end', end('e0'));
    await new Promise((r) => setImmediate(r));
    for (let i = 1; i <= 6; i++) bus.publish('performance.phase.end', end(`e${i}`));
    expect(fast).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
    expect(bus.stats().dropped).toBe(3);
    expect(dropped).toEqual([1]);
    release();
    expect(await bus.flush()).toBe(true);
    expect(slow).toEqual(['e0', 'e4', 'e5', 'e6']);
  });

  it('flush() gives up after its timeout', async () => {
    const bus = new EventBus();
    bus.subscribe('performance.phase.end', () => new Promise<void>(() => {}), { async: true });
    bus.publish('performance.phase.end', end('a'));
    expect(await bus.flush(50)).toBe(false);
  });

  it('validates patterns and options at subscribe time', () => {
    const bus = new EventBus();
    expect(() => bus.subscribe('perf*' as never, () => {})).toThrow(ConfigurationError);
    expect(() => bus.subscribe('performance.phase.end', () => {}, { queueSize: 0 })).toThrow(/queueSize/);
    expect(() => new EventBus({ queueSize: -1 })).toThrow(/queueSize: -1/);
  });
});
