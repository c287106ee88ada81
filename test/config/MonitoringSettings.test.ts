import { describe, expect, it } from 'vitest';
import { ConfigurationError, MonitoringMode, MonitoringSettings } from '../../src/index.js';

describe('MonitoringSettings', () => {
  it('has the seed defaults', () => {
    const s = new MonitoringSettings({}, {});
    expect(s.mode).toBe(MonitoringMode.EVENT_DRIVEN);
    expect(s.enableDetailedMetrics).toBe(true);
    expect(s.maxSnapshots).toBe(1000);
    expect(s.healthCheckInterval).toBe(30);
    expect(s.serviceName).toBe('unknown_service:node');
    expect(s.otlpEndpoint).toBe('http://localhost:4318');
  });

  it('reads the environment, and explicit overrides win over it', () => {
    const env = {
      MONITORING_MODE: 'direct',
      MONITORING_ENABLE_DETAILED_METRICS: 'false',
      MONITORING_MAX_SNAPSHOTS: '50',
      MONITORING_HEALTH_CHECK_INTERVAL: '5',
      OTEL_SERVICE_NAME: 'checkout',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,team=payments',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    };
    const s = new MonitoringSettings({ maxSnapshots: 7 }, env);
    expect(s.mode).toBe(MonitoringMode.DIRECT);
    expect(s.enableDetailedMetrics).toBe(false);
    expect(s.maxSnapshots).toBe(7);
    expect(s.healthCheckInterval).toBe(5);
    expect(s.serviceName).toBe('checkout');
    expect(s.otlpEndpoint).toBe('http://collector:4318');
    expect(s.resourceAttributes).toEqual({ 'deployment.environment': 'prod', team: 'payments' });
    expect(s.tracesSampler).toBe('parentbased_traceidratio');
    expect(s.tracesSamplerArg).toBe(0.25);
  });

  it('accepts the mode in any case and with dashes', () => {
    expect(new MonitoringSettings({}, { MONITORING_MODE: 'Event-Driven' }).mode).toBe('event_driven');
  });

  it('is frozen', () => {
    const s = new MonitoringSettings({}, {});
    expect(Object.isFrozen(s)).toBe(true);
    expect(() => {
      (s as { maxSnapshots: number }).maxSnapshots = 3;
    }).toThrow(TypeError);
  });

  it.each([
    [{ mode: 'fast' }, 'mode', '"fast"'],
    [{ maxSnapshots: -1 }, 'maxSnapshots', '-1'],
    [{ maxSnapshots: 1.5 }, 'maxSnapshots', '1.5'],
    [{ healthCheckInterval: 0 }, 'healthCheckInterval', '0'],
    [{ otlpEndpoint: 'collector:4318' }, 'otlpEndpoint', '"collector:4318"'],
    [{ tracesSampler: 'sometimes' }, 'tracesSampler', '"sometimes"'],
    [{ prometheusPort: 70000 }, 'prometheusPort', '70000'],
    [{ healthCheckInterval: Number.POSITIVE_INFINITY }, 'healthCheckInterval', 'Infinity'],
    [{ serviceName: '   ' }, 'serviceName', '"   "'],
    [{ resourceAttributes: { team: 7 } }, 'resourceAttributes.team', '7'],
    [{ resourceAttributes: null }, 'resourceAttributes', 'null'],
    [{ otlpEndpoint: 'ftp://collector:4318' }, 'otlpEndpoint', '"ftp://collector:4318"'],
    [{ otlpEndpoint: 'ftp://app:S3cretPw@collector:4318' }, 'otlpEndpoint', 'ftp://app:***@collector'],
    [{ tracesSampler: 'traceidratio', tracesSamplerArg: 1.5 }, 'tracesSamplerArg', '1.5'],
    [{ tracesSampler: 'rate_limited', tracesSamplerArg: -1 }, 'tracesSamplerArg', '-1'],
    [{ tracesSampler: 'rate_limited', tracesSamplerArg: Number.NaN }, 'tracesSamplerArg', 'NaN'],
    [{ systemMetrics: true, diskPaths: [] }, 'diskPaths', '[]'],
    [{ diskPaths: ['/', ''] }, 'diskPaths', '["/",""]'],
    [{ httpIgnorePaths: ['/health', 'metrics'] }, 'httpIgnorePaths', '["/health","metrics"]'],
    [{ instrumentations: 'http;pg' }, 'instrumentations', '"http;pg"'],
    [{ instrumentations: 5 }, 'instrumentations', '5'],
  ])('rejects %o naming the field and value', (overrides, field, shown) => {
    let err: unknown;
    try {
      new MonitoringSettings(overrides as never, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).code).toBe('SI_ERR_CONFIG');
    expect((err as Error).message).toContain(field);
    expect((err as Error).message).toContain(shown);
  });

  it('accepts the edges of each range', () => {
    expect(new MonitoringSettings({}, { MONITORING_INSTRUMENTATIONS: 'http,pg' }).instrumentations).toBe('http,pg');
    expect(new MonitoringSettings({ instrumentations: 'none' }, {}).instrumentations).toBe('none');
    expect(() => new MonitoringSettings({}, { MONITORING_INSTRUMENTATIONS: 'http pg' })).toThrow('Invalid MONITORING_INSTRUMENTATIONS: "http pg"');
    expect(() => new MonitoringSettings({ healthCheckInterval: 1 }, {})).not.toThrow();
    expect(() => new MonitoringSettings({ tracesSampler: 'traceidratio', tracesSamplerArg: 1 }, {})).not.toThrow();
    expect(() => new MonitoringSettings({ tracesSampler: 'rate_limited', tracesSamplerArg: 250 }, {})).not.toThrow();
    expect(() => new MonitoringSettings({ systemMetrics: false, diskPaths: [] }, {})).not.toThrow();
    expect(new MonitoringSettings({ resourceAttributes: { team: 'checkout' } }, {}).resourceAttributes).toEqual({ team: 'checkout' });
  });

  it('never shows the password of a bad endpoint', () => {
    expect(() => new MonitoringSettings({ otlpEndpoint: 'ftp://app:S3cretPw@collector' }, {})).toThrow(/^(?!.*S3cretPw).*otlpEndpoint/);
  });

  it('names the environment variable when the bad value came from it', () => {
    expect(() => new MonitoringSettings({}, { MONITORING_MAX_SNAPSHOTS: 'lots' })).toThrow(/MONITORING_MAX_SNAPSHOTS.*"lots"/);
    expect(() => new MonitoringSettings({}, { MONITORING_MODE: 'fast' })).toThrow(/MONITORING_MODE.*"fast"/);
    expect(() => new MonitoringSettings({}, { MONITORING_ENABLE_DETAILED_METRICS: 'maybe' })).toThrow(/MONITORING_ENABLE_DETAILED_METRICS/);
  });

  it('rejects unknown fields', () => {
    expect(() => new MonitoringSettings({ maxSnapshot: 3 } as never, {})).toThrow(/maxSnapshot/);
  });

  it('with() returns a validated copy', () => {
    const s = new MonitoringSettings({ serviceName: 'a' }, {});
    const t = s.with({ mode: MonitoringMode.DISABLED });
    expect(t.serviceName).toBe('a');
    expect(t.mode).toBe('disabled');
    expect(() => s.with({ maxSnapshots: 0 })).toThrow(ConfigurationError);
  });
  it("reads OTel's exporter and resource-detector variables: lists, none, all; a bad name stops setup naming the variable", () => {
    const s = new MonitoringSettings({}, {
      OTEL_TRACES_EXPORTER: 'otlp, console',
      OTEL_METRICS_EXPORTER: 'PROMETHEUS',
      OTEL_NODE_RESOURCE_DETECTORS: 'host,os',
      OTEL_EXPORTER_PROMETHEUS_PORT: '9999',
      OTEL_EXPORTER_PROMETHEUS_HOST: '::1',
    });
    expect(s.tracesExporter).toEqual(['otlp', 'console']);
    expect(s.metricsExporter).toEqual(['prometheus']);
    expect(s.resourceDetectors).toEqual(['host', 'os']);
    expect(s.prometheusPort).toBe(9999);
    expect(s.prometheusHost).toBe('::1');
    const none = new MonitoringSettings({}, { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_NODE_RESOURCE_DETECTORS: 'none' });
    expect([none.tracesExporter, none.metricsExporter, none.resourceDetectors]).toEqual([[], [], []]);
    const defaults = new MonitoringSettings({}, {});
    expect(defaults.tracesExporter).toBeUndefined(); // the mode decides
    expect(defaults.resourceDetectors).toEqual(['env', 'host', 'os', 'process', 'container', 'serviceinstance']);
    expect(new MonitoringSettings({}, { OTEL_NODE_RESOURCE_DETECTORS: 'all' }).resourceDetectors).toEqual(defaults.resourceDetectors);
    // This SDK's own variable wins over OTel's when both are set.
    expect(new MonitoringSettings({}, { OTEL_EXPORTER_PROMETHEUS_PORT: '1', MONITORING_PROMETHEUS_PORT: '2' }).prometheusPort).toBe(2);
    expect(() => new MonitoringSettings({}, { OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/OTEL_TRACES_EXPORTER.*"zipkin"/);
    expect(() => new MonitoringSettings({}, { OTEL_METRICS_EXPORTER: 'none,otlp' })).toThrow(/OTEL_METRICS_EXPORTER/);
    expect(() => new MonitoringSettings({}, { OTEL_NODE_RESOURCE_DETECTORS: 'aws' })).toThrow(/OTEL_NODE_RESOURCE_DETECTORS/);
    expect(() => new MonitoringSettings({ metricsExporter: ['statsd'] as never }, {})).toThrow(/metricsExporter/);
  });
});
