import type { VectorElement } from './evaluate.js';
import { fingerprint } from './fingerprint.js';
import type { PlannedRule } from './rules.js';
import { renderTemplate } from './template.js';

/** How long a resolved alert is remembered (and re-sent as resolved), as in Prometheus. @internal */
export const RESOLVED_RETENTION_MS = 15 * 60_000;

/** @internal The mutable record behind an `Alert`. */
export interface AlertRecord {
  readonly fingerprint: string;
  readonly rule: string;
  state: 'pending' | 'firing' | 'resolved';
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  value: number;
  activeAt: number;
  firedAt: number | undefined;
  resolvedAt: number | undefined;
  lastSeenAt: number;
  keepFiringSince: number | undefined;
}

/** A state change for the bus, the receivers and Alertmanager. @internal */
export interface Transition {
  readonly to: 'pending' | 'firing' | 'resolved';
  readonly alert: AlertRecord;
}

/**
 * Applies one evaluation's result to a rule's alerts, with Prometheus' rules: a new label set is
 * pending (or firing at once when `for` is 0); it fires once the condition has held for `for`; a
 * pending alert whose condition stops is dropped; a firing one resolves, unless `keepFiringFor`
 * keeps it firing that long after its condition stopped; resolved alerts are kept 15 minutes and
 * a recurrence starts a new alert. Pure apart from mutating `alerts`.
 * @internal
 */
export function applyEvaluation(rule: PlannedRule, alerts: Map<string, AlertRecord>, result: readonly VectorElement[], now: number): Transition[] {
  const transitions: Transition[] = [];
  const seen = new Set<string>();
  for (const e of result) {
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(e.labels)) if (k !== '__name__') labels[k] = v;
    const data = { value: e.value, labels: { ...labels }, ...(e.vars !== undefined ? { vars: e.vars } : {}) };
    for (const [k, v] of Object.entries(rule.labels)) labels[k] = renderTemplate(v, data);
    labels.alertname = rule.name;
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(rule.annotations)) annotations[k] = renderTemplate(v, data);
    const fp = fingerprint(labels);
    if (seen.has(fp)) continue; // two series collapsed onto one label set: the first wins, as a duplicate in Prometheus errors
    seen.add(fp);
    let a = alerts.get(fp);
    if (a !== undefined && a.state !== 'resolved') {
      a.value = e.value;
      a.annotations = annotations;
      a.lastSeenAt = now;
      a.keepFiringSince = undefined;
    } else {
      a = { fingerprint: fp, rule: rule.name, state: 'pending', labels, annotations, value: e.value, activeAt: now, firedAt: undefined, resolvedAt: undefined, lastSeenAt: now, keepFiringSince: undefined };
      alerts.set(fp, a);
      if (rule.forMs > 0) transitions.push({ to: 'pending', alert: a });
    }
  }
  for (const [fp, a] of alerts) {
    if (!seen.has(fp)) {
      if (a.state === 'firing' && rule.keepFiringForMs > 0) {
        a.keepFiringSince ??= now;
        if (now - a.keepFiringSince < rule.keepFiringForMs) continue;
      }
      if (a.state === 'pending' || (a.state === 'resolved' && now - (a.resolvedAt ?? now) > RESOLVED_RETENTION_MS)) {
        alerts.delete(fp);
        continue;
      }
      if (a.state === 'firing') {
        a.state = 'resolved';
        a.resolvedAt = now;
        a.keepFiringSince = undefined;
        transitions.push({ to: 'resolved', alert: a });
      }
      continue;
    }
    if (a.state === 'pending' && now - a.activeAt >= rule.forMs) {
      a.state = 'firing';
      a.firedAt = now;
      transitions.push({ to: 'firing', alert: a });
    }
  }
  return transitions;
}
