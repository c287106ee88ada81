import { requireArray, requireHttpUrl } from '../internal/configCheck.js';
import { DeliveryQueue } from './DeliveryQueue.js';
import { parseDuration, type Duration } from './duration.js';
import type { NotifiableAlert } from './Dispatcher.js';
import { post } from './receivers.js';

/**
 * Pushing alerts to Alertmanager (`POST /api/v2/alerts`), as Prometheus does.
 *
 * @example
 * createAlerting(monitoring, { rules, alertmanager: { url: 'http://alertmanager:9093' } });
 */
export interface AlertmanagerOptions {
  /** Base URL(s) of Alertmanager (`http://host:9093`), each sent every alert. */
  url: string | string[];
  /** Re-send still-firing alerts this often, so Alertmanager does not time them out. Default 1m. */
  resendDelay?: Duration;
  /** Per request. Default 10s. */
  timeout?: Duration;
  /** Extra headers (e.g. `authorization`). */
  headers?: Record<string, string>;
  /** Batches waiting per Alertmanager. Default 100. */
  maxQueue?: number;
}

/** One alert of Alertmanager's v2 `postableAlerts`. */
interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

/**
 * Sends firing alerts when they change and every `resendDelay`, with `endsAt` four resend periods
 * ahead (Prometheus' rule, so Alertmanager resolves them itself if this process dies), and resolved
 * alerts with `endsAt` = when they resolved, re-sent while they are remembered (15 minutes).
 * @internal
 */
export class AlertmanagerClient {
  private readonly _queues: DeliveryQueue<PostableAlert[]>[];
  private readonly _resendMs: number;
  private readonly _validForMs: number;
  private readonly _sent = new Map<string, { state: string; at: number }>();

  constructor(options: AlertmanagerOptions, intervalMs: number, private readonly _externalUrl: string) {
    const urls = Array.isArray(options.url) ? options.url : [options.url];
    requireArray('alertmanager.url', urls, 'at least one Alertmanager URL', undefined, 1);
    this._resendMs = options.resendDelay !== undefined ? parseDuration(options.resendDelay, 'alertmanager.resendDelay', false) : 60_000;
    this._validForMs = 4 * Math.max(this._resendMs, intervalMs);
    const timeoutMs = options.timeout !== undefined ? parseDuration(options.timeout, 'alertmanager.timeout', false) : 10_000;
    const headers = { 'content-type': 'application/json', ...(options.headers ?? {}) };
    this._queues = urls.map((u, i) => {
      requireHttpUrl(`alertmanager.url${Array.isArray(options.url) ? `[${i}]` : ''}`, u, 'an http(s) URL of Alertmanager');
      const endpoint = `${u.replace(/\/$/, '')}/api/v2/alerts`;
      return new DeliveryQueue<PostableAlert[]>(`alertmanager ${new URL(u).host}`, (batch, signal) => post(endpoint, headers, batch, signal), {
        maxQueue: options.maxQueue ?? 100,
        retries: 2,
        backoffMs: 1000,
        timeoutMs,
      });
    });
  }

  update(alerts: readonly NotifiableAlert[], now: number): void {
    const batch: PostableAlert[] = [];
    const live = new Set<string>();
    for (const { record: a } of alerts) {
      live.add(a.fingerprint);
      const last = this._sent.get(a.fingerprint);
      if (last !== undefined && last.state === a.state && now - last.at < this._resendMs) continue;
      this._sent.set(a.fingerprint, { state: a.state, at: now });
      batch.push({
        labels: { ...a.labels },
        annotations: { ...a.annotations },
        startsAt: new Date(a.firedAt ?? a.activeAt).toISOString(),
        endsAt: new Date(a.resolvedAt ?? now + this._validForMs).toISOString(),
        ...(this._externalUrl !== '' ? { generatorURL: `${this._externalUrl.replace(/\/$/, '')}/alerts?rule=${encodeURIComponent(a.rule)}` } : {}),
      });
    }
    for (const fp of this._sent.keys()) if (!live.has(fp)) this._sent.delete(fp);
    if (batch.length === 0) return;
    for (const q of this._queues) q.push(batch);
  }

  async shutdown(): Promise<void> {
    await Promise.all(this._queues.map((q) => q.close()));
  }
}
