// A receiver that never answers costs one attempt's timeout, not the queue: the attempt is aborted
// (the signal says why) and counted as failed, and the next notification goes out.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeliveryQueue } from '../../src/alerting/DeliveryQueue.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('DeliveryQueue', () => {
  it('gives up on an attempt that never settles after timeoutMs, aborts it, and moves on', async () => {
    vi.useFakeTimers();
    const signals: AbortSignal[] = [];
    const sent: string[] = [];
    const send = (item: string, signal: AbortSignal): Promise<void> => {
      signals.push(signal);
      if (item === 'stuck') return new Promise<void>(() => undefined); // ignores the signal, never settles
      sent.push(item);
      return Promise.resolve();
    };
    const q = new DeliveryQueue('test', send, { maxQueue: 5, retries: 0, backoffMs: 10, timeoutMs: 1000 });
    q.push('stuck');
    q.push('next');
    await vi.advanceTimersByTimeAsync(999);
    expect(q.stats).toMatchObject({ sent: 0, failed: 0 });
    expect(signals[0]!.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(signals[0]!.aborted).toBe(true);
    expect(String(signals[0]!.reason)).toContain('timed out after 1000 ms');
    expect(q.stats).toMatchObject({ sent: 1, failed: 1 });
    expect(sent).toEqual(['next']);
    await q.close();
  });

});
