import { requireArray, requirePositiveInt } from '../internal/configCheck.js';
import { ConfigurationError } from '../errors/MonitoringError.js';
import { addValue, createRollup, type RollupState } from './Rollup.js';
import { sampleOf, type WireEvent } from './wire.js';

/** One rollup window size and how long its windows are kept after they close. */
export interface RollupWindow {
  /** Window length in seconds, e.g. 60 for 1-minute rollups. */
  readonly seconds: number;
  /** How long a window's rollups live after the window ends, in seconds. */
  readonly retentionSeconds: number;
}

/** The windows: 1 min kept 2 h, 5 min kept 1 day, 1 h kept 7 days. */
export const DEFAULT_WINDOWS: readonly RollupWindow[] = Object.freeze([
  Object.freeze({ seconds: 60, retentionSeconds: 2 * 3600 }),
  Object.freeze({ seconds: 300, retentionSeconds: 24 * 3600 }),
  Object.freeze({ seconds: 3600, retentionSeconds: 7 * 24 * 3600 }),
]);

/** Validates a window list at setup; throws `ConfigurationError` naming the bad entry. */
export function validateWindows(windows: readonly RollupWindow[], option = 'windows'): readonly RollupWindow[] {
  requireArray(option, windows, 'a non-empty array of { seconds, retentionSeconds }', undefined, 1);
  const seen = new Set<number>();
  windows.forEach((w, i) => {
    requirePositiveInt(`${option}[${i}].seconds`, w?.seconds);
    requirePositiveInt(`${option}[${i}].retentionSeconds`, w.retentionSeconds);
    if (seen.has(w.seconds)) throw new ConfigurationError(`${option}[${i}].seconds`, w.seconds, 'a window size listed once');
    seen.add(w.seconds);
  });
  return Object.freeze(windows.map((w) => Object.freeze({ seconds: w.seconds, retentionSeconds: w.retentionSeconds })));
}

/** Start (ms since epoch) of the `seconds`-long window holding `timestampMs`. */
export function windowStart(timestampMs: number, seconds: number): number {
  const size = seconds * 1000;
  return Math.floor(timestampMs / size) * size;
}

/**
 * Identity of a rolled-up series: `[service, instance, metric, labels]` where `instance` is `''`
 * for the service-level rollup and labels are `[key, value]` pairs sorted by key. Serialised as
 * JSON so any character in a name or label survives the trip through a Redis set.
 */
export type SeriesIdentity = readonly [service: string, instance: string, metric: string, labels: readonly (readonly [string, string])[]];

/** Canonical string of a series identity (the member stored in a window's index set). */
export function seriesMember(service: string, instance: string, metric: string, labels: Readonly<Record<string, string>>): string {
  const pairs = Object.keys(labels).sort().map((k) => [k, labels[k]!] as const);
  return JSON.stringify([service, instance, metric, pairs]);
}

/** Parses `seriesMember` output; `undefined` for anything else. */
export function parseSeriesMember(member: string): SeriesIdentity | undefined {
  try {
    const v: unknown = JSON.parse(member);
    if (!Array.isArray(v) || v.length !== 4) return undefined;
    const [service, instance, metric, pairs] = v as unknown[];
    if (typeof service !== 'string' || typeof instance !== 'string' || typeof metric !== 'string' || !Array.isArray(pairs)) return undefined;
    for (const p of pairs) if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || typeof p[1] !== 'string') return undefined;
    return [service, instance, metric, pairs as [string, string][]];
  } catch {
    return undefined;
  }
}

/** The rollup of one series in one window, as collected from a batch of events. */
export interface BatchRollup {
  readonly windowSeconds: number;
  readonly windowStart: number;
  readonly member: string;
  readonly state: RollupState;
}

/** An event that belongs to a trace, kept for trace correlation. */
export interface BatchTraceEvent {
  readonly traceId: string;
  readonly json: string;
}

/**
 * Pure pre-aggregation of a batch of decoded events into per-window, per-series rollups, at both
 * the service level and the instance level. An event id seen twice in the batch counts once; the
 * aggregator repeats the same check against Redis for ids from earlier batches.
 *
 * @example
 * const batch = new RollupBatch(DEFAULT_WINDOWS);
 * for (const e of decoded) batch.add(e.value, e.json);
 * for (const r of batch.rollups.values()) console.log(r.member, r.state.count);
 */
export class RollupBatch {
  /** Event ids in this batch, in arrival order. */
  readonly ids: string[] = [];
  /** Event timestamps (ms), parallel to `ids`: they pick the time-bucketed seen set of each id. */
  readonly timestamps: number[] = [];
  /** `windowSeconds:windowStart:member` → rollup. */
  readonly rollups = new Map<string, BatchRollup>();
  readonly traces: BatchTraceEvent[] = [];
  /** Events whose id was already in the batch. */
  duplicates = 0;
  /** Ids of events left out because their value would overflow a rollup's sum. */
  readonly rejected: string[] = [];
  private readonly _seen = new Set<string>();

  /**
   * @param storedSum The sum already stored in Redis for a rollup (window size, window start,
   *   member), when known: an event whose value would make stored + batch sum overflow a double is
   *   rejected on its own, and the rest of the batch is kept.
   */
  constructor(
    private readonly _windows: readonly RollupWindow[],
    private readonly _storedSum?: (seconds: number, start: number, member: string) => number,
  ) {}

  /**
   * Adds an event; returns false when its id is already in the batch (counted as a duplicate) or
   * when its value would overflow a rollup's sum (listed in `rejected`, nothing of it added).
   */
  add(w: WireEvent, json: string): boolean {
    if (this._seen.has(w.id)) {
      this.duplicates++;
      return false;
    }
    const ev = w.event;
    const sample = sampleOf(ev);
    let service = '';
    let instance = '';
    if (sample !== undefined) {
      service = seriesMember(w.service, '', sample.metric, sample.labels);
      instance = seriesMember(w.service, w.instance, sample.metric, sample.labels);
      for (const win of this._windows) {
        const start = windowStart(ev.timestamp, win.seconds);
        if (!this._fits(win.seconds, start, service, sample.value) || !this._fits(win.seconds, start, instance, sample.value)) {
          this._seen.add(w.id);
          this.rejected.push(w.id);
          return false;
        }
      }
    }
    this._seen.add(w.id);
    this.ids.push(w.id);
    this.timestamps.push(ev.timestamp);
    if (ev.traceId !== undefined) this.traces.push({ traceId: ev.traceId, json });
    if (sample === undefined) return true;
    for (const win of this._windows) {
      const start = windowStart(ev.timestamp, win.seconds);
      this._add(win.seconds, start, service, sample.value);
      this._add(win.seconds, start, instance, sample.value);
    }
    return true;
  }

  /** True when adding `value` keeps the rollup's total (stored + batch) a finite double. */
  private _fits(seconds: number, start: number, member: string, value: number): boolean {
    const inBatch = this.rollups.get(`${seconds}:${start}:${member}`)?.state.sum ?? 0;
    const stored = this._storedSum?.(seconds, start, member) ?? 0;
    return Number.isFinite(stored + inBatch + value) && Number.isFinite(inBatch + value);
  }

  private _add(seconds: number, start: number, member: string, value: number): void {
    const key = `${seconds}:${start}:${member}`;
    let r = this.rollups.get(key);
    if (r === undefined) {
      r = { windowSeconds: seconds, windowStart: start, member, state: createRollup() };
      this.rollups.set(key, r);
    }
    addValue(r.state, value);
  }
}
