import { describe, expect, it } from 'vitest';
import { MemoryCollector } from '../../src/collectors/MemoryCollector.js';
import { ConfigurationError } from '../../src/errors/MonitoringError.js';

// The cells accept OTel semantic-convention names (dots), which the HTTP and runtime metrics use.
describe('metric and label names', () => {
  it('accepts dotted semantic-convention names and reads them back through OTel collect()', async () => {
    const collector = new MemoryCollector();
    collector.recordHistogram('http.server.request.duration', 0.2, { 'http.request.method': 'GET' });
    expect(collector.getHistogram('http.server.request.duration', { 'http.request.method': 'GET' })?.count).toBe(1);
    const read = await collector.readMetric('http.server.request.duration');
    expect(read?.series[0]?.labels).toEqual({ 'http.request.method': 'GET' });
    expect(collector.droppedRecords()).toEqual({});
  });

  it('still drops names that are neither Prometheus nor semconv names, and rejects them at declare()', () => {
    const collector = new MemoryCollector();
    collector.incrementCounter('bad name', undefined);
    collector.incrementCounter('ok_total', { 'bad-label': 'x' });
    expect(collector.droppedRecords()).toEqual({ invalid_name: 1, invalid_label: 1 });
    expect(() => collector.declare('2xx.count', 'counter')).toThrow(ConfigurationError);
  });
});
