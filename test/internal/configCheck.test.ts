import { describe, expect, it } from 'vitest';
import {
  positiveIntOr,
  requireBoolean,
  requireFiniteAbove,
  requireArray,
  requireFunction,
  requireHttpUrl,
  requireIntAtLeast,
  requireIntRange,
  requireMatch,
  requireMethods,
  requireMilliseconds,
  requireNonBlankString,
  requireNonEmptyString,
  requireNumber,
  requireObject,
  requireOneOf,
  requirePath,
  requirePort,
  requirePositiveInt,
  requireRecord,
  requireRegExp,
  requireServerAccess,
  requireToken,
  shortStringOr,
} from '../../src/internal/configCheck.js';
import { thrownConfigError as thrown } from '../helpers/configError.js';

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

  it('check numbers against inclusive and exclusive bounds, finite unless told otherwise', () => {
    expect(() => requireNumber('quantile', 1, { above: 0, max: 1 })).not.toThrow();
    expect(thrown(() => requireNumber('quantile', 0, { above: 0, max: 1 })).message).toBe('Invalid quantile: 0 (expected a finite number > 0 and <= 1)');
    expect(thrown(() => requireNumber('alpha', 1, { above: 0, below: 1 }, 'a number between 0 and 1 (exclusive)')).message).toBe('Invalid alpha: 1 (expected a number between 0 and 1 (exclusive))');
    expect(() => requireNumber('ttl', 0, { min: 0 })).not.toThrow();
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '3', undefined]) thrown(() => requireNumber('ttl', bad, { min: 0 }));
    expect(() => requireNumber('threshold', Number.NEGATIVE_INFINITY, { infinite: true })).not.toThrow();
    expect(thrown(() => requireNumber('threshold', Number.NaN, { infinite: true })).message).toBe('Invalid threshold: NaN (expected a number)');
    expect(() => requireMilliseconds('flushIntervalMs', 10, 10)).not.toThrow();
    expect(thrown(() => requireMilliseconds('flushIntervalMs', 9, 10)).message).toBe('Invalid flushIntervalMs: 9 (expected a number of milliseconds >= 10)');
    expect(thrown(() => requireMilliseconds('timeoutMs', 3e9, 1, 2_147_483_647)).message).toContain('a number of milliseconds from 1 to 2147483647');
  });

  it('check strings: blank, pattern, path, URL and regular expression', () => {
    expect(thrown(() => requireNonBlankString('createdBy', ' \t')).message).toBe('Invalid createdBy: " \\t" (expected a non-empty string)');
    expect(() => requireMatch('traceId', 'a'.repeat(32), /^[0-9a-f]{32}$/, '32 lowercase hex characters')).not.toThrow();
    expect(thrown(() => requireMatch('traceId', 'XYZ', /^[0-9a-f]{32}$/, '32 lowercase hex characters')).message).toBe('Invalid traceId: "XYZ" (expected 32 lowercase hex characters)');
    expect(thrown(() => requirePath('path', 'metrics')).message).toBe('Invalid path: "metrics" (expected a path starting with /)');
    expect(requireHttpUrl('url', 'https://am:9093/x').host).toBe('am:9093');
    for (const bad of ['am:9093', 'ftp://am', '', 7]) thrown(() => requireHttpUrl('url', bad));
    const secret = thrown(() => requireHttpUrl('webhook', 'ftp://bot:hunter2@hooks.example'));
    expect(secret.message).toBe('Invalid webhook: "ftp://bot:***@hooks.example" (expected an http(s) URL)');
    expect(requireRegExp('matchers.job', '^api-.*$').test('api-1')).toBe(true);
    expect(thrown(() => requireRegExp('matchers.job', '(unclosed')).message).toBe('Invalid matchers.job: "(unclosed" (expected a valid regular expression)');
  });

  it('check objects, methods, arrays and records, naming the bad entry', () => {
    expect(() => requireObject('options', {})).not.toThrow();
    expect(thrown(() => requireObject('options', null)).message).toBe('Invalid options: null (expected an options object)');
    expect(() => requireMethods('cache', { get() {}, set() {} }, ['get', 'set'])).not.toThrow();
    expect(thrown(() => requireMethods('cache', { get() {} }, ['get', 'set'])).message).toContain('(expected an object with get() and set())');
    thrown(() => requireMethods('cache', null, ['get']));
    expect(() => requireArray('paths', ['/a'], 'paths', (p) => typeof p === 'string', 1)).not.toThrow();
    expect(thrown(() => requireArray('paths', [], 'a non-empty array of paths', () => true, 1)).message).toBe('Invalid paths: [] (expected a non-empty array of paths)');
    expect(thrown(() => requireArray('paths', ['/a', 3], 'paths', (p) => typeof p === 'string')).value).toEqual(['/a', 3]);
    const bad = thrown(() => requireRecord('labels', { team: 'x', tier: 2 }, (v) => typeof v === 'string', 'a string'));
    expect(bad.message).toBe('Invalid labels.tier: 2 (expected a string)');
    expect(thrown(() => requireRecord('labels', 'team=x', (v) => typeof v === 'string', 'a string')).message).toBe('Invalid labels: "team=x" (expected an object whose values are each a string)');
  });

  it('never show a token, and refuse an open host without one', () => {
    const err = thrown(() => requireToken('dashboard.token', 'hunter2-short'));
    expect(err.message).toBe('Invalid dashboard.token: "<redacted>" (expected a string of at least 16 characters)');
    expect(err.value).toBe('<redacted>');
    expect(() => requireToken('dashboard.token', undefined)).not.toThrow();
    expect(() => requireServerAccess('prometheus', '127.0.0.1', undefined, '/metrics')).not.toThrow();
    expect(() => requireServerAccess('prometheus', '0.0.0.0', 'a-token-of-sixteen-chars', '/metrics')).not.toThrow();
    expect(thrown(() => requireServerAccess('prometheus', '0.0.0.0', undefined, '/metrics')).message).toBe(
      'Invalid prometheus.host: "0.0.0.0" (expected a loopback address (127.0.0.1, ::1), or a `token` option so that /metrics is not open to the network)',
    );
  });
});
