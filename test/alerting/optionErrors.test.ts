// Alerting's setup checks (rules, receivers, routes, silences, Alertmanager, the rules export) name
// the option and the value and say what they expected; secrets in a URL stay out of the message.
import { describe, expect, it } from 'vitest';
import { AlertmanagerClient } from '../../src/alerting/AlertmanagerClient.js';
import { createAlerting } from '../../src/alerting/createAlerting.js';
import { exportPrometheusRules } from '../../src/alerting/exportPrometheusRules.js';
import { compileReceivers } from '../../src/alerting/receivers.js';
import { compileRoute } from '../../src/alerting/routing.js';
import { compileRules } from '../../src/alerting/rules.js';
import { Silences } from '../../src/alerting/Silences.js';
import { EventBus } from '../../src/events/EventBus.js';
import { messageOf } from '../helpers/configError.js';
import { monitoringPerTest } from '../helpers/perTest.js';

const monitoring = monitoringPerTest('alert-options');

const rule = { name: 'R', metric: 'm', op: '>', threshold: 1 };
const anomaly = { kind: 'anomaly', name: 'A', metric: 'm' };
const rules = (r: unknown) => () => compileRules(r);
const receivers = (r: unknown) => () => compileReceivers(r as never, new EventBus(), () => {});
const silence = { matchers: ['alertname="R"'], createdBy: 'ops', comment: 'maintenance', duration: '1h' };

const BAD: [string, () => unknown, string][] = [
  ['rules', rules({ name: 'R' }), 'Invalid rules: {"name":"R"} (expected an array of alert rules)'],
  ['rule object', rules([null]), 'Invalid rules[0]: null (expected an alert rule object)'],
  ['rule name', rules([{ ...rule, name: '1st' }]), 'Invalid rules[0].name: "1st" (expected an alert name matching [a-zA-Z_][a-zA-Z0-9_]*)'],
  ['kind', rules([{ ...rule, kind: 'trend' }]), 'Invalid rules[R].kind: "trend" (expected one of threshold, health, absence, anomaly)'],
  ['severity', rules([{ ...rule, severity: '' }]), 'Invalid rules[R].severity: "" (expected a non-empty string)'],
  ['check', rules([{ kind: 'health', name: 'H', check: '' }]), 'Invalid rules[H].check: "" (expected a health check name, or "system")'],
  ['fn', rules([{ ...rule, fn: 'median' }]), 'Invalid rules[R].fn: "median" (expected one of rate, increase, avg_over_time, min_over_time, max_over_time, last, quantile)'],
  ['quantile', rules([{ ...rule, fn: 'quantile', quantile: 1.01 }]), 'Invalid rules[R].quantile: 1.01 (expected a number in 0..1 (fn is "quantile"))'],
  ['by', rules([{ ...rule, by: ['route', 'le'] }]), 'Invalid rules[R].by: ["route","le"] (expected a list of label names (not "le"))'],
  ['sensitivity', rules([{ ...anomaly, sensitivity: Number.POSITIVE_INFINITY }]), 'Invalid rules[A].sensitivity: Infinity (expected a z-score above 0 (e.g. 3 or 4))'],
  ['direction', rules([{ ...anomaly, direction: 'sideways' }]), 'Invalid rules[A].direction: "sideways" (expected "up", "down" or "both")'],
  ['minSamples', rules([{ ...anomaly, minSamples: 1 }]), 'Invalid rules[A].minSamples: 1 (expected an integer of at least 2)'],
  ['alpha', rules([{ ...anomaly, alpha: 1 }]), 'Invalid rules[A].alpha: 1 (expected a number between 0 and 1 (exclusive))'],
  ['seasonality', rules([{ ...anomaly, seasonality: 'daily' }]), 'Invalid rules[A].seasonality: "daily" (expected "none", "hourOfDay" or "hourOfWeek")'],
  ['threshold NaN', rules([{ ...rule, threshold: Number.NaN }]), 'Invalid rules[R].threshold: NaN (expected a number)'],
  ['selector', rules([{ ...rule, denominator: 'total' }]), 'Invalid rules[R].denominator: "total" (expected an object with metric and matchers)'],
  ['selector metric', rules([{ ...rule, metric: '' }]), 'Invalid rules[R].metric: "" (expected a metric name)'],
  ['receivers', receivers({ name: 'x' }), 'Invalid receivers: {"name":"x"} (expected an array of receivers)'],
  ['receiver object', receivers([null]), 'Invalid receivers[0]: null (expected a receiver object)'],
  ['receiver name', receivers([{ name: '' }]), 'Invalid receivers[0].name: "" (expected a receiver name)'],
  ['maxQueue', receivers([{ name: 'ops', maxQueue: 0 }]), 'Invalid receivers[ops].maxQueue: 0 (expected a positive integer)'],
  ['retries', receivers([{ name: 'ops', retries: -1 }]), 'Invalid receivers[ops].retries: -1 (expected an integer of 0 or more)'],
  ['receiver fn', receivers([{ name: 'ops', fn: 'notify' }]), 'Invalid receivers[ops].fn: "notify" (expected a function)'],
  ['webhook url', receivers([{ name: 'ops', webhook: { url: 'hooks.example/x?token=s3cr3t-value' } }]), 'Invalid receivers[ops].webhook.url: "hooks.example/x?token=***" (expected an http(s) URL)'],
  ['slack url', receivers([{ name: 'ops', slack: { url: 'ftp://bot:hunter2@slack.example' } }]), 'Invalid receivers[ops].slack.url: "ftp://bot:***@slack.example" (expected an http(s) URL)'],
  ['route', () => compileRoute(null as never, new Set(['ops'])), 'Invalid route: null (expected a route object)'],
  ['groupBy', () => compileRoute({ receiver: 'ops', groupBy: ['a', 1] as never }, new Set(['ops'])), 'Invalid route.groupBy: ["a",1] (expected a list of label names, or ["..."])'],
  ['silence', () => new Silences().create(null as never, 0), 'Invalid silence: null (expected an object with matchers, createdBy, comment and endsAt or duration)'],
  ['createdBy', () => new Silences().create({ ...silence, createdBy: ' ' }, 0), 'Invalid silence.createdBy: " " (expected a non-empty string)'],
  ['comment', () => new Silences().create({ ...silence, comment: 7 as never }, 0), 'Invalid silence.comment: 7 (expected a non-empty string)'],
  ['alertmanager none', () => new AlertmanagerClient({ url: [] }, 15_000, 'http://x'), 'Invalid alertmanager.url: [] (expected at least one Alertmanager URL)'],
  ['alertmanager url', () => new AlertmanagerClient({ url: ['http://am:9093', 'am:9093'] }, 15_000, 'http://x'), 'Invalid alertmanager.url[1]: "am:9093" (expected an http(s) URL of Alertmanager)'],
  ['alertmanager scheme', () => new AlertmanagerClient({ url: 'ftp://am:9093' }, 15_000, 'http://x'), 'Invalid alertmanager.url: "ftp://am:9093"'],
  ['export interval', () => exportPrometheusRules([], { interval: '15 s' }), 'Invalid interval: "15 s" (expected a Prometheus duration such as "15s")'],
];

describe('alerting option errors', () => {
  it.each(BAD)('%s: names the option and the value', (_what, make, text) => {
    expect(messageOf(make)).toContain(text);
  });

  it('createAlerting and acknowledge name the option and the value', () => {
    const m = monitoring();
    expect(messageOf(() => createAlerting(m, { maxAlertsPerRule: 0, start: false }))).toContain('Invalid alerting.maxAlertsPerRule: 0 (expected a positive integer)');
    expect(messageOf(() => createAlerting(m, { maxSeriesPerMetric: 1.5, start: false }))).toContain('Invalid alerting.maxSeriesPerMetric: 1.5');
    const alerting = createAlerting(m, { rules: [rule as never], start: false });
    expect(messageOf(() => alerting.acknowledge('abc', '  '))).toBe('Invalid acknowledge.by: "  " (expected a non-empty string)');
  });

  it('accepts the edges of each range', () => {
    expect(() => compileRules([{ ...rule, threshold: Number.POSITIVE_INFINITY, fn: 'quantile', quantile: 0 }])).not.toThrow();
    expect(() => compileRules([{ ...anomaly, minSamples: 2, alpha: 0.5, sensitivity: 0.1 }])).not.toThrow();
    expect(() => compileRoute({ receiver: 'ops', groupBy: [] }, new Set(['ops']))).not.toThrow();
    expect(new Silences().create({ ...silence }, 0).createdBy).toBe('ops');
    expect(exportPrometheusRules([], { interval: '1m30s' }).yaml).toContain('interval: 1m30s');
  });
});
