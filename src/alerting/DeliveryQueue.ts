import { diag } from '@opentelemetry/api';
import { reportOnce } from '../internal/report.js';
import { raceDeadline } from '../internal/timeout.js';

const TIMED_OUT: unique symbol = Symbol('timed out');

export interface DeliveryOptions {
  /** Most notifications waiting; more are dropped (and counted). Default 100. */
  maxQueue: number;
  /** Attempts after the first one. Default 3. */
  retries: number;
  /** First backoff; doubles per retry, with ±20% jitter, capped at 30 s. Default 1 s. */
  backoffMs: number;
  /** Time one attempt may take. Default 10 s. */
  timeoutMs: number;
}

/** @internal Counters of one queue. */
export interface DeliveryStats {
  sent: number;
  failed: number;
  dropped: number;
  retried: number;
}

/**
 * One receiver's outbox: a bounded FIFO drained by one worker, each item tried with a timeout and
 * retried with exponential backoff. Nothing here throws into the caller, and every timer is unref'd.
 * @internal
 */
export class DeliveryQueue<T> {
  private readonly _queue: T[] = [];
  private _working = false;
  private _closing = false;
  private _idle: (() => void)[] = [];
  private _sleep: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  readonly stats: DeliveryStats = { sent: 0, failed: 0, dropped: 0, retried: 0 };

  constructor(
    private readonly _name: string,
    private readonly _send: (item: T, signal: AbortSignal) => Promise<void>,
    private readonly _options: DeliveryOptions,
    private readonly _onDrop: (reason: string) => void = () => undefined,
  ) {}

  get size(): number {
    return this._queue.length;
  }

  push(item: T): void {
    if (this._closing) {
      this._drop('closed');
      return;
    }
    if (this._queue.length >= this._options.maxQueue) {
      this._drop('queue_full');
      return;
    }
    this._queue.push(item);
    if (!this._working) void this._drain();
  }

  /** Resolves once the queue is empty; retries stop waiting for their backoff. */
  async close(): Promise<void> {
    this._closing = true;
    this._sleep?.wake();
    if (!this._working && this._queue.length === 0) return;
    await new Promise<void>((resolve) => this._idle.push(resolve));
  }

  private _drop(reason: string): void {
    this.stats.dropped++;
    reportOnce(`alerting.delivery.${this._name}.${reason}`, `alert receiver "${this._name}" dropped a notification (${reason})`);
    this._onDrop(reason);
  }

  private async _drain(): Promise<void> {
    this._working = true;
    try {
      while (this._queue.length > 0) {
        const item = this._queue.shift()!;
        await this._deliver(item);
      }
    } finally {
      this._working = false;
      const idle = this._idle;
      this._idle = [];
      for (const f of idle) f();
    }
  }

  private async _deliver(item: T): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const controller = new AbortController();
      try {
        // Background delivery: nobody awaits it, so the deadline must not hold the process open.
        const outcome = await raceDeadline(this._send(item, controller.signal), this._options.timeoutMs, TIMED_OUT, { unref: true });
        if (outcome === TIMED_OUT) {
          const reason = new Error(`timed out after ${this._options.timeoutMs} ms`);
          controller.abort(reason); // a send that listens stops its request
          throw reason;
        }
        this.stats.sent++;
        return;
      } catch (err) {
        if (attempt >= this._options.retries || this._closing) {
          this.stats.failed++;
          reportOnce(`alerting.delivery.${this._name}.failed`, `alert receiver "${this._name}" failed after ${attempt + 1} attempts: ${String(err)}`);
          diag.debug(`[service-infrastructure] alert receiver "${this._name}": ${String(err)}`);
          return;
        }
        this.stats.retried++;
        const base = Math.min(30_000, this._options.backoffMs * 2 ** attempt);
        await this._wait(base * (0.8 + Math.random() * 0.4));
      }
    }
  }

  private _wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this._sleep = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this._sleep = { timer, wake };
    });
  }
}
