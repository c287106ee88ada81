// `service-infrastructure/dashboard`: the monitoring UI, embedded (createDashboard) or standalone
// (startStandaloneDashboard, and the `service-infrastructure dashboard` command).
export { createDashboard } from './createDashboard.js';
export type { Dashboard, DashboardMonitoringSource, DashboardOptions } from './createDashboard.js';
export { StandaloneDashboard } from './StandaloneDashboard.js';
export type { StandaloneDashboardOptions } from './StandaloneDashboard.js';
export { DashboardServer } from './DashboardServer.js';
export type { DashboardServerOptions, DashboardStores } from './DashboardServer.js';
export type { DashboardAlert, DashboardAlerting, DashboardRule, DashboardSilence, SilenceRequest } from './alerting.js';
export { TraceStore } from './TraceStore.js';
export type { TraceQuery, TraceSearchResult, TraceStoreOptions, TraceSummary } from './TraceStore.js';
export { MetricHistory } from './MetricHistory.js';
export type { MetricHistoryOptions } from './MetricHistory.js';
export { runQuery, AGGREGATIONS } from './metricQuery.js';
export type { Aggregation, LabelFilter, MetricQuery, QueryResult } from './metricQuery.js';
export { EventLog } from './EventLog.js';
export { HealthHistory } from './HealthHistory.js';
export type { EventRecord, MetricSample, SpanRecord } from './model.js';
