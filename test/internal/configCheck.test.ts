import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors/MonitoringError.js';
import {
  positiveIntOr,
  requireBoolean,
  requireFiniteAbove,
  requireFunction,
  requireIntAtLeast,
  requireIntRange,
  requireNonEmptyString,
  requireOneOf,
  requirePort,
  requirePositiveInt,
  shortStringOr,
} from '../../src/internal/configCheck.js';

/** The error `fn` throws; fails the test when it throws nothing or something else. */
function thrown(fn: () => unknown): ConfigurationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    return err as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError, nothing was thrown');
}

describe('config checks', () => {
  it('name the option and the value, and say what was expected', () => {
    const err = thrown(() => requirePositiveInt('queueSize', 0));
    expect(err.code).toBe('SI_ERR_CONFIG');
    expect(err.option).toBe('queueSize');
    expect(err.value).toBe(0);
    expect(err.message).toBe('Invalid queueSize: 0 (expected a positive integer)');
    expect(thrown(() => requirePositiveInt('MONITORING_X', 'abc', 'milliseconds')).message).toBe('Invalid MONITORING_X: "abc" (expected milliseconds)');
  });

  it('accept what is in range and refuse the edges just outside it', () => {
    expect(() => requirePositiveInt('n', 1)).not.toThrow();
    for (const bad of [0, -1, 1.5, Number.NaN, '1', undefined]) thrown(() => requirePositiveInt('n', bad));
    expect(() => requireIntRange('n', -10, -10, 20)).not.toThrow();
    expect(() => requireIntRange('n', 20, -10, 20)).not.toThrow();
    expect(thrown(() => requireIntRange('n', 21, -10, 20)).message).toContain('an integer from -10 to 20');
    thrown(() => requireIntRange('n', -11, -10, 20));
    expect(() => requireIntAtLeast('n', 1024, 1024)).not.toThrow();
    expect(thrown(() => requireIntAtLeast('n', 1023, 1024)).message).toContain('an integer of at least 1024');
    expect(() => requirePort('port', 0)).not.toThrow();
    expect(() => requirePort('port', 65535)).not.toThrow();
    expect(thrown(() => requirePort('port', 65536)).message).toBe('Invalid port: 65536 (expected an integer from 0 to 65535)');
  });

  it('refuse non-finite and non-number values where a finite number is needed', () => {
    expect(() => requireFiniteAbove('alpha', 0.1)).not.toThrow();
    for (const bad of [0, -1, Number.POSITIVE_INFINITY, Number.NaN, '2']) thrown(() => requireFiniteAbove('alpha', bad));
    expect(thrown(() => requireFiniteAbove('factor', 1, 1)).message).toContain('a finite number > 1');
  });

  it('check strings, functions, booleans and fixed choices', () => {
    expect(() => requireNonEmptyString('key', 'k')).not.toThrow();
    expect(thrown(() => requireNonEmptyString('key', '')).message).toContain('a non-empty string');
    thrown(() => requireNonEmptyString('key', 5));
    expect(() => requireFunction('fn', () => 1)).not.toThrow();
    expect(thrown(() => requireFunction('fn', {})).message).toContain('a function');
    expect(() => requireBoolean('strict', false)).not.toThrow();
    expect(thrown(() => requireBoolean('strict', 'true')).value).toBe('true');
    expect(() => requireOneOf('scope', 'service', ['service', 'instance'])).not.toThrow();
    expect(thrown(() => requireOneOf('scope', 'pod', ['service', 'instance'])).message).toBe('Invalid scope: "pod" (expected one of service, instance)');
  });

  it('fall back only when the value is undefined, and check the value used', () => {
    expect(positiveIntOr('batchSize', undefined, 500)).toBe(500);
    expect(positiveIntOr('batchSize', 7, 500)).toBe(7);
    expect(thrown(() => positiveIntOr('batchSize', 0, 500)).value).toBe(0);
    expect(shortStringOr('stream', undefined, 'si:events')).toBe('si:events');
    expect(thrown(() => shortStringOr('stream', 'x'.repeat(257))).option).toBe('stream');
    thrown(() => shortStringOr('serviceName', undefined));
  });

  it('keeps a secret in a bad value out of the message', () => {
    const err = thrown(() => requirePort('redis', 'redis://user:hunter2@h:6379/0'));
    expect(err.message).toContain('Invalid redis:');
    expect(err.message).not.toContain('hunter2');
  });
});
