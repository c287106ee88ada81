// Setup checks of the collectors (and of the registry, event bus and sampler, which take setup
// options the same way) name the option and the value, and say what they expected.
import { describe, expect, it } from 'vitest';
import { linearBuckets } from '../../src/collectors/MetricStore.js';
import { RedisHyperLogLog } from '../../src/collectors/RedisHyperLogLog.js';
import { explicitBucketsView } from '../../src/collectors/views.js';
import { EventBus } from '../../src/events/EventBus.js';
import { ServiceRegistry } from '../../src/registry/ServiceRegistry.js';
import { createToken } from '../../src/registry/Token.js';
import { RateLimitingSampler } from '../../src/tracing/RateLimitingSampler.js';
import { messageOf } from '../helpers/configError.js';
import { collectorPerTest } from '../helpers/perTest.js';

const collector = collectorPerTest();

const BAD: [string, () => unknown, string][] = [
  ['sampleOneIn', () => collector().histogram('latency_ms', { sampleOneIn: 2.5 }), 'Invalid sampleOneIn: 2.5 (expected a positive integer)'],
  ['metric name', () => collector().counter('1requests'), 'Invalid metric name: "1requests" (expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:.]*))'],
  ['buckets empty', () => collector().histogram('latency_ms', { buckets: [] }), 'Invalid buckets: [] (expected a non-empty array of numbers)'],
  ['buckets order', () => collector().histogram('latency_ms', { buckets: [1, 5, 5] }), 'Invalid buckets: [1,5,5] (expected finite numbers in strictly increasing order)'],
  ['buckets Infinity', () => collector().histogram('latency_ms', { buckets: [1, Number.POSITIVE_INFINITY] }), 'Invalid buckets: [1,"Infinity"]'],
  ['linearBuckets start', () => linearBuckets(Number.NaN, 1, 3), 'Invalid linearBuckets start: NaN (expected a finite number)'],
  ['boundaries', () => explicitBucketsView('db.query', [1, Number.NaN]), 'Invalid boundaries: [1,"NaN"] (expected finite numbers in strictly increasing order)'],
  ['boundaries empty', () => explicitBucketsView('db.query', []), 'Invalid boundaries: []'],
  ['minWeight', () => collector().reservoir('pay_ms', { minWeight: 1 }), 'Invalid minWeight: 1 (expected a number between 0 and 1 (exclusive))'],
  ['quantiles', () => collector().summary('pay_seconds', { quantiles: [0.5, 1.5] }), 'Invalid quantiles: [0.5,1.5] (expected a non-empty array of numbers in [0, 1])'],
  ['quantiles empty', () => collector().reservoir('pay_ms', { quantiles: [] }), 'Invalid quantiles: []'],
  ['HLL client', () => new RedisHyperLogLog({ client: {} as never, key: 'k' }), 'Invalid client: {} (expected a Redis client with pfadd/pfcount/pfmerge)'],
  ['lifetime', () => new ServiceRegistry().register(createToken<number>('n'), { useValue: 1 }, { lifetime: 'scoped' as never }), 'Invalid lifetime: "scoped" (expected singleton or transient)'],
  ['pattern star', () => new EventBus().subscribe('performance*' as never, () => {}), 'Invalid pattern: "performance*" (expected an event type, a prefix ending in ".*", or "*")'],
  ['pattern empty', () => new EventBus().subscribe('' as never, () => {}), 'Invalid pattern: ""'],
  ['tracesPerSecond', () => new RateLimitingSampler(-1), 'Invalid tracesPerSecond: -1 (expected a non-negative number)'],
  ['tracesPerSecond Infinity', () => new RateLimitingSampler(Number.POSITIVE_INFINITY), 'Invalid tracesPerSecond: Infinity'],
];

describe('collector option errors', () => {
  it.each(BAD)('%s: names the option and the value', (_what, make, text) => {
    expect(messageOf(make)).toContain(text);
  });

  it('accepts the edges of each range', () => {
    const c = collector();
    expect(() => c.histogram('one_bucket_ms', { buckets: [0], sampleOneIn: 1 })).not.toThrow();
    expect(() => c.summary('edges_seconds', { quantiles: [0, 1] })).not.toThrow();
    expect(() => c.reservoir('light_ms', { minWeight: 0.5 })).not.toThrow();
    expect(() => explicitBucketsView('db.query', [-1, 0, 1])).not.toThrow();
    expect(() => new RateLimitingSampler(0)).not.toThrow();
    const bus = new EventBus();
    for (const p of ['*', 'performance.*', 'performance.phase.end', 'a*.*']) expect(() => bus.subscribe(p as never, () => {})).not.toThrow();
  });
});
