import type { SpanRecord } from './model.js';

/** A trace as the store holds it: its spans and what a search needs, kept up to date on add. */
export interface TraceEntry {
  readonly traceId: string;
  readonly spans: SpanRecord[];
  start: number;
  end: number;
  rootName: string;
  rootService: string;
  rootSpanId: string | undefined;
  errors: number;
  services: Set<string>;
  /** Insertion number; newer traces have larger ones. */
  readonly seq: number;
  evicted: boolean;
}

/** One row of a trace search. */
export interface TraceSummary {
  readonly traceId: string;
  readonly name: string;
  readonly service: string;
  readonly services: readonly string[];
  readonly start: number;
  readonly durationMs: number;
  readonly spans: number;
  readonly errors: number;
}

/** What the Traces page searches by. Every field is optional; strings match case-insensitively. */
export interface TraceQuery {
  service?: string | undefined;
  /** A substring of any span's name. */
  name?: string | undefined;
  minMs?: number | undefined;
  maxMs?: number | undefined;
  status?: 'error' | 'ok' | undefined;
  /** `key=value` on any span's attributes (or resource). */
  attrKey?: string | undefined;
  attrValue?: string | undefined;
  /** Only traces whose root started at or after this epoch millisecond. */
  since?: number | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

export interface TraceSearchResult {
  /** Matching traces in the store (all pages). */
  readonly total: number;
  readonly offset: number;
  readonly traces: readonly TraceSummary[];
}

export interface TraceStoreOptions {
  /** Most traces held; the oldest goes first. Default 10,000. */
  maxTraces?: number;
  /** Most spans kept per trace; more are counted and dropped. Default 2,000. */
  maxSpansPerTrace?: number;
}

/**
 * Bounded in-memory traces, newest last: spans are grouped by trace id as they arrive, and when
 * `maxTraces` is reached the trace that arrived first is evicted. Searches scan from the newest and
 * page on the server, so the browser only ever holds one page.
 */
export class TraceStore {
  readonly maxTraces: number;
  readonly maxSpansPerTrace: number;
  private readonly _byId = new Map<string, TraceEntry>();
  private _order: (TraceEntry | undefined)[] = [];
  private _head = 0;
  private _seq = 0;
  private _evicted = 0;
  private _droppedSpans = 0;
  private _spans = 0;

  constructor(options: TraceStoreOptions = {}) {
    this.maxTraces = options.maxTraces ?? 10_000;
    this.maxSpansPerTrace = options.maxSpansPerTrace ?? 2_000;
  }

  get size(): number {
    return this._byId.size;
  }

  /** Spans accepted since creation, traces evicted, spans dropped over the per-trace cap. */
  stats(): { traces: number; spans: number; evictedTraces: number; droppedSpans: number } {
    return { traces: this._byId.size, spans: this._spans, evictedTraces: this._evicted, droppedSpans: this._droppedSpans };
  }

  add(span: SpanRecord): void {
    let t = this._byId.get(span.traceId);
    if (t === undefined) {
      if (this._byId.size >= this.maxTraces) this._evictOldest();
      t = {
        traceId: span.traceId,
        spans: [],
        start: span.start,
        end: span.end,
        rootName: span.name,
        rootService: span.service,
        rootSpanId: undefined,
        errors: 0,
        services: new Set(),
        seq: this._seq++,
        evicted: false,
      };
      this._byId.set(span.traceId, t);
      this._order.push(t);
    } else if (t.spans.length >= this.maxSpansPerTrace) {
      this._droppedSpans++;
      return;
    }
    this._spans++;
    t.spans.push(span);
    t.services.add(span.service);
    if (span.start < t.start) t.start = span.start;
    if (span.end > t.end) t.end = span.end;
    if (span.status === 'error') t.errors++;
    // The root is the span without a parent; until it arrives, the earliest span stands in for it.
    if (span.parentSpanId === undefined || span.parentSpanId === '') {
      t.rootSpanId = span.spanId;
      t.rootName = span.name;
      t.rootService = span.service;
    } else if (t.rootSpanId === undefined && span.start <= t.start) {
      t.rootName = span.name;
      t.rootService = span.service;
    }
  }

  get(traceId: string): TraceEntry | undefined {
    return this._byId.get(traceId);
  }

  /** Every service name seen in the held traces, with its trace count. */
  services(): { name: string; traces: number }[] {
    const counts = new Map<string, number>();
    for (const t of this._byId.values()) for (const s of t.services) counts.set(s, (counts.get(s) ?? 0) + 1);
    return [...counts].map(([name, traces]) => ({ name, traces })).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Newest first; scans the whole store, so `total` is exact. */
  search(q: TraceQuery): TraceSearchResult {
    const limit = clampInt(q.limit, 1, 500, 50);
    const offset = clampInt(q.offset, 0, Number.MAX_SAFE_INTEGER, 0);
    const service = q.service?.toLowerCase() || undefined;
    const name = q.name?.toLowerCase() || undefined;
    const attrKey = q.attrKey || undefined;
    const attrValue = q.attrValue;
    const out: TraceSummary[] = [];
    let total = 0;
    for (let i = this._order.length - 1; i >= this._head; i--) {
      const t = this._order[i];
      if (t === undefined || t.evicted) continue;
      const duration = t.end - t.start;
      if (q.since !== undefined && t.start < q.since) continue;
      if (q.minMs !== undefined && duration < q.minMs) continue;
      if (q.maxMs !== undefined && duration > q.maxMs) continue;
      if (q.status === 'error' && t.errors === 0) continue;
      if (q.status === 'ok' && t.errors > 0) continue;
      if (service !== undefined && !hasService(t, service)) continue;
      if (name !== undefined && !t.spans.some((s) => s.name.toLowerCase().includes(name))) continue;
      if (attrKey !== undefined && !t.spans.some((s) => attrMatches(s, attrKey, attrValue))) continue;
      total++;
      if (total > offset && out.length < limit) out.push(summarize(t));
    }
    return { total, offset, traces: out };
  }

  /** Traces whose root has this name (and service, if given), newest first, at most `limit`. */
  byRoot(name: string, service: string | undefined, limit: number): TraceEntry[] {
    const out: TraceEntry[] = [];
    for (let i = this._order.length - 1; i >= this._head && out.length < limit; i--) {
      const t = this._order[i];
      if (t === undefined || t.evicted || t.rootName !== name) continue;
      if (service !== undefined && service !== '' && t.rootService !== service) continue;
      out.push(t);
    }
    return out;
  }

  /** Traces whose root started at or after `since`, newest first. */
  *recent(since: number): Generator<TraceEntry> {
    for (let i = this._order.length - 1; i >= this._head; i--) {
      const t = this._order[i];
      if (t === undefined || t.evicted) continue;
      if (t.start < since) {
        // Arrival order is only roughly start order: look a little further before stopping.
        if (t.start < since - 60_000) return;
        continue;
      }
      yield t;
    }
  }

  clear(): void {
    this._byId.clear();
    this._order = [];
    this._head = 0;
  }

  private _evictOldest(): void {
    while (this._head < this._order.length) {
      const t = this._order[this._head];
      this._order[this._head++] = undefined;
      if (t !== undefined && !t.evicted) {
        t.evicted = true;
        this._byId.delete(t.traceId);
        this._evicted++;
        break;
      }
    }
    if (this._head > 1024 && this._head * 2 > this._order.length) {
      this._order = this._order.slice(this._head);
      this._head = 0;
    }
  }
}

export function summarize(t: TraceEntry): TraceSummary {
  return {
    traceId: t.traceId,
    name: t.rootName,
    service: t.rootService,
    services: [...t.services],
    start: t.start,
    durationMs: t.end - t.start,
    spans: t.spans.length,
    errors: t.errors,
  };
}

function hasService(t: TraceEntry, service: string): boolean {
  for (const s of t.services) if (s.toLowerCase() === service) return true;
  return false;
}

function attrMatches(s: SpanRecord, key: string, value: string | undefined): boolean {
  const v = key in s.attributes ? s.attributes[key] : s.resource[key];
  if (v === undefined) return false;
  if (value === undefined || value === '') return true;
  return String(v) === value;
}

function clampInt(v: number | undefined, min: number, max: number, fallback: number): number {
  if (v === undefined || !Number.isFinite(v)) return fallback;
  return Math.min(max, Math.max(min, Math.floor(v)));
}
