import { ConfigurationError } from '../errors/MonitoringError.js';

/** A label matcher as Prometheus and Alertmanager have them. */
export interface Matcher {
  readonly name: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

/**
 * Matchers as users write them: an object (`{ route: '/orders' }` for equality, or
 * `{ status: { op: '=~', value: '5..' } }`), or strings in Alertmanager's form
 * (`'severity="critical"'`, `'route=~"/api/.*"'`).
 */
export type MatcherInput =
  | Readonly<Record<string, string | number | boolean | { readonly op: Matcher['op']; readonly value: string }>>
  | readonly (string | Matcher)[];

/** A compiled matcher: regexes are anchored, as in Prometheus. @internal */
export interface CompiledMatcher extends Matcher {
  readonly test: (value: string | undefined) => boolean;
}

const OPS = new Set(['=', '!=', '=~', '!~']);
const STRING_MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_.]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^"\s]*))\s*$/;

/** @internal Parses and compiles matchers; `option` names the field in errors. */
export function compileMatchers(input: unknown, option: string): CompiledMatcher[] {
  if (input === undefined || input === null) return [];
  const raw: Matcher[] = [];
  if (Array.isArray(input)) {
    input.forEach((m, i) => {
      if (typeof m === 'string') {
        const parsed = STRING_MATCHER.exec(m);
        if (parsed === null) throw new ConfigurationError(`${option}[${i}]`, m, 'a matcher such as name="value", name=~"regex", name!="value"');
        const quoted = parsed[3];
        raw.push({ name: parsed[1]!, op: parsed[2] as Matcher['op'], value: quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : parsed[4]! });
      } else if (m !== null && typeof m === 'object' && typeof m.name === 'string' && OPS.has(m.op) && typeof m.value === 'string') {
        raw.push({ name: m.name, op: m.op, value: m.value });
      } else {
        throw new ConfigurationError(`${option}[${i}]`, m, 'a matcher string or { name, op, value }');
      }
    });
  } else if (typeof input === 'object') {
    for (const [name, v] of Object.entries(input as Record<string, unknown>)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') raw.push({ name, op: '=', value: String(v) });
      else if (v !== null && typeof v === 'object' && OPS.has((v as Matcher).op) && typeof (v as Matcher).value === 'string') {
        raw.push({ name, op: (v as Matcher).op, value: (v as Matcher).value });
      } else throw new ConfigurationError(`${option}.${name}`, v, 'a label value or { op: "=" | "!=" | "=~" | "!~", value }');
    }
  } else {
    throw new ConfigurationError(option, input, 'an object of label values or a list of matcher strings');
  }
  return raw.map((m) => compile(m, option));
}

function compile(m: Matcher, option: string): CompiledMatcher {
  if (m.op === '=' || m.op === '!=') {
    const want = m.value;
    // An absent label equals the empty string, as in Prometheus.
    const test = m.op === '=' ? (v: string | undefined) => (v ?? '') === want : (v: string | undefined) => (v ?? '') !== want;
    return { ...m, test };
  }
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${m.value})$`);
  } catch {
    throw new ConfigurationError(`${option}.${m.name}`, m.value, 'a valid regular expression');
  }
  const test = m.op === '=~' ? (v: string | undefined) => re.test(v ?? '') : (v: string | undefined) => !re.test(v ?? '');
  return { ...m, test };
}

/** @internal Whether every matcher accepts the labels. */
export function matchesAll(matchers: readonly CompiledMatcher[], labels: Readonly<Record<string, string>>): boolean {
  for (const m of matchers) if (!m.test(labels[m.name])) return false;
  return true;
}

/** @internal `name="value"` form, for Alertmanager, amtool and rule files. */
export function formatMatcher(m: Matcher): string {
  return `${m.name}${m.op}${JSON.stringify(m.value)}`;
}
