import type { Meter } from '@opentelemetry/api';
import type { MemoryCollector } from '../collectors/MemoryCollector.js';
import type { EventBus } from '../events/EventBus.js';
import type { ServiceRegistry } from '../registry/ServiceRegistry.js';
import { Alerting, type AlertingOptions } from './Alerting.js';
import { collectorSource, type AlertMetricSource } from './collectorSource.js';
import { IAlerting } from './IAlerting.js';
import { ALERT_RULES_ENV, loadAlertRules } from './loadRules.js';

/** The parts of a `createMonitoring` handle alerting attaches to. */
export interface AlertingMonitoringHandle {
  /** Rules read `getSeries`; `read` (optional) gives `alerting.exportPrometheusRules()` units and kinds. */
  readonly collector: Pick<MemoryCollector, 'getSeries'> & Partial<Pick<MemoryCollector, 'read'>>;
  readonly events: EventBus;
  readonly registry: ServiceRegistry;
  getMeter(name?: string, version?: string): Meter;
}

/** `AlertingOptions` plus where series come from. */
export interface CreateAlertingOptions extends AlertingOptions {
  /** Read series from here instead of the monitoring handle's collector. */
  source?: AlertMetricSource;
  /** Environment to read `MONITORING_ALERT_RULES` from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Alert rules over a monitoring handle's metrics and health: evaluated every `evaluationInterval`,
 * their alerts on the bus (`alert.pending`, `alert.firing`, `alert.resolved`), in the `ALERTS` gauge
 * (Prometheus and OTLP), routed to receivers and optionally pushed to Alertmanager. Registered as
 * `IAlerting`, so `monitoring.shutdown()` stops it. Rules come from `options.rules`, else from the
 * YAML/JSON file `MONITORING_ALERT_RULES` names; both are validated here, and a bad rule throws
 * `ConfigurationError` naming the rule and the field.
 *
 * @example
 * const monitoring = createMonitoring({ serviceName: 'shop' });
 * const alerting = createAlerting(monitoring, {
 *   evaluationInterval: '10s',
 *   rules: [{ kind: 'threshold', name: 'OrdersFailing', metric: 'orders_total', matchers: { outcome: 'failed' },
 *             fn: 'increase', window: '1m', op: '>', threshold: 0, for: '10s', severity: 'warning',
 *             annotations: { summary: '{{ $value }} failed orders in the last minute' } }],
 *   receivers: [{ name: 'log', log: { console: true } }],
 * });
 * monitoring.events.subscribe('alert.firing', (e) => console.log(e.alert.labels.alertname));
 */
export function createAlerting(monitoring: AlertingMonitoringHandle, options: CreateAlertingOptions = {}): Alerting {
  const env = options.env ?? process.env;
  let rules = options.rules;
  if (rules === undefined && env[ALERT_RULES_ENV] !== undefined && env[ALERT_RULES_ENV] !== '') {
    rules = loadAlertRules(env[ALERT_RULES_ENV]!, ALERT_RULES_ENV);
  }
  const alerting = new Alerting(
    {
      source: options.source ?? collectorSource(monitoring.collector),
      events: monitoring.events,
      meter: monitoring.getMeter('service-infrastructure/alerting'),
      ...(monitoring.collector.read !== undefined ? { readMetrics: monitoring.collector.read.bind(monitoring.collector) } : {}),
    },
    { ...options, ...(rules !== undefined ? { rules } : {}) },
  );
  monitoring.registry.register(IAlerting, { useValue: alerting });
  return alerting;
}
