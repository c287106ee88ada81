import { ConfigurationError } from '../errors/MonitoringError.js';

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
