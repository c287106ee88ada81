import type { Silence } from '../alerting/types.js';
import type { AlertEventPayload } from '../events/types.js';

/**
 * What the Alerts page needs from an alerting engine. The shapes follow the alerting module's
 * `Alert`, `Silence` and `RuleStatus` (Prometheus and Alertmanager conventions); any object with
 * these methods works, so the dashboard does not load the engine itself.
 */
export interface DashboardAlerting {
  alerts(): readonly DashboardAlert[] | Promise<readonly DashboardAlert[]>;
  silences?(): readonly DashboardSilence[] | Promise<readonly DashboardSilence[]>;
  rules?(): readonly DashboardRule[] | Promise<readonly DashboardRule[]>;
  createSilence?(input: SilenceRequest): unknown;
  expireSilence?(id: string): unknown;
  acknowledge?(fingerprint: string, by: string, comment: string): unknown;
}

/** An alert as the page lists it: the event payload plus what mutes or acknowledged it. */
export interface DashboardAlert extends AlertEventPayload {
  readonly silencedBy: readonly string[];
  readonly inhibitedBy?: readonly string[];
  readonly acknowledgement?: { readonly by: string; readonly comment: string; readonly at: string } | undefined;
}

/** A silence as the page lists it: the alerting module's own shape (a type, so nothing is loaded). */
export type DashboardSilence = Silence;

export interface DashboardRule {
  readonly name: string;
  readonly kind: string;
  readonly expression: string;
  readonly state: string;
  readonly severity?: string | undefined;
  readonly alerts: number;
  readonly lastError?: string | undefined;
}

/** A silence as the page asks for it. */
export interface SilenceRequest {
  matchers: { name: string; op: '=' | '!=' | '=~' | '!~'; value: string }[];
  /** A duration like `1h` or `30m`. */
  duration: string;
  createdBy: string;
  comment: string;
}
