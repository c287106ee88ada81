import { positiveIntOr, requireMatch, requireNonEmptyString, requireNumber, requireObject, requireOneOf, shortStringOr } from '../internal/configCheck.js';
import { ConfigurationError, UnavailableError } from '../errors/MonitoringError.js';
import { closeRedis, openRedis, type OpenedRedis, type RedisTarget } from './connection.js';
import { indexKey, rollupKey, traceKey } from './keys.js';
import { createRollup, mergeRollup, rollupFromHash, summarizeRollup, type RollupState, type RollupSummary } from './Rollup.js';
import { DEFAULT_WINDOWS, parseSeriesMember, validateWindows, windowStart, type RollupWindow } from './RollupBatch.js';
import { decodeEntry, WIRE_VERSION, type WireEvent } from './wire.js';

/** Options of `RedisRollupQuery`. */
export interface RedisRollupQueryOptions {
  /** Redis URL, ioredis options or client. Default: `REDIS_URL`, else `redis://127.0.0.1:6379`. */
  readonly redis?: RedisTarget;
  /** Key prefix the aggregators use. Default `si`. */
  readonly prefix?: string;
  /** The aggregators' windows (to validate `windowSeconds`). Default: the default windows. */
  readonly windows?: readonly RollupWindow[];
  /** Default 5,000 ms. */
  readonly commandTimeoutMs?: number;
  /** Longest reconnect delay. Default 5,000 ms. */
  readonly retryMaxDelayMs?: number;
  /** Most windows one query may span. Default 1,440. */
  readonly maxWindowsPerQuery?: number;
}

/** What to read: one metric, one window size, a time range, optional service/instance/label filters. */
export interface RollupFilter {
  readonly metric: string;
  /** One of the configured window sizes, e.g. 60. */
  readonly windowSeconds: number;
  /** Range start, ms since the epoch (the window containing it is included). */
  readonly from: number;
  /** Range end, ms since the epoch (the window containing it is included). */
  readonly to: number;
  readonly service?: string;
  /** Only this instance (implies `scope: 'instance'`). */
  readonly instance?: string;
  /** Series must carry these label values; series differing in other labels are merged. */
  readonly labels?: Readonly<Record<string, string>>;
  /** `service` (default): one rollup per service, merged over all its instances. `instance`: one per instance. */
  readonly scope?: 'service' | 'instance';
}

/** One window's rollup for one service (or one instance). */
export interface RollupPoint extends RollupSummary {
  readonly windowStart: number;
  readonly windowSeconds: number;
  readonly service: string;
  /** Set when `scope` is `instance`. */
  readonly instance?: string;
}

interface Selected {
  readonly start: number;
  readonly service: string;
  readonly instance: string;
  readonly key: string;
}

/**
 * Reads the aggregators' rollups and trace lists. Percentiles are computed from the merged sketch
 * bins of every matching series, so a service-level p99 is the p99 of all its instances' values.
 *
 * @example
 * const query = new RedisRollupQuery({ redis: process.env.REDIS_URL });
 * const now = Date.now();
 * const points = await query.rollups({ metric: 'phase:checkout', windowSeconds: 60, from: now - 3_600_000, to: now });
 * const perInstance = await query.rollups({ metric: 'phase:checkout', windowSeconds: 60, from: now - 60_000, to: now, scope: 'instance' });
 * const events = await query.trace('4bf92f3577b34da6a3ce929d0e0e4736');
 */
export class RedisRollupQuery {
  readonly prefix: string;
  private readonly _conn: OpenedRedis;
  private readonly _windows: ReadonlySet<number>;
  private readonly _maxWindows: number;
  private readonly _timeoutMs: number;
  private _shutdown: Promise<void> | undefined;

  constructor(options: RedisRollupQueryOptions = {}) {
    this.prefix = shortStringOr('prefix', options.prefix, 'si');
    this._windows = new Set(validateWindows(options.windows ?? DEFAULT_WINDOWS).map((w) => w.seconds));
    this._maxWindows = positiveIntOr('maxWindowsPerQuery', options.maxWindowsPerQuery, 1440);
    this._timeoutMs = positiveIntOr('commandTimeoutMs', options.commandTimeoutMs, 5000);
    this._conn = openRedis(options.redis, {
      commandTimeoutMs: this._timeoutMs,
      retryMaxDelayMs: positiveIntOr('retryMaxDelayMs', options.retryMaxDelayMs, 5000),
      name: 'si-rollup-query',
    });
  }

  /** One rollup per window in the range (and per service or instance), oldest first. Empty windows are left out. */
  async rollups(filter: RollupFilter): Promise<RollupPoint[]> {
    const groups = await this._collect(filter, true);
    const out: RollupPoint[] = [];
    for (const g of groups.values()) {
      const base = { windowStart: g.start, windowSeconds: filter.windowSeconds, service: g.service };
      out.push(g.instance === '' ? { ...base, ...summarizeRollup(g.state) } : { ...base, instance: g.instance, ...summarizeRollup(g.state) });
    }
    out.sort((a, b) => a.windowStart - b.windowStart || cmp(a.service, b.service) || cmp(a.instance ?? '', b.instance ?? ''));
    return out;
  }

  /** Everything matching the filter merged into one summary (all windows, services and instances in range). */
  async summary(filter: RollupFilter): Promise<RollupSummary> {
    const groups = await this._collect(filter, false);
    const total = createRollup();
    for (const g of groups.values()) mergeRollup(total, g.state);
    return summarizeRollup(total);
  }

  /** The events of one trace from every instance, ordered by timestamp. */
  async trace(traceId: string): Promise<WireEvent[]> {
    requireMatch('traceId', traceId, /^[0-9a-f]{32}$/, '32 lowercase hex characters');
    await this._ready();
    const items = await this._conn.redis.lrange(traceKey(this.prefix, traceId), 0, -1);
    const out: WireEvent[] = [];
    for (const json of items) {
      const r = decodeEntry(['v', WIRE_VERSION, 'd', json], Infinity);
      if (r.ok) out.push(r.value);
    }
    out.sort((a, b) => a.event.timestamp - b.event.timestamp);
    return out;
  }

  /** Closes the client if the query opened it. Safe to call twice. */
  shutdown(timeoutMs = 1000): Promise<void> {
    this._shutdown ??= closeRedis(this._conn, timeoutMs);
    return this._shutdown;
  }

  private async _collect(filter: RollupFilter, perWindow: boolean): Promise<Map<string, { start: number; service: string; instance: string; state: RollupState }>> {
    const f = this._check(filter);
    const size = f.windowSeconds * 1000;
    const first = windowStart(f.from, f.windowSeconds);
    const last = windowStart(f.to, f.windowSeconds);
    const count = (last - first) / size + 1;
    if (count > this._maxWindows) throw new ConfigurationError('to', f.to, `a range of at most ${this._maxWindows} windows of ${f.windowSeconds} s`);
    await this._ready();
    const redis = this._conn.redis;
    const starts: number[] = [];
    const list = redis.pipeline();
    for (let s = first; s <= last; s += size) {
      starts.push(s);
      list.smembers(indexKey(this.prefix, f.windowSeconds, s));
    }
    const members = throwFirstError(await list.exec());
    const wantInstance = f.scope === 'instance' || f.instance !== undefined;
    const selected: Selected[] = [];
    members!.forEach(([err, value], i) => {
      if (err !== null || !Array.isArray(value)) return;
      for (const m of value as string[]) {
        const id = parseSeriesMember(m);
        if (id === undefined) continue;
        const [service, instance, metric, pairs] = id;
        if (metric !== f.metric || (instance !== '') !== wantInstance) continue;
        if (f.service !== undefined && service !== f.service) continue;
        if (f.instance !== undefined && instance !== f.instance) continue;
        if (f.labels !== undefined && !hasLabels(pairs, f.labels)) continue;
        selected.push({ start: starts[i]!, service, instance, key: rollupKey(this.prefix, f.windowSeconds, starts[i]!, m) });
      }
    });
    const groups = new Map<string, { start: number; service: string; instance: string; state: RollupState }>();
    if (selected.length === 0) return groups;
    const read = redis.pipeline();
    for (const s of selected) read.hgetall(s.key);
    const hashes = throwFirstError(await read.exec());
    selected.forEach((s, i) => {
      const entry = hashes![i];
      if (entry === undefined || entry[0] !== null) return;
      const state = rollupFromHash(entry[1] as Record<string, string>);
      if (state.count === 0) return;
      const g = perWindow ? `${s.start}\u0000${s.service}\u0000${s.instance}` : '';
      let group = groups.get(g);
      if (group === undefined) {
        group = { start: s.start, service: s.service, instance: s.instance, state: createRollup() };
        groups.set(g, group);
      }
      mergeRollup(group.state, state);
    });
    return groups;
  }

  /**
   * Waits (up to `commandTimeoutMs`) for the connection: the client fails fast while
   * disconnected, and a query must not mistake "not connected yet" for "no data".
   */
  private async _ready(): Promise<void> {
    const redis = this._conn.redis;
    if (redis.status === 'ready') return;
    if (redis.status === 'wait') void redis.connect().catch(() => undefined);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        redis.off('ready', onReady);
        reject(new UnavailableError(`Redis not reachable within ${this._timeoutMs} ms (status ${redis.status})`));
      }, this._timeoutMs);
      const onReady = (): void => {
        clearTimeout(timer);
        resolve();
      };
      redis.once('ready', onReady);
    });
  }

  private _check(f: RollupFilter): RollupFilter {
    requireObject('filter', f, 'a rollup filter object');
    requireNonEmptyString('metric', f.metric, 'a metric name');
    requireOneOf('windowSeconds', f.windowSeconds, [...this._windows]);
    requireNumber('from', f.from, {}, 'a finite timestamp');
    requireNumber('to', f.to, { min: f.from }, `a finite timestamp >= from (${f.from})`);
    if (f.scope !== undefined) requireOneOf('scope', f.scope, ['service', 'instance'], '"service" or "instance"');
    return f;
  }
}

function hasLabels(pairs: readonly (readonly [string, string])[], want: Readonly<Record<string, string>>): boolean {
  for (const key in want) {
    let found = false;
    for (const [k, v] of pairs) {
      if (k === key) {
        found = v === want[key];
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

/** A query answered partly is worse than one that fails: surface the first command error. */
function throwFirstError<T extends [Error | null, unknown][] | null>(results: T): T {
  if (results === null) throw new UnavailableError('Redis pipeline was not executed (connection lost)');
  for (const [err] of results) if (err !== null) throw err;
  return results;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
