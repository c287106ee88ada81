import { ConfigurationError } from '../errors/MonitoringError.js';
import { numberFromText, requireArray, requireBoolean, requireHttpUrl, requireIntRange, requireNonBlankString, requireNonEmptyString, requireNumber, requireOneOf, requireRecord, requireString } from '../internal/configCheck.js';
import { envBoolean } from '../internal/env.js';
import { INSTRUMENTATIONS_ENV, parseInstrumentations } from './instrumentationChoice.js';
import { MonitoringMode } from './MonitoringMode.js';

/** The OTLP body encoding. `http/protobuf` is the OTel default. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** Span exporters `OTEL_TRACES_EXPORTER` can name (`none` is the empty list). */
export type TracesExporterName = 'otlp' | 'console';
/** Metric exporters `OTEL_METRICS_EXPORTER` can name (`none` is the empty list). */
export type MetricsExporterName = 'otlp' | 'prometheus' | 'console';
/** Resource detectors `OTEL_NODE_RESOURCE_DETECTORS` can name (`all` is every one, `none` the empty list). */
export type ResourceDetectorName = 'env' | 'host' | 'os' | 'process' | 'container' | 'serviceinstance';

export const TRACES_EXPORTERS: readonly TracesExporterName[] = Object.freeze(['otlp', 'console']);
export const METRICS_EXPORTERS: readonly MetricsExporterName[] = Object.freeze(['otlp', 'prometheus', 'console']);
export const RESOURCE_DETECTORS: readonly ResourceDetectorName[] = Object.freeze(['env', 'host', 'os', 'process', 'container', 'serviceinstance']);

/** Everything `MonitoringSettings` holds; every field is optional in the overrides. */
export interface MonitoringSettingsOptions {
  /** Which coordinator runs. Env `MONITORING_MODE`. Default `EVENT_DRIVEN`, as in the seed. */
  mode: MonitoringMode;
  /** Per-phase attributes, percentiles and the recent-record ring. Env `MONITORING_ENABLE_DETAILED_METRICS`. Default true. */
  enableDetailedMetrics: boolean;
  /** How many recent phase/operation records (and spans) are kept in memory. Env `MONITORING_MAX_SNAPSHOTS`. Default 1000. */
  maxSnapshots: number;
  /** Seconds between background health checks. Env `MONITORING_HEALTH_CHECK_INTERVAL`. Default 30. */
  healthCheckInterval: number;
  /** `service.name` resource attribute. Env `OTEL_SERVICE_NAME`. Default `unknown_service:node`. */
  serviceName: string;
  /** Extra resource attributes. Env `OTEL_RESOURCE_ATTRIBUTES` (`k=v,k2=v2`). */
  resourceAttributes: Readonly<Record<string, string>>;
  /** OTLP/HTTP base URL; `/v1/traces` and `/v1/metrics` are appended. Env `OTEL_EXPORTER_OTLP_ENDPOINT`. Default `http://localhost:4318`. */
  otlpEndpoint: string;
  /** OTLP body encoding. Env `OTEL_EXPORTER_OTLP_PROTOCOL`. Default `http/protobuf`. */
  otlpProtocol: OtlpProtocol;
  /** Milliseconds between OTLP metric exports. Env `OTEL_METRIC_EXPORT_INTERVAL`. Default 60000. */
  metricExportInterval: number;
  /** OTel sampler name. Env `OTEL_TRACES_SAMPLER`. Default `parentbased_always_on`. */
  tracesSampler: string;
  /** Sampler argument (ratio, or traces per second for `rate_limited`). Env `OTEL_TRACES_SAMPLER_ARG`. */
  tracesSamplerArg: number | undefined;
  /** Prometheus endpoint port; 0 picks a free one. Env `MONITORING_PROMETHEUS_PORT`. Default 9464. */
  prometheusPort: number;
  /** Prometheus endpoint host. Env `MONITORING_PROMETHEUS_HOST`. Default `127.0.0.1`. */
  prometheusHost: string;
  /** Most label sets one metric keeps before folding the rest into an overflow series. Env `MONITORING_MAX_CARDINALITY`. Default 2000. */
  maxCardinality: number;
  /** Capacity of each async event subscriber's queue. Env `MONITORING_EVENT_QUEUE_SIZE`. Default 10000. */
  eventQueueSize: number;
  /** Throw on bad records instead of dropping and counting them (for tests). Env `MONITORING_STRICT`. Default false. */
  strict: boolean;
  /**
   * Where spans go. Env `OTEL_TRACES_EXPORTER` (`otlp`, `console`, `none`, or a list). Default:
   * `otlp` in EVENT_DRIVEN mode, nowhere but memory otherwise.
   */
  tracesExporter: readonly TracesExporterName[] | undefined;
  /**
   * Where metrics go. Env `OTEL_METRICS_EXPORTER` (`otlp`, `prometheus`, `console`, `none`, or a
   * list). `prometheus` opens the endpoint on `prometheusHost:prometheusPort` under `register`.
   * Default: `otlp` in EVENT_DRIVEN mode, nowhere but memory otherwise.
   */
  metricsExporter: readonly MetricsExporterName[] | undefined;
  /**
   * OTel resource detectors run at startup. Env `OTEL_NODE_RESOURCE_DETECTORS` (`all`, `none`, or
   * a list of `env,host,os,process,container,serviceinstance`). Default all of them.
   * `service.instance.id` is set whatever this says.
   */
  resourceDetectors: readonly ResourceDetectorName[];
  /** Under `register`: the lean `node:http` server path (RED metrics + SERVER spans). Env `MONITORING_HTTP_SERVER`. Default true. */
  httpServer: boolean;
  /** Under `register`: `RuntimeMetrics`. Env `MONITORING_RUNTIME_METRICS`. Default true. */
  runtimeMetrics: boolean;
  /** Under `register`: `SystemMetrics`. Env `MONITORING_SYSTEM_METRICS`. Default true. */
  systemMetrics: boolean;
  /** Under `register`: paths whose file systems `SystemMetrics` reports. Env `MONITORING_DISK_PATHS` (comma-separated). Default `['/']`. */
  diskPaths: readonly string[];
  /**
   * Under `register`: request paths the HTTP server path does not record (`/x/*` is a prefix).
   * Env `MONITORING_HTTP_IGNORE_PATHS` (comma-separated). Default: `HttpServerInstrumentation`'s list.
   */
  httpIgnorePaths: readonly string[] | undefined;
  /**
   * Under `register`: OTel's library instrumentations to load: `all`, `none`, or short names
   * (`http,pg,ioredis`). Env `MONITORING_INSTRUMENTATIONS`. Default unset, which is `all` when
   * `@opentelemetry/auto-instrumentations-node` is installed and none otherwise.
   */
  instrumentations: string | undefined;
  /** Under `register`: bound in ms on the final flush at a signal or when the process ends by itself. Env `MONITORING_SHUTDOWN_TIMEOUT_MS`. Default 2000. */
  shutdownTimeoutMs: number;
  /**
   * Most spans kept for retry after their OTLP export failed (the Collector is down); the oldest
   * are dropped, and counted, past it. 0 turns the retry buffer off. Env
   * `MONITORING_EXPORT_BUFFER_SPANS`. Default 8192.
   */
  exportBufferSpans: number;
  /** Milliseconds a failed span batch is retried before it is dropped and counted. Env `MONITORING_EXPORT_BUFFER_MAX_AGE_MS`. Default 60000. */
  exportBufferMaxAge: number;
}

const DEFAULTS: MonitoringSettingsOptions = {
  mode: MonitoringMode.EVENT_DRIVEN,
  enableDetailedMetrics: true,
  maxSnapshots: 1000,
  healthCheckInterval: 30,
  serviceName: 'unknown_service:node',
  resourceAttributes: {},
  otlpEndpoint: 'http://localhost:4318',
  otlpProtocol: 'http/protobuf',
  metricExportInterval: 60_000,
  tracesSampler: 'parentbased_always_on',
  tracesSamplerArg: undefined,
  prometheusPort: 9464,
  prometheusHost: '127.0.0.1',
  maxCardinality: 2000,
  eventQueueSize: 10_000,
  strict: false,
  tracesExporter: undefined,
  metricsExporter: undefined,
  resourceDetectors: RESOURCE_DETECTORS,
  httpServer: true,
  runtimeMetrics: true,
  systemMetrics: true,
  diskPaths: Object.freeze(['/']),
  httpIgnorePaths: undefined,
  instrumentations: undefined,
  shutdownTimeoutMs: 2000,
  exportBufferSpans: 8192,
  exportBufferMaxAge: 60_000,
};

/** Samplers accepted in `tracesSampler` (the OTel spec's names plus `rate_limited`). */
export const TRACES_SAMPLERS = Object.freeze([
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
  'rate_limited',
  'parentbased_rate_limited',
] as const);

type EnvReader = (env: NodeJS.ProcessEnv, name: string) => unknown;
type Spec = readonly [key: keyof MonitoringSettingsOptions, env: string, read: EnvReader];

const str: EnvReader = (env, name) => env[name];
const lower: EnvReader = (env, name) => env[name]?.trim().toLowerCase();
const mode: EnvReader = (env, name) => env[name]?.trim().toLowerCase().replace(/-/g, '_');
const num: EnvReader = (env, name) => numberFromText(name, env[name]);
const bool: EnvReader = envBoolean;
/** Comma-separated items, trimmed, empty ones dropped (`/,/data` or `/metrics, /health/*`). */
const items: EnvReader = (env, name) => {
  const raw = env[name];
  if (raw === undefined) return undefined;
  return raw.split(',').map((p) => p.trim()).filter((p) => p !== '');
};
const attrs: EnvReader = (env, name) => {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const out: Record<string, string> = {};
  for (const pair of raw.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigurationError(name, raw, 'comma-separated key=value pairs');
    const key = decodePart(name, raw, pair.slice(0, eq).trim());
    if (key === '') throw new ConfigurationError(name, raw, 'comma-separated key=value pairs with non-empty keys');
    out[key] = decodePart(name, raw, pair.slice(eq + 1).trim());
  }
  return out;
};

/** Percent-decodes one key or value; a malformed escape (`%ZZ`) names the variable instead of a bare URIError. */
function decodePart(name: string, raw: string, part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ConfigurationError(name, raw, `comma-separated key=value pairs, percent-encoded where needed (${JSON.stringify(part)} has a malformed % escape)`);
  }
}

/** Shortest accepted `healthCheckInterval`, in seconds: a smaller one would run every check in a busy loop. */
export const MIN_HEALTH_CHECK_INTERVAL_SECONDS = 1;

/** A comma-separated list, lower-cased; `none` is the empty list and `all` (when `all` is given) every name. */
const list =
  (known: readonly string[], all?: readonly string[]): EnvReader =>
  (env, name) => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return undefined;
    return parseList(raw, known, all, name);
  };

function parseList(raw: string | readonly string[], known: readonly string[], all: readonly string[] | undefined, name: string): string[] {
  const items = (typeof raw === 'string' ? raw.split(',') : raw).map((x) => String(x).trim().toLowerCase()).filter((x) => x !== '');
  const allowed = [...known, 'none', ...(all !== undefined ? ['all'] : [])];
  for (const item of items) if (!allowed.includes(item)) throw new ConfigurationError(name, raw, `a comma-separated list of ${allowed.join(', ')}`);
  if (items.includes('none')) {
    if (items.length > 1) throw new ConfigurationError(name, raw, '`none` alone, or a list without it');
    return [];
  }
  if (all !== undefined && items.includes('all')) return [...all];
  return [...new Set(items)];
}

const ENV: readonly Spec[] = [
  ['mode', 'MONITORING_MODE', mode],
  ['enableDetailedMetrics', 'MONITORING_ENABLE_DETAILED_METRICS', bool],
  ['maxSnapshots', 'MONITORING_MAX_SNAPSHOTS', num],
  ['healthCheckInterval', 'MONITORING_HEALTH_CHECK_INTERVAL', num],
  ['serviceName', 'OTEL_SERVICE_NAME', str],
  ['resourceAttributes', 'OTEL_RESOURCE_ATTRIBUTES', attrs],
  ['otlpEndpoint', 'OTEL_EXPORTER_OTLP_ENDPOINT', str],
  ['otlpProtocol', 'OTEL_EXPORTER_OTLP_PROTOCOL', lower],
  ['metricExportInterval', 'OTEL_METRIC_EXPORT_INTERVAL', num],
  ['tracesSampler', 'OTEL_TRACES_SAMPLER', lower],
  ['tracesSamplerArg', 'OTEL_TRACES_SAMPLER_ARG', num],
  // OTel's names first, so this SDK's older names win when both are set.
  ['prometheusPort', 'OTEL_EXPORTER_PROMETHEUS_PORT', num],
  ['prometheusHost', 'OTEL_EXPORTER_PROMETHEUS_HOST', str],
  ['prometheusPort', 'MONITORING_PROMETHEUS_PORT', num],
  ['prometheusHost', 'MONITORING_PROMETHEUS_HOST', str],
  ['maxCardinality', 'MONITORING_MAX_CARDINALITY', num],
  ['eventQueueSize', 'MONITORING_EVENT_QUEUE_SIZE', num],
  ['strict', 'MONITORING_STRICT', bool],
  ['tracesExporter', 'OTEL_TRACES_EXPORTER', list(TRACES_EXPORTERS)],
  ['metricsExporter', 'OTEL_METRICS_EXPORTER', list(METRICS_EXPORTERS)],
  ['resourceDetectors', 'OTEL_NODE_RESOURCE_DETECTORS', list(RESOURCE_DETECTORS, RESOURCE_DETECTORS)],
  ['httpServer', 'MONITORING_HTTP_SERVER', bool],
  ['runtimeMetrics', 'MONITORING_RUNTIME_METRICS', bool],
  ['systemMetrics', 'MONITORING_SYSTEM_METRICS', bool],
  ['diskPaths', 'MONITORING_DISK_PATHS', items],
  ['httpIgnorePaths', 'MONITORING_HTTP_IGNORE_PATHS', items],
  ['instrumentations', INSTRUMENTATIONS_ENV, str],
  ['shutdownTimeoutMs', 'MONITORING_SHUTDOWN_TIMEOUT_MS', num],
  ['exportBufferSpans', 'MONITORING_EXPORT_BUFFER_SPANS', num],
  ['exportBufferMaxAge', 'MONITORING_EXPORT_BUFFER_MAX_AGE_MS', num],
];

/** @internal Every (setting, env var) pair, in reading order (a setting may have two names). */
export const SETTINGS_ENV_PAIRS: readonly (readonly [setting: string, env: string])[] = Object.freeze(ENV.map(([key, name]) => [key, name] as const));

/** The environment variable behind each setting, for docs and error messages. */
export const SETTINGS_ENV: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(ENV.map(([key, name]) => [key, name])),
);

/**
 * Monitoring configuration, built like the seed's `BaseSettings`: defaults, then environment
 * variables, then explicit overrides. Validated once and frozen; a bad value throws a
 * `ConfigurationError` naming the field (or env var) and the value.
 *
 * @example
 * const settings = new MonitoringSettings({ mode: MonitoringMode.DIRECT, serviceName: 'checkout' });
 * settings.maxSnapshots; // 1000 unless MONITORING_MAX_SNAPSHOTS says otherwise
 */
export class MonitoringSettings implements Readonly<MonitoringSettingsOptions> {
  readonly mode!: MonitoringMode;
  readonly enableDetailedMetrics!: boolean;
  readonly maxSnapshots!: number;
  readonly healthCheckInterval!: number;
  readonly serviceName!: string;
  readonly resourceAttributes!: Readonly<Record<string, string>>;
  readonly otlpEndpoint!: string;
  readonly otlpProtocol!: OtlpProtocol;
  readonly metricExportInterval!: number;
  readonly tracesSampler!: string;
  readonly tracesSamplerArg!: number | undefined;
  readonly prometheusPort!: number;
  readonly prometheusHost!: string;
  readonly maxCardinality!: number;
  readonly eventQueueSize!: number;
  readonly strict!: boolean;
  readonly tracesExporter!: readonly TracesExporterName[] | undefined;
  readonly metricsExporter!: readonly MetricsExporterName[] | undefined;
  readonly resourceDetectors!: readonly ResourceDetectorName[];
  readonly httpServer!: boolean;
  readonly runtimeMetrics!: boolean;
  readonly systemMetrics!: boolean;
  readonly diskPaths!: readonly string[];
  readonly httpIgnorePaths!: readonly string[] | undefined;
  readonly instrumentations!: string | undefined;
  readonly shutdownTimeoutMs!: number;
  readonly exportBufferSpans!: number;
  readonly exportBufferMaxAge!: number;

  constructor(overrides: Partial<MonitoringSettingsOptions> = {}, env: NodeJS.ProcessEnv = process.env) {
    const merged: Record<string, unknown> = { ...DEFAULTS };
    const source: Record<string, string> = {};
    for (const [key, name, read] of ENV) {
      const value = read(env, name);
      if (value !== undefined) {
        merged[key] = value;
        source[key] = name;
      }
    }
    for (const [key, value] of Object.entries(overrides)) {
      if (!(key in DEFAULTS)) throw new ConfigurationError(key, value, `one of ${Object.keys(DEFAULTS).join(', ')}`);
      if (value !== undefined) {
        merged[key] = value;
        delete source[key];
      }
    }
    const nameOf = (key: string): string => source[key] ?? key;
    // Lists given in code are checked (and normalised) like the env var.
    for (const [key, known, all] of [
      ['tracesExporter', TRACES_EXPORTERS, undefined],
      ['metricsExporter', METRICS_EXPORTERS, undefined],
      ['resourceDetectors', RESOURCE_DETECTORS, RESOURCE_DETECTORS],
    ] as const) {
      const v = merged[key];
      if (v === undefined && key !== 'resourceDetectors') continue;
      requireArray(nameOf(key), v, `an array of ${known.join(', ')}`);
      merged[key] = Object.freeze(parseList(v as string[], known, all, nameOf(key)));
    }
    validate(merged as unknown as MonitoringSettingsOptions, nameOf);
    const frozenList = (key: 'diskPaths' | 'httpIgnorePaths'): unknown => (merged[key] === undefined ? undefined : Object.freeze([...(merged[key] as string[])]));
    Object.assign(this, merged, {
      resourceAttributes: Object.freeze({ ...(merged['resourceAttributes'] as object) }),
      diskPaths: frozenList('diskPaths'),
      httpIgnorePaths: frozenList('httpIgnorePaths'),
    });
    Object.freeze(this);
  }

  /** A copy with some fields changed, validated like the original. */
  with(overrides: Partial<MonitoringSettingsOptions>): MonitoringSettings {
    const current: Partial<MonitoringSettingsOptions> = { ...this };
    return new MonitoringSettings({ ...current, ...overrides }, {});
  }

  /** A plain object of every field (for logs and `/debug` pages). */
  toJSON(): MonitoringSettingsOptions {
    return { ...this };
  }
}

/** Longest interval a Node timer can hold, in whole seconds. */
const MAX_INTERVAL_SECONDS = 2_147_483;

function validate(s: MonitoringSettingsOptions, name: (key: string) => string): void {
  const int = (key: keyof MonitoringSettingsOptions, min: number, max: number): void => requireIntRange(name(key), s[key], min, max);
  requireOneOf(name('mode'), s.mode, Object.values(MonitoringMode));
  requireBoolean(name('enableDetailedMetrics'), s.enableDetailedMetrics);
  requireBoolean(name('strict'), s.strict);
  int('maxSnapshots', 1, 10_000_000);
  requireNumber(name('healthCheckInterval'), s.healthCheckInterval, { min: MIN_HEALTH_CHECK_INTERVAL_SECONDS, max: MAX_INTERVAL_SECONDS }, `a number of seconds from ${MIN_HEALTH_CHECK_INTERVAL_SECONDS} to ${MAX_INTERVAL_SECONDS}`);
  requireNonBlankString(name('serviceName'), s.serviceName);
  requireRecord(name('resourceAttributes'), s.resourceAttributes, (v) => typeof v === 'string', 'a string', 'an object of string values');
  const endpoint: unknown = s.otlpEndpoint;
  requireHttpUrl(name('otlpEndpoint'), endpoint instanceof URL ? endpoint.href : endpoint);
  requireOneOf(name('otlpProtocol'), s.otlpProtocol, ['http/protobuf', 'http/json'], 'http/protobuf or http/json');
  int('metricExportInterval', 1, 24 * 3600_000);
  requireOneOf(name('tracesSampler'), s.tracesSampler, TRACES_SAMPLERS);
  if (s.tracesSamplerArg !== undefined) {
    const arg = s.tracesSamplerArg;
    const ratio = s.tracesSampler.includes('traceidratio');
    if (ratio) requireNumber(name('tracesSamplerArg'), arg, { min: 0, max: 1 }, 'a ratio from 0 to 1');
    else requireNumber(name('tracesSamplerArg'), arg, { min: 0 }, 'a non-negative number');
  }
  int('prometheusPort', 0, 65535);
  requireNonEmptyString(name('prometheusHost'), s.prometheusHost, 'a host name or address');
  int('maxCardinality', 1, 1_000_000);
  int('eventQueueSize', 1, 10_000_000);
  requireBoolean(name('httpServer'), s.httpServer);
  requireBoolean(name('runtimeMetrics'), s.runtimeMetrics);
  requireBoolean(name('systemMetrics'), s.systemMetrics);
  // diskPaths is only read (and so only needs an entry) when systemMetrics is on.
  requireArray(name('diskPaths'), s.diskPaths, 'comma-separated paths, e.g. /,/var/lib/data', (p) => typeof p === 'string' && p !== '', s.systemMetrics ? 1 : 0);
  if (s.httpIgnorePaths !== undefined) requireArray(name('httpIgnorePaths'), s.httpIgnorePaths, 'comma-separated paths starting with /, e.g. /metrics,/health/*', (p) => typeof p === 'string' && p.startsWith('/'));
  if (s.instrumentations !== undefined) {
    requireString(name('instrumentations'), s.instrumentations, 'all, none, or instrumentation short names like http,pg,ioredis');
    parseInstrumentations(s.instrumentations, name('instrumentations'));
  }
  int('shutdownTimeoutMs', 0, MAX_INTERVAL_SECONDS * 1000);
  int('exportBufferSpans', 0, 1_000_000);
  int('exportBufferMaxAge', 1000, 24 * 3600_000);
}
