import { expect } from 'vitest';
import { ConfigurationError } from '../../src/errors/MonitoringError.js';

/** The ConfigurationError `fn` throws; fails the test when it throws nothing or something else. */
export function thrownConfigError(fn: () => unknown): ConfigurationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    return err as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError, nothing was thrown');
}

/** The message of the ConfigurationError `fn` throws. */
export function messageOf(fn: () => unknown): string {
  return thrownConfigError(fn).message;
}
