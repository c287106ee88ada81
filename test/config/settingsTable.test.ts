// One settings table: every MonitoringSettings field, the env vars it reads and its default are
// in the README's configuration table, and the table lists nothing the settings do not hold.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MonitoringSettings, RESOURCE_DETECTORS, SETTINGS_ENV_PAIRS } from '../../src/config/MonitoringSettings.js';
import { ROOT } from '../helpers/build.js';

interface Row {
  readonly envs: string[];
  readonly default: string;
}

function readmeSettings(): Map<string, Row> {
  const readme = readFileSync(`${ROOT}/README.md`, 'utf8');
  const rows = new Map<string, Row>();
  for (const m of readme.matchAll(/^\| `(\w+)` \| ([^|]+) \| ([^|]+) \|/gm)) {
    const envs = [...m[2]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((e) => e[1]!);
    if (envs.length > 0) rows.set(m[1]!, { envs: envs.sort(), default: m[3]!.trim() });
  }
  return rows;
}

describe('settings table', () => {
  const defaults = new MonitoringSettings({}, {}).toJSON() as unknown as Record<string, unknown>;
  const table = readmeSettings();

  it('the README lists exactly the settings, each with the env vars the code reads', () => {
    const code = new Map<string, string[]>();
    for (const [key, env] of SETTINGS_ENV_PAIRS) code.set(key, [...(code.get(key) ?? []), env].sort());
    expect(Object.keys(defaults).sort()).toEqual([...code.keys()].sort());
    expect(Object.fromEntries([...table].map(([k, r]) => [k, r.envs]))).toEqual(Object.fromEntries(code));
  });

  it('the README states the default of every plain setting as the code has it', () => {
    let checked = 0;
    for (const [key, value] of Object.entries(defaults)) {
      // The README says `all` for the full detector list, as the env var does.
      const list = Array.isArray(value) ? value.join(',') : undefined;
      const shown = list === RESOURCE_DETECTORS.join(',') ? 'all' : (list ?? value);
      if (typeof shown !== 'string' && typeof shown !== 'number' && typeof shown !== 'boolean') continue;
      expect(`${key}: ${table.get(key)?.default}`).toBe(`${key}: \`${String(shown).toLowerCase()}\``);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(15);
  });
});
