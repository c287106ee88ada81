/**
 * The subset of Prometheus' Go templates that alert annotations use: `{{ $value }}`,
 * `{{ $labels.name }}` (and `{{ $labels }}`), other `$vars` the rule kind provides, and the pipes
 * `humanize`, `humanizePercentage`, `humanizeDuration`, `printf "%.2f"`. Unknown expressions render
 * as written, so a typo shows up in the notification rather than as an empty string.
 */
export interface TemplateData {
  readonly value: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly vars?: Readonly<Record<string, number | string>>;
}

const ACTION = /\{\{-?\s*(.*?)\s*-?\}\}/g;

/** @internal */
export function renderTemplate(text: string, data: TemplateData): string {
  if (!text.includes('{{')) return text;
  return text.replace(ACTION, (whole, expr: string) => {
    const parts = expr.split('|').map((p) => p.trim());
    let value: unknown = resolve(parts[0]!, data);
    if (value === undefined) return whole;
    for (const pipe of parts.slice(1)) {
      const piped = applyPipe(pipe, value);
      if (piped === undefined) return whole;
      value = piped;
    }
    return typeof value === 'number' ? goFloat(value) : String(value);
  });
}

function resolve(expr: string, data: TemplateData): unknown {
  if (expr === '$value' || expr === '.Value') return data.value;
  if (expr === '$labels' || expr === '.Labels') return `map[${Object.keys(data.labels).sort().map((k) => `${k}:${data.labels[k]}`).join(' ')}]`;
  const label = /^(?:\$labels|\.Labels)\.([a-zA-Z_][a-zA-Z0-9_]*)$/.exec(expr);
  // A missing label renders as Go's `<no value>`, which is what Prometheus prints too.
  if (label !== null) return data.labels[label[1]!] ?? '<no value>';
  const v = /^\$([a-zA-Z_][a-zA-Z0-9_]*)$/.exec(expr);
  if (v !== null && data.vars !== undefined && v[1]! in data.vars) return data.vars[v[1]!];
  return undefined;
}

function applyPipe(pipe: string, value: unknown): unknown {
  const n = typeof value === 'number' ? value : Number(value);
  if (pipe === 'humanize') return humanize(n);
  if (pipe === 'humanizePercentage') return humanize(n * 100) + '%';
  if (pipe === 'humanizeDuration') return humanizeDuration(n);
  const printf = /^printf\s+"(%\.(\d+)f)"$/.exec(pipe);
  if (printf !== null) return n.toFixed(Number(printf[2]));
  return undefined;
}

/** Go's `strconv.FormatFloat(v, 'g', -1, 64)`, which is how Prometheus prints `{{ $value }}`. @internal */
export function goFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  // Go's shortest 'g' switches to exponent form when the decimal exponent is < -4 or >= 6
  // (1e+06, 1.5e-05); JavaScript switches at 21 and -7, and writes one exponent digit.
  const [mant, e] = v.toExponential().split('e') as [string, string];
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? '-' : '+'}${Math.abs(exp) < 10 ? '0' : ''}${Math.abs(exp)}`;
  return String(v);
}

/** Prometheus' `humanize`: SI prefixes with 4 significant digits. */
function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return goFloat(v);
  const abs = Math.abs(v);
  if (abs >= 1) {
    const prefixes = ['', 'k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];
    let i = 0;
    let x = v;
    while (Math.abs(x) >= 1000 && i < prefixes.length - 1) {
      x /= 1000;
      i++;
    }
    return `${sig4(x)}${prefixes[i]}`;
  }
  const prefixes = ['', 'm', 'u', 'n', 'p', 'f', 'a', 'z', 'y'];
  let i = 0;
  let x = v;
  while (Math.abs(x) < 1 && i < prefixes.length - 1) {
    x *= 1000;
    i++;
  }
  return `${sig4(x)}${prefixes[i]}`;
}

function sig4(x: number): string {
  return String(Number(x.toPrecision(4)));
}

function humanizeDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return goFloat(seconds);
  if (Math.abs(seconds) < 1) return `${sig4(seconds * 1000)}ms`;
  const sign = seconds < 0 ? '-' : '';
  let s = Math.abs(seconds);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  let out = sign;
  if (d > 0) out += `${d}d `;
  if (d > 0 || h > 0) out += `${h}h `;
  if (d > 0 || h > 0 || m > 0) out += `${m}m `;
  return `${out}${sig4(s)}s`;
}
