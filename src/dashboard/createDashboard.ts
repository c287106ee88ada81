import { requireIntAtLeast } from '../internal/configCheck.js';
import type { Attributes, HrTime } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, type CollectionResult, type MetricData } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { EventBus } from '../events/EventBus.js';
import { reportOnce } from '../internal/report.js';
import type { DashboardAlerting } from './alerting.js';
import { DashboardServer, type DashboardServerOptions, type DashboardStores } from './DashboardServer.js';
import { EventLog } from './EventLog.js';
import { HealthHistory } from './HealthHistory.js';
import { MetricHistory } from './MetricHistory.js';
import { toAttrs, type Exemplar, type MetricSample, type SeriesKind, type SpanRecord } from './model.js';
import { TraceStore } from './TraceStore.js';

/** The parts of `Monitoring` the embedded dashboard reads, each through its public API. */
export interface DashboardMonitoringSource {
  /** OTel's `MetricReader.collect()`: `monitoring.collector`. */
  readonly collector: { collect(options?: { timeoutMillis?: number }): Promise<CollectionResult> };
  /** Recently ended spans: `monitoring.spanStore`. */
  readonly spanStore: { spans(): readonly ReadableSpan[]; readonly total: number };
  readonly events: EventBus;
  readonly settings: { readonly serviceName: string };
}

export interface DashboardOptions extends DashboardServerOptions {
  /** The alerting engine behind the Alerts page. */
  alerting?: DashboardAlerting;
  /** How often, in ms, metrics are read into the history. Default 5000. */
  sampleIntervalMs?: number;
  /** Traces kept in memory. Default 10,000. */
  maxTraces?: number;
  /** Points kept per metric series. Default 720 (an hour at 5 s). */
  maxPoints?: number;
  /** Metric series kept. Default 5,000. */
  maxSeries?: number;
  /** Bus events kept for the Events page. Default 2,000. */
  maxEvents?: number;
}

/** An embedded dashboard: `handler` for your server, or `listen()` for one of its own. */
export interface Dashboard {
  readonly handler: DashboardServer['handler'];
  listen(): Promise<{ host: string; port: number; url: string }>;
  /** Reads the metrics and spans now instead of waiting for the next interval. */
  sample(): Promise<void>;
  readonly stores: DashboardStores;
  shutdown(timeoutMs?: number): Promise<void>;
}

/**
 * The monitoring UI inside the application: metrics read from the in-process collector (through
 * OTel's `collect()`) every `sampleIntervalMs` into a bounded history, the spans of the recent-span
 * store, health results and every bus event as they are published, and alerts from `alerting`.
 *
 * @example
 * const dashboard = createDashboard(monitoring, { alerting });
 * const { url } = await dashboard.listen();          // http://127.0.0.1:9465/
 * // or mount it: app.use('/dashboard', dashboard.handler)   (Express strips the prefix)
 * //              fastify.all('/dashboard/*', (req, reply) => { reply.hijack(); dashboard.handler(req.raw, reply.raw); })
 * //              with { basePath: '/dashboard' }
 */
export function createDashboard(monitoring: DashboardMonitoringSource, options: DashboardOptions = {}): Dashboard {
  const interval = options.sampleIntervalMs ?? 5_000;
  requireIntAtLeast('dashboard.sampleIntervalMs', interval, 100, 'an integer of at least 100 ms');
  const service = monitoring.settings.serviceName;
  const traces = new TraceStore({ maxTraces: options.maxTraces ?? 10_000 });
  const metrics = new MetricHistory({ maxPoints: options.maxPoints ?? 720, maxSeries: options.maxSeries ?? 5_000 });
  const events = new EventLog(options.maxEvents ?? 2_000);
  const health = new HealthHistory();

  let seen = 0;
  const pullSpans = (): void => {
    const store = monitoring.spanStore;
    const total = store.total;
    if (total === seen) return;
    const spans = store.spans();
    const fresh = Math.min(total - seen, spans.length);
    if (total < seen) seen = 0;
    for (let i = spans.length - fresh; i < spans.length; i++) traces.add(fromReadableSpan(spans[i]!));
    seen = total;
  };

  let sampling: Promise<void> | undefined;
  const sample = (): Promise<void> => {
    sampling ??= (async () => {
      try {
        pullSpans();
        const result = await monitoring.collector.collect({ timeoutMillis: 5_000 });
        const now = Date.now();
        const svc = String(result.resourceMetrics.resource.attributes['service.name'] ?? service);
        for (const sm of result.resourceMetrics.scopeMetrics) for (const m of sm.metrics) for (const s of fromMetricData(m, svc, now)) metrics.add(s);
      } catch (err) {
        reportOnce('dashboard:collect', `dashboard could not read metrics: ${String(err)}`);
      } finally {
        sampling = undefined;
      }
    })();
    return sampling;
  };

  const unsubscribe = monitoring.events.subscribe('*', (e) => {
    const { type, timestamp, traceId, ...rest } = e as unknown as Record<string, unknown> & { type: string; timestamp: number; traceId?: string };
    events.add(type, timestamp, traceId, rest);
    if (type === 'health.check.completed') {
      const h = e as unknown as { check: string; status: 'healthy' | 'degraded' | 'unhealthy'; reason?: string; durationMs?: number; category?: string; critical?: boolean };
      health.add(h.check, { time: timestamp, status: h.status, reason: h.reason, durationMs: h.durationMs }, { category: h.category, critical: h.critical });
    } else if (type === 'health.status.changed') {
      const h = e as unknown as { check: string; current: 'healthy' | 'degraded' | 'unhealthy'; reason?: string };
      if (h.check === 'system') health.add('system', { time: timestamp, status: h.current, reason: h.reason });
    }
  });

  const timer = setInterval(() => void sample(), interval);
  timer.unref();
  void sample();

  const stores: DashboardStores = { traces, metrics, events, health, alerting: options.alerting, refresh: pullSpans };
  const server = new DashboardServer(stores, { mode: 'embedded', title: service, ...options, port: options.port ?? 9465 });
  let stopped = false;
  return {
    handler: server.handler,
    listen: () => server.listen(),
    sample,
    stores,
    async shutdown(timeoutMs = 5_000) {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      unsubscribe();
      events.close();
      await server.shutdown(timeoutMs);
    },
  };
}

function hrMs(t: HrTime): number {
  return t[0] * 1000 + t[1] / 1e6;
}

/** @internal */
export function fromReadableSpan(s: ReadableSpan): SpanRecord {
  const ctx = s.spanContext();
  const code = s.status.code;
  return {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    parentSpanId: s.parentSpanContext?.spanId,
    name: s.name,
    kind: s.kind,
    service: String(s.resource.attributes['service.name'] ?? 'unknown_service'),
    scope: s.instrumentationScope.name,
    start: hrMs(s.startTime),
    end: hrMs(s.endTime),
    status: code === 2 ? 'error' : code === 1 ? 'ok' : 'unset',
    statusMessage: s.status.message,
    attributes: toAttrs(s.attributes),
    events: s.events.slice(0, 100).map((e) => ({ name: e.name, time: hrMs(e.time), attributes: toAttrs(e.attributes) })),
    resource: toAttrs(s.resource.attributes),
  };
}

function labelsOf(a: Attributes): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(a)) {
    const v = a[k];
    if (v !== undefined && v !== null) out[k] = Array.isArray(v) ? v.join(',') : String(v);
  }
  return out;
}

/** @internal OTel SDK metric data (what `collect()` returns) as dashboard samples. */
export function fromMetricData(m: MetricData, service: string, now: number): MetricSample[] {
  const base = { name: m.descriptor.name, unit: m.descriptor.unit, description: m.descriptor.description, service, time: now };
  const delta = m.aggregationTemporality === AggregationTemporality.DELTA;
  const out: MetricSample[] = [];
  switch (m.dataPointType) {
    case DataPointType.SUM: {
      const kind: SeriesKind = m.isMonotonic ? 'counter' : 'updowncounter';
      for (const p of m.dataPoints) out.push({ ...base, kind, labels: labelsOf(p.attributes), value: p.value, delta });
      break;
    }
    case DataPointType.GAUGE:
      for (const p of m.dataPoints) out.push({ ...base, kind: 'gauge', labels: labelsOf(p.attributes), value: p.value });
      break;
    case DataPointType.HISTOGRAM:
      for (const p of m.dataPoints) {
        const ex = (p as { exemplars?: readonly { value: number; timestamp: HrTime; traceId: string; spanId: string }[] }).exemplars;
        const exemplars: Exemplar[] | undefined = ex?.map((e) => ({ time: hrMs(e.timestamp), value: e.value, traceId: e.traceId, spanId: e.spanId }));
        out.push({
          ...base,
          kind: 'histogram',
          labels: labelsOf(p.attributes),
          histogram: { count: p.value.count, sum: p.value.sum ?? 0, bounds: [...p.value.buckets.boundaries], counts: [...p.value.buckets.counts] },
          delta,
          ...(exemplars !== undefined ? { exemplars } : {}),
        });
      }
      break;
    default:
      // Exponential histograms: count and sum only (no bucket bounds to interpolate).
      for (const p of m.dataPoints) out.push({ ...base, kind: 'histogram', labels: labelsOf(p.attributes), histogram: { count: p.value.count, sum: p.value.sum ?? 0, bounds: [], counts: [p.value.count] }, delta });
  }
  return out;
}
