import { requireArray, requireFunction, requireHttpUrl, requireIntAtLeast, requireNonEmptyString, requireObject, requirePositiveInt } from '../internal/configCheck.js';
import { diag } from '@opentelemetry/api';
import { ConfigurationError } from '../errors/MonitoringError.js';
import type { EventBus } from '../events/EventBus.js';
import type { AlertEventPayload } from '../events/types.js';
import { DeliveryQueue, type DeliveryOptions } from './DeliveryQueue.js';
import { parseDuration, type Duration } from './duration.js';

/** One alert in Alertmanager's webhook payload. */
export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  /** `0001-01-01T00:00:00Z` while firing, as Alertmanager sends it. */
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** A notification in Alertmanager's webhook format (version 4), what every receiver gets. */
export interface Notification {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
}

/**
 * A receiver: a name and one or more channels. Each channel has its own bounded queue, timeout and
 * retries; a failing channel never blocks the others or the application.
 *
 * @example
 * { name: 'ops', webhook: { url: 'https://hooks.example/alert' }, slack: { url: process.env.SLACK_WEBHOOK! }, log: true }
 */
export interface ReceiverConfig {
  name: string;
  /** POSTs the notification as Alertmanager's webhook JSON. */
  webhook?: { url: string; headers?: Record<string, string>; maxAlerts?: number };
  /** POSTs a Slack incoming-webhook message (`text` plus one colored attachment per alert). */
  slack?: { url: string; channel?: string; username?: string };
  /** Logs one line per notification through OTel's `diag` (or `console` when `console: true`). */
  log?: boolean | { console?: boolean };
  /** Publishes an `alert.notification` event on the monitoring bus. */
  bus?: boolean;
  /** Calls a function of yours (sync or async). */
  fn?: (notification: Notification) => void | Promise<void>;
  /** Notify when alerts resolve. Default true. */
  sendResolved?: boolean;
  /** Per attempt. Default 10s. */
  timeout?: Duration;
  /** Attempts after the first. Default 3. */
  retries?: number;
  /** First retry delay, doubled each time. Default 1s. */
  backoff?: Duration;
  /** Notifications waiting per channel. Default 100. */
  maxQueue?: number;
}

/** @internal A compiled receiver: its channels' queues. */
export interface Receiver {
  readonly name: string;
  readonly sendResolved: boolean;
  readonly channels: readonly DeliveryQueue<Notification>[];
}

/** @internal */
export function compileReceivers(configs: readonly ReceiverConfig[], events: EventBus, onDrop: (receiver: string, reason: string) => void): Map<string, Receiver> {
  requireArray('receivers', configs, 'an array of receivers');
  const out = new Map<string, Receiver>();
  configs.forEach((c, i) => {
    requireObject(`receivers[${i}]`, c, 'a receiver object');
    requireNonEmptyString(`receivers[${i}].name`, c.name, 'a receiver name');
    const at = `receivers[${c.name}]`;
    if (out.has(c.name)) throw new ConfigurationError(`${at}.name`, c.name, 'a name no other receiver has');
    const options: DeliveryOptions = {
      maxQueue: c.maxQueue ?? 100,
      retries: c.retries ?? 3,
      backoffMs: c.backoff !== undefined ? parseDuration(c.backoff, `${at}.backoff`) : 1000,
      timeoutMs: c.timeout !== undefined ? parseDuration(c.timeout, `${at}.timeout`, false) : 10_000,
    };
    requirePositiveInt(`${at}.maxQueue`, options.maxQueue);
    requireIntAtLeast(`${at}.retries`, options.retries, 0, 'an integer of 0 or more');
    const channels: DeliveryQueue<Notification>[] = [];
    const queue = (kind: string, send: (n: Notification, signal: AbortSignal) => Promise<void>): void => {
      channels.push(new DeliveryQueue(`${c.name}/${kind}`, send, options, (reason) => onDrop(c.name, reason)));
    };
    if (c.webhook !== undefined) {
      const url = checkUrl(c.webhook.url, `${at}.webhook.url`);
      const headers = { 'content-type': 'application/json', ...(c.webhook.headers ?? {}) };
      const maxAlerts = c.webhook.maxAlerts ?? 0;
      queue('webhook', (n, signal) => post(url, headers, truncate(n, maxAlerts), signal));
    }
    if (c.slack !== undefined) {
      const url = checkUrl(c.slack.url, `${at}.slack.url`);
      const slack = c.slack;
      queue('slack', (n, signal) => post(url, { 'content-type': 'application/json' }, slackMessage(n, slack), signal));
    }
    if (c.log !== undefined && c.log !== false) {
      const useConsole = typeof c.log === 'object' && c.log.console === true;
      queue('log', async (n) => {
        const line = `[alert] ${n.receiver} ${n.status.toUpperCase()} ${n.alerts.map((a) => `${a.labels.alertname ?? ''}{${Object.entries(a.labels).filter(([k]) => k !== 'alertname').map(([k, v]) => `${k}="${v}"`).join(',')}} ${a.status}${a.annotations.summary !== undefined ? `: ${a.annotations.summary}` : ''}`).join('; ')}`;
        if (useConsole) console.log(line);
        else diag.info(line);
      });
    }
    if (c.bus === true) {
      queue('bus', async (n) => {
        events.publish('alert.notification', {
          receiver: n.receiver,
          groupKey: n.groupKey,
          status: n.status,
          groupLabels: n.groupLabels,
          alerts: n.alerts.map(toEventAlert),
        });
      });
    }
    if (c.fn !== undefined) {
      requireFunction(`${at}.fn`, c.fn);
      const fn = c.fn;
      queue('fn', async (n) => {
        await fn(n);
      });
    }
    out.set(c.name, { name: c.name, sendResolved: c.sendResolved ?? true, channels });
  });
  return out;
}

function toEventAlert(a: WebhookAlert): AlertEventPayload {
  return {
    fingerprint: a.fingerprint,
    rule: a.labels.alertname ?? '',
    state: a.status,
    labels: a.labels,
    annotations: a.annotations,
    value: NaN,
    activeAt: a.startsAt,
    resolvedAt: a.status === 'resolved' ? a.endsAt : undefined,
  };
}

function checkUrl(url: unknown, option: string): string {
  requireHttpUrl(option, url);
  return url as string;
}

/** @internal POST JSON; any status but 2xx is an error (retried). */
export async function post(url: string, headers: Record<string, string>, body: unknown, signal: AbortSignal): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal });
  // Drain the body so the connection can be reused.
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw new Error(`HTTP ${res.status} from ${new URL(url).host}`);
}

function truncate(n: Notification, max: number): Notification {
  if (max <= 0 || n.alerts.length <= max) return n;
  return { ...n, alerts: n.alerts.slice(0, max), truncatedAlerts: n.alerts.length - max };
}

/** A Slack incoming-webhook message for a notification. @internal */
export function slackMessage(n: Notification, options: { channel?: string | undefined; username?: string | undefined }): Record<string, unknown> {
  const firing = n.alerts.filter((a) => a.status === 'firing').length;
  const name = slackEscape(n.groupLabels.alertname ?? n.commonLabels.alertname ?? 'alerts');
  const text = `[${n.status.toUpperCase()}${n.status === 'firing' ? `:${firing}` : ''}] ${name}`;
  return {
    ...(options.channel !== undefined ? { channel: options.channel } : {}),
    ...(options.username !== undefined ? { username: options.username } : {}),
    text,
    attachments: n.alerts.map((a) => ({
      color: a.status === 'firing' ? (a.labels.severity === 'warning' ? 'warning' : 'danger') : 'good',
      fallback: `${slackEscape(a.labels.alertname ?? '')} ${a.status}`,
      title: `${slackEscape(a.labels.alertname ?? '')} (${a.status})`,
      text: slackEscape(a.annotations.summary ?? a.annotations.description ?? ''),
      fields: Object.entries(a.labels)
        .filter(([k]) => k !== 'alertname')
        .map(([k, v]) => ({ title: slackEscape(k), value: slackEscape(v), short: true })),
      ...(a.generatorURL !== '' ? { title_link: a.generatorURL } : {}),
    })),
  };
}

/** Slack's message escaping: `&`, `<` and `>` (label values must not turn into links or mentions). */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
