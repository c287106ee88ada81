// `service-infrastructure/redis`: distributed monitoring over Redis Streams. Kept out of the package
// root so that importing the SDK never loads a Redis client.
export { RedisEventPublisher, PUBLISHER_METRICS } from './RedisEventPublisher.js';
export type { RedisEventPublisherOptions, RedisEventPublisherStats } from './RedisEventPublisher.js';
export { RedisAggregator, AGGREGATOR_METRICS } from './RedisAggregator.js';
export type { RedisAggregatorOptions, RedisAggregatorStats } from './RedisAggregator.js';
export { RedisRollupQuery } from './RedisRollupQuery.js';
export type { RedisRollupQueryOptions, RollupFilter, RollupPoint } from './RedisRollupQuery.js';
export type { RedisTarget } from './connection.js';
export {
  DEFAULT_WINDOWS,
  RollupBatch,
  parseSeriesMember,
  seriesMember,
  validateWindows,
  windowStart,
} from './RollupBatch.js';
export type { BatchRollup, BatchTraceEvent, RollupWindow, SeriesIdentity } from './RollupBatch.js';
export {
  ROLLUP_FIELDS,
  ROLLUP_RELATIVE_ACCURACY,
  addValue,
  createRollup,
  mergeRollup,
  rollupFromHash,
  rollupQuantile,
  summarizeRollup,
} from './Rollup.js';
export type { RollupState, RollupSummary } from './Rollup.js';
export { DEFAULT_MAX_ENTRY_BYTES, WIRE_VERSION, decodeEntry, encodeEvent, isWireEvent, sampleOf } from './wire.js';
export type { DecodeFailure, DecodeResult, EventSample, WireEvent, WireEventBody } from './wire.js';
