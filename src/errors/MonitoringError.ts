import { redactSecrets } from '../internal/redact.js';

/**
 * Base class of every error the SDK throws. Each subclass carries a stable `code` that the README
 * lists, so callers can branch on it without matching message text.
 *
 * @example
 * try { new MonitoringSettings({ maxSnapshots: -1 }); }
 * catch (e) { if (e instanceof MonitoringError && e.code === 'SI_ERR_CONFIG') { ... } }
 */
export class MonitoringError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A setting or constructor option has a value the SDK cannot use. Thrown at setup only. */
export class ConfigurationError extends MonitoringError {
  readonly option: string;
  readonly value: unknown;

  constructor(option: string, value: unknown, expected: string) {
    // A DSN or URL with a password in a bad option must not put the password in logs.
    super('SI_ERR_CONFIG', `Invalid ${option}: ${redactSecrets(describe(value))} (expected ${expected})`);
    this.option = option;
    this.value = value;
  }
}

/** `ServiceRegistry.resolve` was asked for a token nobody registered. */
export class UnregisteredTokenError extends MonitoringError {
  constructor(token: string, path: readonly string[]) {
    const via = path.length > 0 ? ` (needed by ${path.join(' -> ')})` : '';
    super('SI_ERR_UNREGISTERED', `No provider registered for ${token}${via}`);
  }
}

/** Resolving a token led back to itself. */
export class DependencyCycleError extends MonitoringError {
  readonly cycle: readonly string[];

  constructor(cycle: readonly string[]) {
    super('SI_ERR_CYCLE', `Dependency cycle: ${cycle.join(' -> ')}`);
    this.cycle = cycle;
  }
}

/** Only thrown in strict mode: a record the SDK would otherwise drop and count. */
export class InvalidRecordError extends MonitoringError {
  readonly reason: string;

  constructor(reason: string, message: string) {
    super('SI_ERR_INVALID_RECORD', message);
    this.reason = reason;
  }
}

/** A custom coordinator does not implement `IPerformanceCoordinator`. */
export class InvalidCoordinatorError extends MonitoringError {
  constructor(missing: readonly string[]) {
    super('SI_ERR_COORDINATOR', `Custom coordinator is missing: ${missing.join(', ')}`);
  }
}

/** `shutdown()` or `forceFlush()` did not finish within its timeout. */
export class TimeoutError extends MonitoringError {
  constructor(what: string, ms: number) {
    super('SI_ERR_TIMEOUT', `${what} did not finish within ${ms} ms`);
  }
}

/**
 * A dependency the SDK talks to (Redis) was unreachable, lost its connection mid-request, or kept
 * conflicting with concurrent writers; the operation can be retried.
 *
 * @example
 * try { await query.rollups({ metric: 'latency' }); } catch (e) { if (e instanceof UnavailableError) retryLater(); }
 */
export class UnavailableError extends MonitoringError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SI_ERR_UNAVAILABLE', message, options);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  // JSON would show Infinity and NaN as null: `Number('1e309')` must read as Infinity.
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  try {
    const text = JSON.stringify(value, (_k, v: unknown) =>
      typeof v === 'number' && !Number.isFinite(v) ? String(v) : typeof v === 'bigint' ? `${v}n` : v,
    );
    return text ?? String(value);
  } catch {
    return String(value);
  }
}
