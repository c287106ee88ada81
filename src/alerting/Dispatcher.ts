import type { EventBus } from '../events/EventBus.js';
import { labelKey } from './SampleWindow.js';
import type { AlertRecord } from './lifecycle.js';
import { compileReceivers, type Notification, type Receiver, type ReceiverConfig, type WebhookAlert } from './receivers.js';
import { compileRoute, groupLabels, matchRoutes, type Route, type RouteConfig } from './routing.js';

/** @internal An alert as the dispatcher sees it on one evaluation. */
export interface NotifiableAlert {
  readonly record: AlertRecord;
  /** Silenced or inhibited: not notified. */
  readonly muted: boolean;
  readonly acknowledged: boolean;
}

export interface DispatcherStats {
  readonly sent: number;
  readonly failed: number;
  readonly dropped: number;
  readonly retried: number;
}

interface Group {
  readonly key: string;
  readonly route: Route;
  readonly labels: Record<string, string>;
  readonly alerts: Map<string, NotifiableAlert>;
  /** Fingerprints of the firing alerts in the last notification. */
  lastFiring: Set<string>;
  /** Resolved alerts already notified, so they are not sent again. */
  readonly doneResolved: Set<string>;
  lastNotified: number;
  timer: NodeJS.Timeout | undefined;
}

/** Limit on aggregation groups; alerts that would open more are dropped and counted. */
const MAX_GROUPS = 10_000;
const ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * Alertmanager's dispatch, in process: each alert is routed, put in its route's group (by the
 * route's `groupBy` labels); a new group waits `groupWait` before its first notification, then
 * is looked at every `groupInterval` and notified when its firing set changed or an alert resolved,
 * or when `repeatInterval` passed since the last notification (unless every firing alert is
 * acknowledged). Silenced and inhibited alerts are left out.
 * @internal
 */
export class Dispatcher {
  private readonly _root: Route | undefined;
  private readonly _receivers: Map<string, Receiver>;
  private readonly _groups = new Map<string, Group>();
  private readonly _externalUrl: string;
  private _droppedGroups = 0;
  private _closed = false;

  constructor(options: { route: RouteConfig | undefined; receivers: readonly ReceiverConfig[]; events: EventBus; externalUrl: string }) {
    this._receivers = compileReceivers(options.receivers, options.events, (receiver, reason) => {
      if (options.events.hasSubscribers('monitoring.dropped')) {
        options.events.publish('monitoring.dropped', { source: `alerting.receiver.${receiver}`, reason, count: this.stats().dropped });
      }
    });
    const names = new Set(this._receivers.keys());
    this._root = options.route !== undefined ? compileRoute(options.route, names) : names.size > 0 ? compileRoute({ receiver: [...names][0]! }, names) : undefined;
    this._externalUrl = options.externalUrl;
  }

  stats(): DispatcherStats {
    let sent = 0;
    let failed = 0;
    let dropped = this._droppedGroups;
    let retried = 0;
    for (const r of this._receivers.values()) {
      for (const q of r.channels) {
        sent += q.stats.sent;
        failed += q.stats.failed;
        dropped += q.stats.dropped;
        retried += q.stats.retried;
      }
    }
    return { sent, failed, dropped, retried };
  }

  /** Takes the current firing and resolved alerts after an evaluation. */
  update(alerts: readonly NotifiableAlert[], now: number): void {
    if (this._root === undefined || this._closed) return;
    const seen = new Map<Group, Set<string>>();
    for (const a of alerts) {
      if (a.muted) continue;
      for (const route of matchRoutes(this._root, a.record.labels)) {
        const labels = groupLabels(route, a.record.labels);
        const key = `${route.id}:${labelKey(labels)}`;
        let g = this._groups.get(key);
        if (g === undefined) {
          // A resolved alert alone does not open a group: there is nothing to tell about it.
          if (a.record.state === 'resolved') continue;
          if (this._groups.size >= MAX_GROUPS) {
            this._droppedGroups++;
            continue;
          }
          g = { key, route, labels, alerts: new Map(), lastFiring: new Set(), doneResolved: new Set(), lastNotified: 0, timer: undefined };
          this._groups.set(key, g);
          this._schedule(g, route.groupWaitMs);
        }
        g.alerts.set(a.record.fingerprint, a);
        let s = seen.get(g);
        if (s === undefined) seen.set(g, (s = new Set()));
        s.add(a.record.fingerprint);
      }
    }
    // Alerts gone from the input (muted now, or forgotten after resolving) leave their groups.
    for (const g of this._groups.values()) {
      const s = seen.get(g);
      for (const fp of g.alerts.keys()) {
        if (s === undefined || !s.has(fp)) {
          g.alerts.delete(fp);
          g.doneResolved.delete(fp);
        }
      }
    }
    void now;
  }

  /** Sends what is due now and waits for the queues to drain. */
  async shutdown(): Promise<void> {
    this._closed = true;
    for (const g of this._groups.values()) if (g.timer !== undefined) clearTimeout(g.timer);
    this._groups.clear();
    await Promise.all([...this._receivers.values()].flatMap((r) => r.channels.map((q) => q.close())));
  }

  private _schedule(g: Group, ms: number): void {
    g.timer = setTimeout(() => this._flush(g), ms);
    g.timer.unref();
  }

  private _flush(g: Group): void {
    g.timer = undefined;
    if (this._closed) return;
    const now = Date.now();
    const firing: NotifiableAlert[] = [];
    const resolved: NotifiableAlert[] = [];
    for (const a of g.alerts.values()) {
      if (a.record.state === 'firing') firing.push(a);
      else if (a.record.state === 'resolved' && !g.doneResolved.has(a.record.fingerprint)) resolved.push(a);
    }
    const firingSet = new Set(firing.map((a) => a.record.fingerprint));
    const changed = resolved.length > 0 || firingSet.size !== g.lastFiring.size || [...firingSet].some((fp) => !g.lastFiring.has(fp));
    const repeatDue = firing.length > 0 && now - g.lastNotified >= g.route.repeatIntervalMs && firing.some((a) => !a.acknowledged);
    if (changed || repeatDue) {
      const receiver = this._receivers.get(g.route.receiver)!;
      const list = receiver.sendResolved ? [...firing, ...resolved] : firing;
      if (list.length > 0) {
        const n = this._notification(g, receiver.name, list);
        for (const q of receiver.channels) q.push(n);
      }
      g.lastNotified = now;
      g.lastFiring = firingSet;
      for (const a of resolved) g.doneResolved.add(a.record.fingerprint);
    }
    if (firing.length === 0 && [...g.alerts.values()].every((a) => a.record.state !== 'firing')) {
      // Nothing left to tell: the group ends, and a new alert starts a new one (with groupWait).
      this._groups.delete(g.key);
      return;
    }
    this._schedule(g, g.route.groupIntervalMs);
  }

  private _notification(g: Group, receiver: string, list: readonly NotifiableAlert[]): Notification {
    const alerts: WebhookAlert[] = list.map(({ record: a }) => ({
      status: a.state === 'resolved' ? 'resolved' : 'firing',
      labels: { ...a.labels },
      annotations: { ...a.annotations },
      startsAt: new Date(a.firedAt ?? a.activeAt).toISOString(),
      endsAt: a.resolvedAt !== undefined ? new Date(a.resolvedAt).toISOString() : ZERO_TIME,
      generatorURL: this._externalUrl !== '' ? `${this._externalUrl.replace(/\/$/, '')}/alerts?rule=${encodeURIComponent(a.rule)}` : '',
      fingerprint: a.fingerprint,
    }));
    return {
      version: '4',
      groupKey: `${g.route.id}:{${Object.entries(g.labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`,
      truncatedAlerts: 0,
      status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
      receiver,
      groupLabels: { ...g.labels },
      commonLabels: common(alerts.map((a) => a.labels)),
      commonAnnotations: common(alerts.map((a) => a.annotations)),
      externalURL: this._externalUrl,
      alerts,
    };
  }
}

function common(maps: readonly Record<string, string>[]): Record<string, string> {
  if (maps.length === 0) return {};
  const out: Record<string, string> = { ...maps[0] };
  for (const m of maps.slice(1)) for (const k of Object.keys(out)) if (m[k] !== out[k]) delete out[k];
  return out;
}
