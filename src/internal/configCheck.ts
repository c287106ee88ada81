import { ConfigurationError } from '../errors/MonitoringError.js';
import { isLoopback } from './ownServers.js';

/*
 * @internal Setup-time option checks. Each one throws a ConfigurationError naming the option (or
 * env var) and the value it was given, with `expected` saying what would have been accepted; the
 * default wording is the common one, a caller passes its own where the unit or the reason matters.
 * They run at setup only: nothing here is on a record path.
 */

/** Throws unless `value` is an integer from 1 up. */
export function requirePositiveInt(option: string, value: unknown, expected = 'a positive integer'): asserts value is number {
  if (!Number.isInteger(value) || (value as number) < 1) throw new ConfigurationError(option, value, expected);
}

/** Throws unless `value` is an integer of at least `min`. */
export function requireIntAtLeast(option: string, value: unknown, min: number, expected = `an integer of at least ${min}`): asserts value is number {
  if (!Number.isInteger(value) || (value as number) < min) throw new ConfigurationError(option, value, expected);
}

/** Throws unless `value` is an integer from `min` to `max`, both included. */
export function requireIntRange(option: string, value: unknown, min: number, max: number, expected = `an integer from ${min} to ${max}`): asserts value is number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) throw new ConfigurationError(option, value, expected);
}

/** Throws unless `value` is a TCP port number; 0 asks the system for a free one. */
export function requirePort(option: string, value: unknown): asserts value is number {
  requireIntRange(option, value, 0, 65535);
}

/** Throws unless `value` is a finite number greater than `above` (0 by default). NaN never passes. */
export function requireFiniteAbove(option: string, value: unknown, above = 0, expected = `a finite number > ${above}`): asserts value is number {
  if (typeof value !== 'number' || !(value > above) || !Number.isFinite(value)) throw new ConfigurationError(option, value, expected);
}

/** Throws unless `value` is a non-empty string. */
export function requireNonEmptyString(option: string, value: unknown, expected = 'a non-empty string'): asserts value is string {
  if (typeof value !== 'string' || value === '') throw new ConfigurationError(option, value, expected);
}

/** Throws unless `value` is a function. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- narrowing only; callers keep their own signature
export function requireFunction(option: string, value: unknown, expected = 'a function'): asserts value is Function {
  if (typeof value !== 'function') throw new ConfigurationError(option, value, expected);
}

/** Throws unless `value` is a boolean. */
export function requireBoolean(option: string, value: unknown, expected = 'a boolean'): asserts value is boolean {
  if (typeof value !== 'boolean') throw new ConfigurationError(option, value, expected);
}

/** Throws unless `value` is one of `allowed`. */
export function requireOneOf<T>(option: string, value: unknown, allowed: readonly T[], expected = `one of ${allowed.join(', ')}`): asserts value is T {
  if (!allowed.includes(value as T)) throw new ConfigurationError(option, value, expected);
}

/**
 * The number written in an env var or a command-line flag (`raw`), or undefined when it is unset or
 * blank; throws naming `option` (the variable or flag) and the text as written when it is not a
 * number. Range checks are the caller's.
 */
export function numberFromText(option: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (Number.isNaN(n)) throw new ConfigurationError(option, raw, 'a number');
  return n;
}

/** `value`, or `fallback` when it is undefined; either must be a positive integer. */
export function positiveIntOr(option: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  requirePositiveInt(option, v);
  return v;
}

/** `value`, or `fallback` when it is undefined; either must be a string of 1 to 256 characters. */
export function shortStringOr(option: string, value: string | undefined, fallback?: string): string {
  const v = value ?? fallback;
  if (typeof v !== 'string' || v.length === 0 || v.length > 256) throw new ConfigurationError(option, value, 'a non-empty string of at most 256 characters');
  return v;
}

/** Bounds for `requireNumber`; each one given is checked, `min`/`max` inclusive, `above`/`below` exclusive. */
export interface NumberBounds {
  readonly min?: number;
  readonly max?: number;
  readonly above?: number;
  readonly below?: number;
  /** Accept ±Infinity (NaN never passes). Default false: a finite number. */
  readonly infinite?: boolean;
}

function describeBounds(b: NumberBounds): string {
  const parts: string[] = [];
  if (b.min !== undefined) parts.push(`>= ${b.min}`);
  if (b.above !== undefined) parts.push(`> ${b.above}`);
  if (b.max !== undefined) parts.push(`<= ${b.max}`);
  if (b.below !== undefined) parts.push(`< ${b.below}`);
  const noun = b.infinite === true ? 'a number' : 'a finite number';
  return parts.length === 0 ? noun : `${noun} ${parts.join(' and ')}`;
}

/**
 * Throws unless `value` is a number within `bounds` (finite unless `bounds.infinite`). NaN never passes.
 *
 * @example
 * requireNumber('quantile', q, { above: 0, max: 1 }, 'a number in (0, 1]');
 */
export function requireNumber(option: string, value: unknown, bounds: NumberBounds = {}, expected = describeBounds(bounds)): asserts value is number {
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    (bounds.infinite === true || Number.isFinite(value)) &&
    (bounds.min === undefined || value >= bounds.min) &&
    (bounds.max === undefined || value <= bounds.max) &&
    (bounds.above === undefined || value > bounds.above) &&
    (bounds.below === undefined || value < bounds.below);
  if (!ok) throw new ConfigurationError(option, value, expected);
}

/** Throws unless `value` is a number of milliseconds from `min` to `max` (both included). */
export function requireMilliseconds(option: string, value: unknown, min = 1, max = Number.MAX_VALUE, expected = max === Number.MAX_VALUE ? `a number of milliseconds >= ${min}` : `a number of milliseconds from ${min} to ${max}`): asserts value is number {
  requireNumber(option, value, { min, max }, expected);
}

/** Throws unless `value` is a string (empty allowed). */
export function requireString(option: string, value: unknown, expected = 'a string'): asserts value is string {
  if (typeof value !== 'string') throw new ConfigurationError(option, value, expected);
}

/** Throws unless `value` is a string with something other than white space in it. */
export function requireNonBlankString(option: string, value: unknown, expected = 'a non-empty string'): asserts value is string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigurationError(option, value, expected);
}

/** Throws unless `value` is a string that `pattern` matches (anchor the pattern to match all of it). */
export function requireMatch(option: string, value: unknown, pattern: RegExp, expected = `a string matching ${String(pattern)}`): asserts value is string {
  if (typeof value !== 'string' || !pattern.test(value)) throw new ConfigurationError(option, value, expected);
}

/** Throws unless `value` is a URL path: a string starting with `/`. */
export function requirePath(option: string, value: unknown, expected = 'a path starting with /'): asserts value is string {
  if (typeof value !== 'string' || !value.startsWith('/')) throw new ConfigurationError(option, value, expected);
}

/**
 * `value` parsed; throws unless it is a string holding an absolute http: or https: URL (a caller
 * that also takes URL objects passes `url.href`). A password in it is redacted in the message.
 */
export function requireHttpUrl(option: string, value: unknown, expected = 'an http(s) URL'): URL {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new ConfigurationError(option, value, expected);
  return url;
}

/** A RegExp of `source`; throws unless it compiles. */
export function requireRegExp(option: string, source: unknown, flags?: string, expected = 'a valid regular expression'): RegExp {
  try {
    if (typeof source === 'string') return new RegExp(source, flags);
  } catch {
    // named below, with the option
  }
  throw new ConfigurationError(option, source, expected);
}

/** Throws unless `value` is an object (arrays included; null is not). */
export function requireObject(option: string, value: unknown, expected = 'an options object'): asserts value is object {
  if (typeof value !== 'object' || value === null) throw new ConfigurationError(option, value, expected);
}

/** Throws unless `value` is an object with a method of each name in `methods` (a duck-typed client, pool or collector). */
export function requireMethods(option: string, value: unknown, methods: readonly string[], expected = `an object with ${methods.map((m) => `${m}()`).join(' and ')}`): asserts value is object {
  const ok = typeof value === 'object' && value !== null && methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
  if (!ok) throw new ConfigurationError(option, value, expected);
}

/**
 * Throws unless `value` is an array (with at least `minLength` items) whose every item passes `each`;
 * the whole array is shown in the message.
 *
 * @example
 * requireArray('ignorePaths', paths, 'an array of paths starting with /', (p) => typeof p === 'string' && p.startsWith('/'));
 */
export function requireArray(option: string, value: unknown, expected: string, each: (item: unknown, index: number, array: readonly unknown[]) => boolean = () => true, minLength = 0): asserts value is unknown[] {
  if (!Array.isArray(value) || value.length < minLength || !value.every(each)) throw new ConfigurationError(option, value, expected);
}

/** For `requireArray`: a finite number above the item before it (bucket bounds, boundaries). */
export function finiteIncreasing(item: unknown, index: number, array: readonly unknown[]): boolean {
  return typeof item === 'number' && Number.isFinite(item) && (index === 0 || item > (array[index - 1] as number));
}

/**
 * Throws unless `value` is an object whose every own value passes `each`; a bad entry is named
 * `option.key` with its value.
 */
export function requireRecord(option: string, value: unknown, each: (item: unknown) => boolean, expectedEach: string, expected = `an object whose values are each ${expectedEach}`): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) throw new ConfigurationError(option, value, expected);
  for (const [k, v] of Object.entries(value)) if (!each(v)) throw new ConfigurationError(`${option}.${k}`, v, expectedEach);
}

/** Least length of an access token: shorter ones can be guessed. */
export const MIN_TOKEN_LENGTH = 16;

/** Throws unless `token` is undefined or a string of at least 16 characters; the message shows `<redacted>`, never the token. */
export function requireToken(option: string, token: unknown): asserts token is string | undefined {
  if (token !== undefined && (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH)) {
    throw new ConfigurationError(option, '<redacted>', `a string of at least ${MIN_TOKEN_LENGTH} characters`);
  }
}

/**
 * Checks a server's access options: `token`, when given, is a string of at least 16 characters
 * (the message shows `<redacted>`, never the token), and without a token `host` must be a loopback
 * address so that the endpoint is not open to the network.
 */
export function requireServerAccess(prefix: string, host: string, token: unknown, what: string): void {
  requireToken(`${prefix}.token`, token);
  if (token === undefined && !isLoopback(host)) {
    throw new ConfigurationError(`${prefix}.host`, host, `a loopback address (127.0.0.1, ::1), or a \`token\` option so that ${what} is not open to the network`);
  }
}
