import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors/MonitoringError.js';
import { DEFAULT_WINDOWS, parseSeriesMember, RollupBatch, seriesMember, validateWindows, windowStart } from '../../src/distributed/RollupBatch.js';
import type { WireEvent } from '../../src/distributed/wire.js';

const T0 = Date.UTC(2026, 10, 27, 12, 0, 30); // 30 s into a minute, hour and 5-minute window

function ev(id: string, instance: string, value: number, ts = T0, labels: Record<string, string> = { route: '/a' }): WireEvent {
  return { id, service: 'checkout', instance, event: { type: 'performance.metric.recorded', name: 'latency_ms', value, timestamp: ts, attributes: labels } };
}

describe('windows', () => {
  it('aligns window starts to the window size', () => {
    expect(windowStart(T0, 60)).toBe(Date.UTC(2026, 10, 27, 12, 0, 0));
    expect(windowStart(T0 + 4 * 60_000, 300)).toBe(Date.UTC(2026, 10, 27, 12, 0, 0));
    expect(windowStart(T0 + 5 * 60_000, 300)).toBe(Date.UTC(2026, 10, 27, 12, 5, 0));
  });

  it('rejects bad window lists naming the entry', () => {
    expect(() => validateWindows([])).toThrow(ConfigurationError);
    expect(() => validateWindows([{ seconds: 0, retentionSeconds: 10 }])).toThrow(/windows\[0\]\.seconds/);
    expect(() => validateWindows([{ seconds: 60, retentionSeconds: 10 }, { seconds: 60, retentionSeconds: 5 }])).toThrow(/windows\[1\]\.seconds: 60/);
    expect(() => validateWindows([{ seconds: 60, retentionSeconds: 1.5 }])).toThrow(/retentionSeconds/);
  });
});

describe('series members', () => {
  it('are canonical (label order does not matter) and survive any characters', () => {
    const a = seriesMember('svc:1', 'i|2', 'm"x', { b: '2', a: '1,\u0000' });
    const b = seriesMember('svc:1', 'i|2', 'm"x', { a: '1,\u0000', b: '2' });
    expect(a).toBe(b);
    expect(parseSeriesMember(a)).toEqual(['svc:1', 'i|2', 'm"x', [['a', '1,\u0000'], ['b', '2']]]);
    expect(parseSeriesMember('not json')).toBeUndefined();
    expect(parseSeriesMember('["a","b","c",[["k",1]]]')).toBeUndefined();
  });
});

describe('RollupBatch', () => {
  it('rolls every sample into each window at service and instance level', () => {
    const batch = new RollupBatch(DEFAULT_WINDOWS);
    batch.add(ev('a-1', 'a', 10), 'j1');
    batch.add(ev('b-1', 'b', 30), 'j2');
    batch.add(ev('b-2', 'b', 20, T0 + 60_000), 'j3');
    // 3 windows × (service + instances a, b); the 1-min window splits b's two events.
    const byKey = new Map([...batch.rollups.values()].map((r) => [`${r.windowSeconds}/${r.windowStart - windowStart(T0, r.windowSeconds)}/${JSON.parse(r.member)[1]}`, r.state]));
    expect(byKey.get('60/0/')!.count).toBe(2);
    expect(byKey.get('60/60000/')!.count).toBe(1);
    expect(byKey.get('300/0/')!.count).toBe(3);
    expect(byKey.get('300/0/')!.sum).toBe(60);
    expect(byKey.get('3600/0/b')!.count).toBe(2);
    expect(byKey.get('3600/0/a')!.max).toBe(10);
    expect(batch.ids).toEqual(['a-1', 'b-1', 'b-2']);
  });

  it('counts an id once per batch', () => {
    const batch = new RollupBatch([{ seconds: 60, retentionSeconds: 60 }]);
    expect(batch.add(ev('a-1', 'a', 10), 'j')).toBe(true);
    expect(batch.add(ev('a-1', 'a', 10), 'j')).toBe(false);
    expect(batch.duplicates).toBe(1);
    const service = [...batch.rollups.values()].find((r) => JSON.parse(r.member)[1] === '')!;
    expect(service.state.count).toBe(1);
  });

  it('keeps label sets apart and collects trace events, including ones without a value', () => {
    const batch = new RollupBatch([{ seconds: 60, retentionSeconds: 60 }]);
    batch.add(ev('a-1', 'a', 1, T0, { route: '/a' }), 'j1');
    batch.add(ev('a-2', 'a', 2, T0, { route: '/b' }), 'j2');
    batch.add({ id: 'a-3', service: 'checkout', instance: 'a', event: { type: 'performance.phase.start', name: 'x', timestamp: T0, traceId: '4bf92f3577b34da6a3ce929d0e0e4736' } }, 'j3');
    expect(batch.rollups.size).toBe(4);
    expect(batch.traces).toEqual([{ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', json: 'j3' }]);
  });
});
