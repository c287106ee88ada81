// Factories for the objects a test file makes in many of its tests: each one made is shut down
// after the test that made it (call the factory at the top level of the file, so its afterEach
// hook is registered there).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { MemoryCollector } from '../../src/collectors/MemoryCollector.js';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { createMonitoring, type Monitoring } from '../../src/monitoring/createMonitoring.js';

/** A MemoryCollector factory; each collector is shut down after its test. */
export function collectorPerTest(): () => MemoryCollector {
  const made: MemoryCollector[] = [];
  afterEach(async () => {
    for (const c of made.splice(0)) await c.shutdown();
  });
  return () => {
    const c = new MemoryCollector();
    made.push(c);
    return c;
  };
}

/** A DIRECT-mode monitoring factory (not registered globally); each is shut down after its test. */
export function monitoringPerTest(serviceName: string): () => Monitoring {
  const made: Monitoring[] = [];
  afterEach(async () => {
    for (const m of made.splice(0)) await m.shutdown(2000);
  });
  return () => {
    const m = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName }, { registerGlobal: false });
    made.push(m);
    return m;
  };
}

/** A temporary-folder factory (`mkdtemp` under the OS temp folder); each folder is removed after its test. */
export function tempDirPerTest(prefix: string): () => string {
  const made: string[] = [];
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}
