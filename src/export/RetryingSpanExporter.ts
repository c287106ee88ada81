import { diag } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/** Why buffered spans were given up; each is a `reason` of the dropped-records counter. */
export type ExportDropReason = 'export_buffer_full' | 'export_expired' | 'export_rejected' | 'export_shutdown';

export interface RetryingSpanExporterOptions {
  /** Most spans kept for retry; the oldest batches go first when a new one would not fit. */
  maxSpans: number;
  /** How long (ms) a batch is retried after its first failed export before it is dropped. */
  maxAgeMs: number;
  /** First wait between retries (ms); doubled after each failed retry up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Counts dropped spans (the monitoring's dropped-records counter); called with the span count. */
  onDrop(reason: ExportDropReason, spans: number, message: string): void;
  /** Clock, for tests. */
  now?: () => number;
}

interface Pending {
  readonly spans: ReadableSpan[];
  /** When its first export failed. */
  readonly since: number;
}

const EXPORT_ANSWER_TIMEOUT_MS = 30_000;
const STATUS_CODE_RETRYABLE = new Set([429, 502, 503, 504]);

/**
 * Whether an OTLP export failed for certain, so sending the batch again cannot duplicate it:
 * connection refused or reset, or an answer of 429, 502, 503 or 504 (what is left after the
 * OTLP exporter's own retries ran out). A timeout is not: the endpoint may have taken the batch
 * and only been slow to answer, so that batch is given up (and counted by the exporter), as is one
 * the endpoint rejected for good (400, 401, 413, ...) or that cannot be serialized.
 */
export function isRetryableExportError(error: unknown): boolean {
  if (error === undefined || error === null) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number') return STATUS_CODE_RETRYABLE.has(code);
  const message = (error as { message?: unknown }).message;
  return message !== 'Nothing to send' && message !== 'Request timed out';
}

/**
 * A span exporter in front of the OTLP one that keeps batches whose export failed with a
 * retryable error and retries them, oldest first, with backoff: the Collector can be away longer
 * than OTel's own five retries and still receive every span, once.
 *
 * - The buffer is bounded by `maxSpans`; when a failed batch would not fit, the oldest buffered
 *   batches are dropped first. A batch is dropped once `maxAgeMs` passed since its first failure.
 *   Every drop is counted through `onDrop` (span count and reason).
 * - A batch is sent again only after its export answered with a failure, and one export is in
 *   flight at a time, so spans keep their order and none is sent twice by this layer.
 * - The batch processor in front is told a failed batch was accepted once it is buffered, so it
 *   moves on; later batches queue behind the buffered ones.
 * - The retry timer is unref'd; `forceFlush()` retries what is buffered at once; `shutdown()` tries
 *   once more, then drops (and counts) what is left. Nothing here throws.
 */
export class RetryingSpanExporter implements SpanExporter {
  private readonly _queue: Pending[] = [];
  private _buffered = 0;
  private _sending = false;
  private _timer: NodeJS.Timeout | undefined;
  private _backoff: number;
  private _stopped = false;
  private readonly _initialBackoff: number;
  private readonly _maxBackoff: number;
  private readonly _now: () => number;
  private _idle: (() => void)[] = [];

  constructor(
    private readonly _inner: SpanExporter,
    private readonly _options: RetryingSpanExporterOptions,
  ) {
    this._initialBackoff = _options.initialBackoffMs ?? 1000;
    this._maxBackoff = _options.maxBackoffMs ?? 5000;
    this._backoff = this._initialBackoff;
    this._now = _options.now ?? Date.now;
  }

  /** Spans waiting for a retry (including a batch being retried). */
  get bufferedSpans(): number {
    return this._buffered;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this._stopped) {
      this._inner.export(spans, resultCallback);
      return;
    }
    if (this._queue.length > 0 || this._sending) {
      // Behind batches already waiting: keep the order, send nothing now.
      this._add({ spans, since: this._now() });
      resultCallback({ code: ExportResultCode.SUCCESS });
      this._schedule();
      return;
    }
    this._sending = true;
    void this._send(spans).then((result) => {
      this._sending = false;
      if (result.code === ExportResultCode.SUCCESS) {
        resultCallback(result);
      } else if (!isRetryableExportError(result.error)) {
        // The batch processor and the exporter's own metrics count this failure.
        resultCallback(result);
      } else {
        this._queue.unshift({ spans, since: this._now() });
        this._buffered += spans.length;
        this._trim();
        resultCallback({ code: ExportResultCode.SUCCESS });
      }
      this._schedule();
      this._settle();
    });
  }

  /** Retries what is buffered now (no backoff); resolves when the buffer is empty or a retry failed. */
  async forceFlush(): Promise<void> {
    await this._drainNow();
    await this._inner.forceFlush?.();
  }

  async shutdown(): Promise<void> {
    if (this._stopped) return;
    await this._drainNow();
    this._stopped = true;
    this.discard('export_shutdown');
    await this._inner.shutdown();
  }

  /** Drops (and counts under `reason`) everything buffered; used when shutdown ran out of time. */
  discard(reason: ExportDropReason = 'export_shutdown'): void {
    this._clearTimer();
    const queued = this._queue.splice(0).reduce((n, p) => n + p.spans.length, 0);
    this._buffered -= queued;
    if (queued > 0) this._options.onDrop(reason, queued, `${queued} buffered span(s) were not exported before shutdown`);
  }

  private async _drainNow(): Promise<void> {
    this._clearTimer();
    await this._whenIdle();
    while (this._queue.length > 0) {
      const ok = await this._retryHead();
      if (!ok) break;
    }
    this._schedule();
  }

  private _whenIdle(): Promise<void> {
    if (!this._sending) return Promise.resolve();
    return new Promise((resolve) => this._idle.push(resolve));
  }

  private _settle(): void {
    if (this._sending) return;
    const waiting = this._idle;
    this._idle = [];
    for (const resolve of waiting) resolve();
  }

  private _add(pending: Pending): void {
    this._queue.push(pending);
    this._buffered += pending.spans.length;
    this._trim();
  }

  /** Drops expired batches, then the oldest ones while over the bound. */
  private _trim(): void {
    const oldest = this._now() - this._options.maxAgeMs;
    let expired = 0;
    while (this._queue.length > 0 && this._queue[0]!.since < oldest) expired += this._remove();
    if (expired > 0) this._options.onDrop('export_expired', expired, `spans waiting for an OTLP retry longer than ${this._options.maxAgeMs} ms were dropped`);
    let full = 0;
    while (this._buffered > this._options.maxSpans && this._queue.length > 0) full += this._remove();
    if (full > 0) this._options.onDrop('export_buffer_full', full, `the OTLP retry buffer (${this._options.maxSpans} spans) was full; the oldest spans were dropped`);
  }

  private _remove(): number {
    const p = this._queue.shift()!;
    this._buffered -= p.spans.length;
    return p.spans.length;
  }

  private _schedule(delay?: number): void {
    if (this._stopped || this._sending || this._timer !== undefined || this._queue.length === 0) return;
    this._timer = setTimeout(() => {
      this._timer = undefined;
      // Right after a delivered batch the next one goes at once; after a failure, with backoff.
      void this._retryHead().then((left) => this._schedule(left ? 0 : undefined));
    }, delay ?? this._backoff);
    this._timer.unref();
  }

  private _clearTimer(): void {
    if (this._timer !== undefined) clearTimeout(this._timer);
    this._timer = undefined;
  }

  /** Sends the oldest buffered batch once; true when it left the buffer (delivered or rejected for good). */
  private async _retryHead(): Promise<boolean> {
    this._trim();
    if (this._sending || this._queue.length === 0) return false;
    // Out of the queue while in flight, so trimming cannot drop a batch that may be delivered.
    const head = this._queue.shift()!;
    this._sending = true;
    const result = await this._send(head.spans);
    this._sending = false;
    let left = true;
    if (result.code === ExportResultCode.SUCCESS) {
      this._backoff = this._initialBackoff;
    } else if (!isRetryableExportError(result.error)) {
      this._options.onDrop('export_rejected', head.spans.length, `the OTLP endpoint rejected a batch of spans: ${errorText(result.error)}`);
    } else {
      this._backoff = Math.min(this._backoff * 2, this._maxBackoff);
      left = false;
    }
    if (left) this._buffered -= head.spans.length;
    else this._queue.unshift(head);
    this._trim();
    this._settle();
    return left;
  }

  private _send(spans: ReadableSpan[]): Promise<ExportResult> {
    return new Promise((resolve) => {
      // An export that never answers (a Collector trickling its reply) must not hold every later
      // batch: after the batch processor's own export timeout (30 s) it counts as a timeout, which
      // is not retried (the Collector may have the batch).
      const timer = setTimeout(() => resolve({ code: ExportResultCode.FAILED, error: new Error('Request timed out') }), EXPORT_ANSWER_TIMEOUT_MS);
      timer.unref();
      const done = (r: ExportResult): void => {
        clearTimeout(timer);
        resolve(r);
      };
      try {
        this._inner.export(spans, done);
      } catch (error) {
        done({ code: ExportResultCode.FAILED, error: error as Error });
      }
    }).then(
      (r) => r as ExportResult,
      (error: unknown) => {
        diag.debug(`[service-infrastructure] OTLP export threw: ${errorText(error)}`);
        return { code: ExportResultCode.FAILED, error: error as Error };
      },
    );
  }
}

function errorText(error: unknown): string {
  const e = error as { message?: unknown; code?: unknown } | undefined;
  if (e === undefined || e === null) return 'unknown error';
  const code = typeof e.code === 'number' || typeof e.code === 'string' ? ` (${String(e.code)})` : '';
  return `${typeof e.message === 'string' ? e.message : String(error)}${code}`;
}
