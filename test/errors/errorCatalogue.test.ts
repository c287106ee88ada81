// The README's error table is the catalogue users read: it must list exactly the codes and classes
// the code throws, and every class must be exported from the package root.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import { MonitoringError } from '../../src/errors/MonitoringError.js';
import { ROOT } from '../helpers/build.js';

function readmeTable(): Map<string, string> {
  const readme = readFileSync(`${ROOT}/README.md`, 'utf8');
  const rows = new Map<string, string>();
  for (const m of readme.matchAll(/^\| `(SI_ERR_[A-Z_]+)` \| `(\w+)` \|/gm)) rows.set(m[1]!, m[2]!);
  return rows;
}

function sourceCatalogue(): Map<string, string> {
  const src = readFileSync(`${ROOT}/src/errors/MonitoringError.ts`, 'utf8');
  const out = new Map<string, string>();
  for (const m of src.matchAll(/export class (\w+) extends MonitoringError \{[\s\S]*?super\('(SI_ERR_[A-Z_]+)'/g)) out.set(m[2]!, m[1]!);
  return out;
}

describe('error catalogue', () => {
  it("the README's error table lists exactly the codes and classes in src/errors", () => {
    const code = sourceCatalogue();
    expect(code.size).toBeGreaterThanOrEqual(6);
    expect(Object.fromEntries(readmeTable())).toEqual(Object.fromEntries(code));
  });

  it('every error class is exported from the root and carries its code', () => {
    for (const [codeName, className] of sourceCatalogue()) {
      const Ctor = (api as Record<string, unknown>)[className];
      expect(typeof Ctor, `${className} is exported`).toBe('function');
      expect((Ctor as { prototype: unknown }).prototype).toBeInstanceOf(MonitoringError);
      expect(codeName).toMatch(/^SI_ERR_/);
    }
  });
});
