import { requireNonBlankString, requireObject } from '../internal/configCheck.js';
import { randomUUID } from 'node:crypto';
import { ConfigurationError } from '../errors/MonitoringError.js';
import { parseDuration } from './duration.js';
import { compileMatchers, matchesAll, type CompiledMatcher } from './matchers.js';
import type { Silence, SilenceInput } from './types.js';

interface SilenceRecord {
  readonly id: string;
  readonly matchers: readonly CompiledMatcher[];
  readonly startsAt: number;
  endsAt: number;
  readonly createdBy: string;
  readonly comment: string;
}

/** Expired silences are kept this long for the API, then forgotten. */
const EXPIRED_RETENTION_MS = 24 * 3_600_000;

/**
 * Silences as in Alertmanager: matchers, a time range, an author and a comment. Bounded: creating
 * one past `max` throws (it is an API call, so the caller sees it). @internal
 */
export class Silences {
  private readonly _silences = new Map<string, SilenceRecord>();

  constructor(private readonly _max = 1000) {}

  create(input: SilenceInput, now: number): Silence {
    requireObject('silence', input, 'an object with matchers, createdBy, comment and endsAt or duration');
    const matchers = compileMatchers(input.matchers, 'silence.matchers');
    if (matchers.length === 0) throw new ConfigurationError('silence.matchers', input.matchers, 'at least one matcher');
    if (matchers.every((m) => m.test(''))) throw new ConfigurationError('silence.matchers', input.matchers, 'at least one matcher that does not match the empty string (as Alertmanager requires)');
    requireNonBlankString('silence.createdBy', input.createdBy);
    requireNonBlankString('silence.comment', input.comment);
    const startsAt = input.startsAt === undefined ? now : toTime(input.startsAt, 'silence.startsAt');
    let endsAt: number;
    if (input.endsAt !== undefined) endsAt = toTime(input.endsAt, 'silence.endsAt');
    else if (input.duration !== undefined) endsAt = startsAt + parseDuration(input.duration, 'silence.duration', false);
    else throw new ConfigurationError('silence.endsAt', undefined, 'an end time or a duration');
    if (endsAt <= startsAt) throw new ConfigurationError('silence.endsAt', input.endsAt ?? input.duration, 'a time after startsAt');
    this.prune(now);
    if (this._silences.size >= this._max) throw new ConfigurationError('silence', `${this._silences.size} silences`, `at most ${this._max}; expire some first`);
    const record: SilenceRecord = { id: randomUUID(), matchers, startsAt, endsAt, createdBy: input.createdBy, comment: input.comment };
    this._silences.set(record.id, record);
    return view(record, now);
  }

  /** Ends a silence now; false when there is no such silence. */
  expire(id: string, now: number): boolean {
    const s = this._silences.get(id);
    if (s === undefined) return false;
    if (s.endsAt > now) s.endsAt = now;
    return true;
  }

  get(id: string, now: number): Silence | undefined {
    const s = this._silences.get(id);
    return s === undefined ? undefined : view(s, now);
  }

  list(now: number): Silence[] {
    this.prune(now);
    return [...this._silences.values()].map((s) => view(s, now));
  }

  /** Ids of the active silences that match `labels`. */
  matching(labels: Readonly<Record<string, string>>, now: number): string[] {
    const out: string[] = [];
    for (const s of this._silences.values()) if (s.startsAt <= now && now < s.endsAt && matchesAll(s.matchers, labels)) out.push(s.id);
    return out;
  }

  prune(now: number): void {
    for (const [id, s] of this._silences) if (s.endsAt < now - EXPIRED_RETENTION_MS) this._silences.delete(id);
  }
}

function view(s: SilenceRecord, now: number): Silence {
  return {
    id: s.id,
    matchers: s.matchers.map((m) => ({ name: m.name, op: m.op, value: m.value })),
    startsAt: new Date(s.startsAt).toISOString(),
    endsAt: new Date(s.endsAt).toISOString(),
    createdBy: s.createdBy,
    comment: s.comment,
    state: now < s.startsAt ? 'pending' : now < s.endsAt ? 'active' : 'expired',
  };
}

function toTime(v: unknown, option: string): number {
  const t = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(t)) throw new ConfigurationError(option, v, 'an ISO 8601 time or epoch milliseconds');
  return t;
}
