import { describe, expect, it } from 'vitest';
import { BacklogHealthChecker } from '../../../src/health/checkers/BacklogHealthChecker.js';
import { SlaHealthChecker } from '../../../src/health/checkers/SlaHealthChecker.js';
import { ThroughputHealthChecker } from '../../../src/health/checkers/ThroughputHealthChecker.js';
import { collectorPerTest } from '../../helpers/perTest.js';

const collector = collectorPerTest();

describe('BacklogHealthChecker', () => {
  it('grades a queue-depth gauge of the collector', async () => {
    const c = collector();
    const checker = new BacklogHealthChecker({ collector: c, depth: { metric: 'queue_depth', labels: { queue: 'orders' } }, thresholds: { degraded: 100, unhealthy: 1000 } });
    expect(await checker.check()).toMatchObject({ status: 'healthy', details: { note: 'backlog gauge not recorded yet' } });
    c.recordGauge('queue_depth', 250, { queue: 'orders' });
    expect(await checker.check()).toMatchObject({ status: 'degraded', observedValue: 250, observedUnit: 'items', reason: 'backlog 250 items >= 100 items' });
    c.recordGauge('queue_depth', 5000, { queue: 'orders' });
    expect((await checker.check()).status).toBe('unhealthy');
  });

  it('reads depth from a function too', async () => {
    const queue = [1, 2, 3];
    const checker = new BacklogHealthChecker({ depth: async () => queue.length, thresholds: { degraded: 3 } });
    expect((await checker.check()).status).toBe('degraded');
    queue.pop();
    expect((await checker.check()).status).toBe('healthy');
    expect(() => new BacklogHealthChecker({ depth: { metric: 'q' }, thresholds: { degraded: 1 } })).toThrow(/Invalid collector/);
  });
});

describe('SlaHealthChecker', () => {
  it('grades the share of observations within the target, per window', () => {
    const c = collector();
    const checker = new SlaHealthChecker(c, { metric: 'checkout_ms', target: 250, compliance: { degraded: 0.99, unhealthy: 0.9 } });
    for (let i = 0; i < 100; i++) c.recordHistogram('checkout_ms', i < 98 ? 40 : 900);
    const first = checker.check();
    expect(first).toMatchObject({ status: 'degraded', observedValue: 0.98, details: { observations: 100 } });
    expect(first.reason).toBe('share within 250 98% <= 99%');
    for (let i = 0; i < 50; i++) c.recordHistogram('checkout_ms', 30);
    expect(checker.check()).toMatchObject({ status: 'healthy', observedValue: 1, details: { observations: 50 } });
    for (let i = 0; i < 50; i++) c.recordHistogram('checkout_ms', i < 40 ? 30 : 2000);
    expect(checker.check()).toMatchObject({ status: 'unhealthy', observedValue: 0.8 });
    expect(checker.check()).toMatchObject({ status: 'healthy', details: { observations: 0 } });
  });
});

describe('ThroughputHealthChecker', () => {
  it('grades the rate a counter grew at since the previous run', async () => {
    const c = collector();
    let now = 0;
    c.incrementCounter('orders_total', { region: 'eu' }, 1000);
    const checker = new ThroughputHealthChecker({ collector: c, count: { metric: 'orders_total' }, perSecond: { degraded: 10, unhealthy: 1 }, now: () => now });
    now = 10_000;
    c.incrementCounter('orders_total', { region: 'eu' }, 150);
    c.incrementCounter('orders_total', { region: 'us' }, 50);
    expect(await checker.check()).toMatchObject({ status: 'healthy', observedValue: 20, observedUnit: 'per_second', details: { done: 200 } });
    now = 20_000;
    c.incrementCounter('orders_total', { region: 'eu' }, 50);
    expect(await checker.check()).toMatchObject({ status: 'degraded', observedValue: 5, reason: 'throughput 5/s <= 10/s' });
    now = 30_000;
    expect((await checker.check()).status).toBe('unhealthy');
  });
});
