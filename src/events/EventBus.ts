import { ConfigurationError } from '../errors/MonitoringError.js';
import { reportOnce } from '../internal/report.js';
import type {
  EventInput,
  EventPattern,
  EventType,
  EventsMatching,
  MonitoringEvent,
  MonitoringEventMap,
} from './types.js';

export type EventHandler<E> = (event: E) => void | Promise<void>;

export interface SubscribeOptions {
  /**
   * Deliver through a bounded queue, one event at a time, instead of inline. Defaults to true for
   * `async` functions and false otherwise.
   */
  async?: boolean;
  /** Capacity of this subscriber's queue (async only). Defaults to the bus's `queueSize`. */
  queueSize?: number;
}

export interface EventBusOptions {
  /** Default capacity of each async subscriber's queue. Default 10,000. */
  queueSize?: number;
}

/** Counters a bus keeps about itself. */
export interface EventBusStats {
  published: number;
  delivered: number;
  /** Events dropped because an async subscriber's queue was full (oldest dropped first). */
  dropped: number;
  /** Subscriber calls that threw or rejected. */
  errors: number;
}

interface Subscriber {
  readonly pattern: string;
  readonly handler: EventHandler<MonitoringEvent>;
  readonly async: boolean;
  readonly capacity: number;
  readonly queue: (MonitoringEvent | undefined)[];
  head: number;
  size: number;
  draining: boolean;
  active: boolean;
  idle: (() => void)[];
}

const NO_SUBSCRIBERS: readonly Subscriber[] = Object.freeze([]);
const NO_ATTRIBUTES = Object.freeze({});

interface MutableEvent {
  type: string;
  timestamp: number;
  attributes: object | undefined;
}

/**
 * The typed monitoring event bus. Payload types come from `MonitoringEventMap`, so a handler for
 * `performance.phase.end` sees `durationMs`, and a misspelt type does not compile. Patterns may be
 * exact, a prefix wildcard (`performance.*`) or `*`.
 *
 * Sync handlers run inline; a throwing handler is counted and reported once, never rethrown.
 * Async handlers (or `{ async: true }`) get their own bounded queue, drained one event at a time:
 * when it is full the oldest event is dropped (monitoring wants the freshest data), the drop is
 * counted in `stats().dropped` and announced by a `monitoring.dropped` event.
 *
 * @example
 * const bus = new EventBus();
 * const off = bus.subscribe('performance.phase.end', (e) => console.log(e.name, e.durationMs));
 * bus.subscribe('health.*', async (e) => { await sendToPager(e); });
 * off();
 */
export class EventBus {
  private readonly _subscribers: Subscriber[] = [];
  private readonly _byType = new Map<string, readonly Subscriber[]>();
  private readonly _queueSize: number;
  private readonly _stats: EventBusStats = { published: 0, delivered: 0, dropped: 0, errors: 0 };
  private _announcingDrop = false;

  constructor(options: EventBusOptions = {}) {
    const size = options.queueSize ?? 10_000;
    if (!Number.isInteger(size) || size < 1) throw new ConfigurationError('queueSize', size, 'a positive integer');
    this._queueSize = size;
  }

  subscribe<P extends EventPattern>(
    pattern: P,
    handler: EventHandler<EventsMatching<P>>,
    options: SubscribeOptions = {},
  ): () => void {
    const p: string = pattern;
    if (typeof p !== 'string' || p === '' || (p.includes('*') && p !== '*' && !p.endsWith('.*'))) {
      throw new ConfigurationError('pattern', pattern, 'an event type, a prefix ending in ".*", or "*"');
    }
    if (typeof handler !== 'function') throw new ConfigurationError('handler', handler, 'a function');
    const capacity = options.queueSize ?? this._queueSize;
    if (!Number.isInteger(capacity) || capacity < 1) throw new ConfigurationError('queueSize', capacity, 'a positive integer');
    const sub: Subscriber = {
      pattern,
      handler: handler as EventHandler<MonitoringEvent>,
      async: options.async ?? handler.constructor.name === 'AsyncFunction',
      capacity,
      queue: [],
      head: 0,
      size: 0,
      draining: false,
      active: true,
      idle: [],
    };
    this._subscribers.push(sub);
    this._byType.clear();
    return () => {
      if (!sub.active) return;
      sub.active = false;
      this._subscribers.splice(this._subscribers.indexOf(sub), 1);
      this._byType.clear();
      sub.queue.length = 0;
      sub.size = 0;
      this._settle(sub);
    };
  }

  /** True when something listens to `type`: check it before building an expensive payload. */
  hasSubscribers(type: EventType): boolean {
    return this._match(type).length > 0;
  }

  /** Builds the event (adding `type`, `timestamp`, `attributes`) and delivers it. */
  publish<T extends EventType>(type: T, input: EventInput<T>): void {
    const subs = this._match(type);
    if (subs.length === 0) {
      this._stats.published++;
      return;
    }
    // Object.assign, not an object spread: on Node 20 `{ ...input, type }` measured ~1.6 µs per
    // event here against ~0.1 µs for this.
    const event = Object.assign({ type, timestamp: 0, attributes: NO_ATTRIBUTES }, input) as unknown as MutableEvent;
    event.type = type;
    if (!(event.timestamp > 0)) event.timestamp = Date.now();
    if (event.attributes === undefined) event.attributes = NO_ATTRIBUTES;
    this._deliver(event as unknown as MonitoringEventMap[T], subs);
  }

  /** Delivers an event that is already complete. */
  emit(event: MonitoringEvent): void {
    this._deliver(event, this._match(event.type));
  }

  stats(): Readonly<EventBusStats> {
    return { ...this._stats };
  }

  /** Resolves when every async queue is empty, or after `timeoutMs` (then resolves false). */
  async flush(timeoutMs = 5000): Promise<boolean> {
    const waits = this._subscribers.filter((s) => s.async && (s.size > 0 || s.draining)).map(
      (s) => new Promise<void>((resolve) => s.idle.push(resolve)),
    );
    if (waits.length === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
    });
    const result = await Promise.race([Promise.all(waits).then(() => true), timeout]);
    clearTimeout(timer);
    return result;
  }

  /** Removes every subscriber after flushing their queues (up to `timeoutMs`). Safe to call twice. */
  async shutdown(timeoutMs = 5000): Promise<void> {
    await this.flush(timeoutMs);
    for (const sub of [...this._subscribers]) {
      sub.active = false;
      this._settle(sub);
    }
    this._subscribers.length = 0;
    this._byType.clear();
  }

  private _match(type: string): readonly Subscriber[] {
    let subs = this._byType.get(type);
    if (subs === undefined) {
      const found = this._subscribers.filter((s) => matches(s.pattern, type));
      subs = found.length === 0 ? NO_SUBSCRIBERS : found;
      if (this._byType.size > 1000) this._byType.clear();
      this._byType.set(type, subs);
    }
    return subs;
  }

  private _deliver(event: MonitoringEvent, subs: readonly Subscriber[]): void {
    this._stats.published++;
    for (let i = 0; i < subs.length; i++) {
      const sub = subs[i]!;
      if (sub.async) this._enqueue(sub, event);
      else this._call(sub, event);
    }
  }

  private _call(sub: Subscriber, event: MonitoringEvent): void {
    try {
      const result = sub.handler(event);
      this._stats.delivered++;
      if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
        (result as Promise<void>).then(undefined, (err: unknown) => this._failed(sub, err));
      }
    } catch (err) {
      this._failed(sub, err);
    }
  }

  private _failed(sub: Subscriber, err: unknown): void {
    this._stats.errors++;
    reportOnce(`bus-subscriber:${sub.pattern}:${sub.handler.name}`, `event subscriber for "${sub.pattern}" failed: ${String((err as Error)?.message ?? err)}`);
  }

  private _enqueue(sub: Subscriber, event: MonitoringEvent): void {
    if (sub.size === sub.capacity) {
      sub.queue[sub.head] = undefined;
      sub.head = (sub.head + 1) % sub.capacity;
      sub.size--;
      this._stats.dropped++;
      this._announceDrop(sub, event);
    }
    sub.queue[(sub.head + sub.size) % sub.capacity] = event;
    sub.size++;
    if (!sub.draining) {
      sub.draining = true;
      setImmediate(() => void this._drain(sub));
    }
  }

  private async _drain(sub: Subscriber): Promise<void> {
    while (sub.active && sub.size > 0) {
      const event = sub.queue[sub.head]!;
      sub.queue[sub.head] = undefined;
      sub.head = (sub.head + 1) % sub.capacity;
      sub.size--;
      try {
        await sub.handler(event);
        this._stats.delivered++;
      } catch (err) {
        this._failed(sub, err);
      }
    }
    sub.draining = false;
    this._settle(sub);
  }

  private _settle(sub: Subscriber): void {
    if (sub.size > 0 && sub.active) return;
    const waiting = sub.idle.splice(0);
    for (const resolve of waiting) resolve();
  }

  private _announceDrop(sub: Subscriber, event: MonitoringEvent): void {
    const dropped = this._stats.dropped;
    reportOnce(`bus-drop:${sub.pattern}`, `event queue of subscriber "${sub.pattern}" is full (${sub.capacity}); dropping oldest events`);
    // Announce the first drop and then every 1000th, never from inside an announcement, so a
    // wildcard subscriber that is itself full cannot make the bus recurse.
    if (this._announcingDrop || event.type === 'monitoring.dropped' || (dropped !== 1 && dropped % 1000 !== 0)) return;
    this._announcingDrop = true;
    try {
      this.publish('monitoring.dropped', { source: `event-bus:${sub.pattern}`, reason: 'queue_full', count: dropped });
    } finally {
      this._announcingDrop = false;
    }
  }
}

function matches(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}
