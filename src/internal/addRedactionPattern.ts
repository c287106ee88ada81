import { ConfigurationError } from '../errors/MonitoringError.js';
import { MAX_PATTERNS, pushRedactionPattern } from './redact.js';

/**
 * Adds a pattern whose matches are replaced by `***` wherever the SDK redacts (process-wide). A
 * pattern with the `g` flag is used as given; without it a global copy is made. Throws a
 * `ConfigurationError` for anything but a RegExp, and past 100 patterns.
 *
 * @example
 * addRedactionPattern(/\bsk_live_[A-Za-z0-9]{24,}\b/);
 */
export function addRedactionPattern(pattern: RegExp): void {
  if (!(pattern instanceof RegExp)) throw new ConfigurationError('addRedactionPattern pattern', pattern, 'a RegExp');
  if (!pushRedactionPattern(pattern)) throw new ConfigurationError('addRedactionPattern pattern', String(pattern), `at most ${MAX_PATTERNS} redaction patterns in all`);
}
