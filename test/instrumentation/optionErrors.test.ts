// Setup checks of the HTTP, runtime and system instrumentation name the option and the value.
import { describe, expect, it } from 'vitest';
import { HttpServerInstrumentation } from '../../src/instrumentation/HttpServerInstrumentation.js';
import { RuntimeMetrics } from '../../src/instrumentation/RuntimeMetrics.js';
import { SystemMetrics } from '../../src/instrumentation/SystemMetrics.js';
import { messageOf } from '../helpers/configError.js';
import { monitoringPerTest } from '../helpers/perTest.js';

const monitoring = monitoringPerTest('instr-options');

describe('instrumentation option errors', () => {
  it('name the option and the value', () => {
    const m = monitoring();
    expect(messageOf(() => new RuntimeMetrics(null as never))).toBe('Invalid options: null (expected { collector, sampleIntervalMs? })');
    expect(messageOf(() => new RuntimeMetrics({ collector: {} as never }))).toBe('Invalid collector: {} (expected a MemoryCollector)');
    expect(messageOf(() => new RuntimeMetrics({ collector: m.collector, sampleIntervalMs: Number.POSITIVE_INFINITY }))).toBe(
      'Invalid sampleIntervalMs: Infinity (expected a number of milliseconds >= 1)',
    );
    expect(messageOf(() => new HttpServerInstrumentation({ collector: undefined as never }))).toBe('Invalid collector: undefined (expected a MemoryCollector)');
    expect(messageOf(() => new HttpServerInstrumentation({ collector: m.collector, ignorePaths: ['/health', 'metrics'] }))).toBe(
      'Invalid ignorePaths: ["/health","metrics"] (expected an array of paths starting with /, e.g. ["/metrics", "/health/*"])',
    );
    expect(messageOf(() => new SystemMetrics({ collector: m.collector, meterProvider: {} as never }))).toBe('Invalid meterProvider: {} (expected the MeterProvider the collector reads)');
    expect(messageOf(() => new SystemMetrics({ collector: m.collector, meterProvider: m.meterProvider, diskPaths: ['/', ''] }))).toBe('Invalid diskPaths: ["/",""] (expected a non-empty array of paths)');
  });

  it('accepts the edges', () => {
    const m = monitoring();
    expect(() => new RuntimeMetrics({ collector: m.collector, sampleIntervalMs: 1 })).not.toThrow();
    expect(() => new HttpServerInstrumentation({ collector: m.collector, ignorePaths: [] })).not.toThrow();
  });
});
