// docs/api.md is where a user finds every name the package root exports. It must list exactly the
// names of the API report (api/index.api.md, which `npm run api:check` holds to the build): a new
// export needs its line there, a removed one loses it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/build.js';

function reportNames(): string[] {
  const report = readFileSync(`${ROOT}/api/index.api.md`, 'utf8');
  return [...report.matchAll(/^\/\/ (\w+)$/gm)].map((m) => m[1]!).sort();
}

/** The names in the first column of the tables under "## Root". */
function documentedNames(): string[] {
  const page = readFileSync(`${ROOT}/docs/api.md`, 'utf8');
  const root = page.slice(page.indexOf('\n## Root\n'));
  const names: string[] = [];
  for (const row of root.matchAll(/^\| (`[^|]+) \|/gm)) for (const n of row[1]!.matchAll(/`(\w+)`/g)) names.push(n[1]!);
  return names.sort();
}

describe('docs/api.md', () => {
  it('lists every root export once, and nothing the root does not export', () => {
    const report = reportNames();
    const documented = documentedNames();
    expect(report.length).toBeGreaterThan(100);
    expect(documented.filter((n, i) => documented[i - 1] === n), 'listed twice').toEqual([]);
    expect(report.filter((n) => !documented.includes(n)), 'exported but not in docs/api.md').toEqual([]);
    expect(documented.filter((n) => !report.includes(n)), 'in docs/api.md but not exported').toEqual([]);
  });
});
