// `service-infrastructure/alerting`: alert rules over the SDK's metrics and health. Its own subpath, so a
// plain `import 'service-infrastructure'` loads none of it (nor yaml, which it needs for rule files).
export { Alerting, ALERTS_METRIC } from './Alerting.js';
export type { AlertFilter, AlertingDependencies, AlertingOptions, AlertingStats, InhibitRule } from './Alerting.js';
export type { AlertmanagerOptions } from './AlertmanagerClient.js';
export { AnomalyDetector } from './AnomalyDetector.js';
export type { AnomalyDetectorOptions, AnomalyVerdict } from './AnomalyDetector.js';
export type { AlertMetricSource } from './collectorSource.js';
export { createAlerting } from './createAlerting.js';
export type { AlertingMonitoringHandle, CreateAlertingOptions } from './createAlerting.js';
export { createAlertingHandler } from './createAlertingHandler.js';
export type {
  AlertingErrorResponse,
  AlertingHandler,
  AlertingHandlerOptions,
  AlertingStatusResponse,
  AlertsResponse,
  RulesResponse,
  SilencesResponse,
} from './createAlertingHandler.js';
export type { Duration } from './duration.js';
export { IAlerting } from './IAlerting.js';
export { exportPrometheusRules } from './exportPrometheusRules.js';
export type { PrometheusRulesExport, PrometheusRulesExportOptions, PrometheusRulesMetricInfo } from './exportPrometheusRules.js';
export { ALERT_RULES_ENV, loadAlertRules } from './loadRules.js';
export type { Matcher, MatcherInput } from './matchers.js';
export type { Notification, ReceiverConfig, WebhookAlert } from './receivers.js';
export type { RouteConfig } from './routing.js';
export type { SeriesReading } from './SampleWindow.js';
export type {
  AbsenceRule,
  Acknowledgement,
  Alert,
  AlertRule,
  AlertState,
  AnomalyRule,
  Comparison,
  HealthRule,
  MetricSelector,
  RuleBase,
  RuleStatus,
  Silence,
  SilenceInput,
  ThresholdRule,
  WindowFunction,
} from './types.js';
