/** @internal Redis key layout shared by the aggregator (writer) and the query API (reader). */
export function rollupKey(prefix: string, seconds: number, start: number, member: string): string {
  return `${prefix}:r:${seconds}:${start}:${member}`;
}

/** @internal Set of the series members that have a rollup in one window. */
export function indexKey(prefix: string, seconds: number, start: number): string {
  return `${prefix}:i:${seconds}:${start}`;
}

/** @internal Ids already counted, bucketed by the event's minute so old buckets expire whole. */
export function seenKey(prefix: string, timestampMs: number): string {
  return `${prefix}:seen:${Math.floor(timestampMs / 60_000)}`;
}

/** @internal Events of one trace, in arrival order. */
export function traceKey(prefix: string, traceId: string): string {
  return `${prefix}:t:${traceId}`;
}
