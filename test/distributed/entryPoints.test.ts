import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every module reachable from `entry` through value (not `import type`) imports, plus bare package names. */
function reachable(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [resolve(SRC, entry)];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      if (/^\s*(?:import|export)\s+type\s/.test(m[0].trimStart())) continue;
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('.')) todo.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  }
  return { files, packages };
}

describe('entry points', () => {
  it('the package root never loads a Redis client or the Redis adapters', () => {
    const { files, packages } = reachable('index.ts');
    expect(packages.has('ioredis')).toBe(false);
    const adapters = [...files].filter((f) => /distributed\/(Redis|connection|commitScript)/.test(f));
    expect(adapters).toEqual([]);
  });

  it('service-infrastructure/redis is where ioredis comes in', () => {
    expect(reachable('distributed/index.ts').packages.has('ioredis')).toBe(true);
    const pkg = JSON.parse(readFileSync(resolve(SRC, '../package.json'), 'utf8')) as { exports: Record<string, unknown> };
    expect(pkg.exports['./redis']).toEqual({ types: './dist/distributed/index.d.ts', import: './dist/distributed/index.js' });
  });
});
