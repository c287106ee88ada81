/**
 * Credential redaction for text that leaves the process: health reasons and details, events, the
 * Redis stream, log lines. Applied where such text is produced, so every consumer sees the same
 * redacted form.
 *
 * Built in: the password of a URL's user info (`postgres://app:S3cret@db` → `postgres://app:***@db`),
 * `password=`/`token=`/`secret=`/`api_key=`-style pairs (query strings, DSNs, `key: value`), and
 * `Bearer`/`Basic` credentials. More patterns can be added with `addRedactionPattern`.
 */

const MASK = '***';

// scheme://user:password@ — the password is anything up to the last '@' before the host part.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/?#@]*):([^\s/?#]*)@/gi;
// password=…, pwd: …, api_key=…, access_token=… (quoted or not), up to a separator.
const SECRET_PAIR = /\b((?:[a-z0-9_.-]*?)(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?)["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s&;,'")}\]]+)/gi;
// Authorization header values.
const AUTH_SCHEME = /\b(Bearer|Basic|Digest)\s+[A-Za-z0-9._~+/=-]{4,}/g;

const extra: RegExp[] = [];
/** @internal Most patterns `addRedactionPattern` takes: each one runs on every redacted text. */
export const MAX_PATTERNS = 100;

/**
 * @internal Adds a checked pattern (see `addRedactionPattern`, which checks it: this file cannot
 * throw a ConfigurationError, whose message it redacts); returns false when the list is full.
 */
export function pushRedactionPattern(pattern: RegExp): boolean {
  if (extra.length >= MAX_PATTERNS) return false;
  extra.push(pattern.global ? pattern : new RegExp(pattern.source, pattern.flags + 'g'));
  return true;
}

/** @internal test helper: forget added patterns. */
export function resetRedactionPatterns(): void {
  extra.length = 0;
}

/**
 * `text` with credentials replaced by `***`. Cheap when there is nothing to redact: the built-in
 * patterns only run when the text holds a `:`, `=` or an auth scheme word.
 *
 * @example
 * redactSecrets('ECONNREFUSED postgres://app:S3cretPw@db/orders'); // 'ECONNREFUSED postgres://app:***@db/orders'
 */
export function redactSecrets(text: string): string {
  if (typeof text !== 'string' || text.length === 0) return text;
  let out = text;
  if (out.includes('@')) out = out.replace(URL_USERINFO, (_m, scheme: string, user: string) => `${scheme}${user}:${MASK}@`);
  if (out.includes('=') || out.includes(':')) out = out.replace(SECRET_PAIR, (_m, key: string) => `${key}${MASK}`);
  if (/Bearer|Basic|Digest/.test(out)) out = out.replace(AUTH_SCHEME, (_m, scheme: string) => `${scheme} ${MASK}`);
  for (const p of extra) {
    p.lastIndex = 0;
    out = out.replace(p, MASK);
  }
  return out;
}

/**
 * A copy of `value` with every string inside redacted (objects and arrays to `depth` levels; past
 * it, and for anything JSON cannot show, a placeholder). Returns the same object when nothing
 * changed, so the common case allocates nothing.
 * @internal
 */
export function redactDeep<T>(value: T, depth = 5): T {
  if (typeof value === 'string') return redactSecrets(value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (depth <= 0) return value;
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v: unknown) => {
      const r = redactDeep(v, depth - 1);
      if (r !== v) changed = true;
      return r;
    });
    return (changed ? out : value) as T;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const r = redactDeep(v, depth - 1);
    if (r !== v) (out ??= { ...(value as Record<string, unknown>) })[k] = r;
  }
  return (out ?? value) as T;
}

const FREE_TEXT = ['reason', 'error', 'message', 'output'] as const;

/**
 * @internal An event with its free-text fields (`reason`, `error`, `message`, `output`) and its
 * `details` redacted: the same object when nothing needed it.
 */
export function redactEvent<E extends object>(event: E): E {
  let out: Record<string, unknown> | undefined;
  const e = event as Record<string, unknown>;
  for (const k of FREE_TEXT) {
    const v = e[k];
    if (typeof v === 'string') {
      const r = redactSecrets(v);
      if (r !== v) (out ??= { ...e })[k] = r;
    }
  }
  if (e['details'] !== undefined) {
    const d = redactDeep(e['details']);
    if (d !== e['details']) (out ??= { ...e })['details'] = d;
  }
  return (out ?? event) as E;
}
