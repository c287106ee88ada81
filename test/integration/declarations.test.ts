import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt } from '../helpers/build.js';

// A consumer's strictest setting: `skipLibCheck: false` type-checks every declaration file it
// reaches. The published .d.ts must pull in no third-party declarations that fail that
// (@datadog/sketches-js' did: 7 errors).

let dir: string;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'si-consumer-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'service-infrastructure'));
  symlinkSync(join(ROOT, 'node_modules', '@types'), join(dir, 'node_modules', '@types'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module","private":true}\n');
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, skipLibCheck: false, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, types: ['node'] },
      files: ['index.ts'],
    }),
  );
  writeFileSync(
    join(dir, 'index.ts'),
    [
      "import * as root from 'service-infrastructure';",
      "import * as monitoring from 'service-infrastructure/monitoring';",
      "import * as redis from 'service-infrastructure/redis';",
      "import * as dashboard from 'service-infrastructure/dashboard';",
      "import * as alerting from 'service-infrastructure/alerting';",
      "import 'service-infrastructure/register';",
      'export const all = [root, monitoring, redis, dashboard, alerting];',
      "const m: root.Monitoring = root.createMonitoring({ serviceName: 'consumer' });",
      'export const histogram = m.collector.getHistogram(root.PERFORMANCE_METRICS.phaseDuration);',
      '',
    ].join('\n'),
  );
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('published declarations', () => {
  it('type-check in a consumer with skipLibCheck: false', () => {
    let output = '';
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      output = String((err as { stdout?: string }).stdout ?? err);
    }
    expect(output).toBe('');
  }, 120_000);
});
