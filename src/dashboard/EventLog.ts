import type { EventRecord } from './model.js';

/**
 * The last `capacity` bus events, a per-second count for the event rate, and listeners for the live
 * feed. Listeners get batches, at most one per `flushMs`, so a burst of events costs the browser one
 * message, not thousands.
 */
export class EventLog {
  readonly capacity: number;
  private readonly _ring: EventRecord[] = [];
  private _seq = 0;
  private readonly _perSecond = new Map<number, number>();
  private readonly _listeners = new Set<(batch: EventRecord[]) => void>();
  private _pending: EventRecord[] = [];
  private _timer: NodeJS.Timeout | undefined;

  constructor(capacity = 2_000, private readonly _flushMs = 250) {
    this.capacity = capacity;
  }

  add(type: string, timestamp: number, traceId: string | undefined, data: Record<string, unknown>): void {
    const rec: EventRecord = { seq: ++this._seq, type, timestamp, traceId, data };
    this._ring.push(rec);
    if (this._ring.length > this.capacity) this._ring.splice(0, this._ring.length - this.capacity);
    const sec = Math.floor(timestamp / 1000);
    this._perSecond.set(sec, (this._perSecond.get(sec) ?? 0) + 1);
    if (this._perSecond.size > 900) {
      for (const k of this._perSecond.keys()) {
        if (this._perSecond.size <= 600) break;
        this._perSecond.delete(k);
      }
    }
    if (this._listeners.size === 0) return;
    this._pending.push(rec);
    if (this._pending.length > this.capacity) this._pending.splice(0, this._pending.length - this.capacity);
    if (this._timer === undefined) {
      this._timer = setTimeout(() => this._flush(), this._flushMs);
      this._timer.unref();
    }
  }

  /** Newest last; `after` skips events up to that sequence number. */
  recent(limit = 200, after = 0, type?: string): EventRecord[] {
    const out: EventRecord[] = [];
    for (let i = this._ring.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this._ring[i]!;
      if (e.seq <= after) break;
      if (type !== undefined && type !== '' && !e.type.startsWith(type)) continue;
      out.push(e);
    }
    return out.reverse();
  }

  /** Events per second over the last `seconds` whole seconds, oldest first. */
  rate(now: number, seconds = 60): { time: number; count: number }[] {
    const cur = Math.floor(now / 1000);
    const out: { time: number; count: number }[] = [];
    for (let s = cur - seconds; s < cur; s++) out.push({ time: s * 1000, count: this._perSecond.get(s) ?? 0 });
    return out;
  }

  subscribe(listener: (batch: EventRecord[]) => void): () => void {
    this._listeners.add(listener);
    return () => {
      this._listeners.delete(listener);
    };
  }

  get listeners(): number {
    return this._listeners.size;
  }

  close(): void {
    if (this._timer !== undefined) clearTimeout(this._timer);
    this._timer = undefined;
    this._listeners.clear();
  }

  private _flush(): void {
    this._timer = undefined;
    const batch = this._pending;
    this._pending = [];
    for (const l of this._listeners) {
      try {
        l(batch);
      } catch {
        // A listener is a browser connection; its failure is its own.
      }
    }
  }
}
