import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { ConfigurationError } from '../../src/errors/MonitoringError.js';
import { createMonitoring } from '../../src/monitoring/createMonitoring.js';
import { FILESYSTEM_USAGE_METRIC, FILESYSTEM_UTILIZATION_METRIC, SystemMetrics } from '../../src/instrumentation/SystemMetrics.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe('SystemMetrics', () => {
  it('reports CPU, memory, network I/O and disk usage through the collector', async () => {
    const monitoring = createMonitoring({ mode: MonitoringMode.DIRECT }, { registerGlobal: false });
    cleanups.push(() => monitoring.shutdown());
    new SystemMetrics({ collector: monitoring.collector, meterProvider: monitoring.meterProvider, diskPaths: ['/'] }).start();

    const metrics = await monitoring.collector.read();
    const byName = new Map(metrics.map((m) => [m.name, m]));
    for (const name of ['system.cpu.time', 'system.cpu.utilization', 'system.memory.usage', 'system.network.io', 'process.cpu.time', 'process.memory.usage']) {
      expect(byName.get(name)?.series.length, name).toBeGreaterThan(0);
    }
    // Every host metric carries its semconv unit (host-metrics 0.39 leaves several out).
    const units = Object.fromEntries(
      ['system.cpu.utilization', 'system.memory.usage', 'system.memory.utilization', 'system.network.io', 'process.cpu.utilization', 'process.memory.usage', 'system.cpu.time'].map((n) => [n, byName.get(n)?.unit]),
    );
    expect(units).toEqual({
      'system.cpu.utilization': '1',
      'system.memory.usage': 'By',
      'system.memory.utilization': '1',
      'system.network.io': 'By',
      'process.cpu.utilization': '1',
      'process.memory.usage': 'By',
      'system.cpu.time': 's',
    });
    const memFree = byName.get('system.memory.usage')!.series.find((s) => s.labels['system.memory.state'] === 'free')?.value;
    expect(memFree).toBeGreaterThan(0);

    // Disk usage agrees with df (within 1%: other processes write meanwhile).
    const [, line] = execFileSync('df', ['-B1', '--output=used,avail', '/'], { encoding: 'utf8' }).trim().split('\n');
    const [dfUsed, dfAvail] = line!.trim().split(/\s+/).map(Number);
    const disk = byName.get(FILESYSTEM_USAGE_METRIC)!.series;
    const used = disk.find((s) => s.labels['system.filesystem.state'] === 'used')!.value!;
    const free = disk.find((s) => s.labels['system.filesystem.state'] === 'free')!.value!;
    expect(Math.abs(used - dfUsed!) / dfUsed!).toBeLessThan(0.01);
    expect(Math.abs(free - dfAvail!) / Math.max(dfAvail!, 1)).toBeLessThan(0.01);
    const util = byName.get(FILESYSTEM_UTILIZATION_METRIC)!.series[0]!.value!;
    expect(util).toBeCloseTo(used / (used + free), 5);
  });

  it('skips a path it cannot stat without failing the read', async () => {
    const monitoring = createMonitoring({ mode: MonitoringMode.DIRECT }, { registerGlobal: false });
    cleanups.push(() => monitoring.shutdown());
    new SystemMetrics({ collector: monitoring.collector, meterProvider: monitoring.meterProvider, diskPaths: ['/does/not/exist', '/'] }).start();
    const disk = await monitoring.collector.readMetric(FILESYSTEM_USAGE_METRIC);
    expect(disk!.series.map((s) => s.labels['system.filesystem.mountpoint'])).toEqual(['/', '/']);
  });

  it('rejects bad options at setup, naming them', () => {
    const monitoring = createMonitoring({ mode: MonitoringMode.DIRECT }, { registerGlobal: false });
    cleanups.push(() => monitoring.shutdown());
    expect(() => new SystemMetrics({ collector: monitoring.collector, meterProvider: monitoring.meterProvider, diskPaths: [] })).toThrow(ConfigurationError);
    expect(() => new SystemMetrics({ collector: monitoring.collector, meterProvider: undefined as never })).toThrow(/meterProvider/);
  });
});
