import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/alerting/duration.js';
import { fingerprint } from '../../src/alerting/fingerprint.js';
import { compileMatchers, matchesAll } from '../../src/alerting/matchers.js';
import { bucketQuantileOf, extrapolatedRate, overTime } from '../../src/alerting/promql.js';
import { goFloat, renderTemplate } from '../../src/alerting/template.js';

describe('durations', () => {
  it('reads Prometheus durations and seconds, and names the option when it cannot', () => {
    expect(parseDuration('1h30m', 'x')).toBe(5_400_000);
    expect(parseDuration('250ms', 'x')).toBe(250);
    expect(parseDuration(1.5, 'x')).toBe(1500);
    expect(() => parseDuration('5 minutes', 'rules[A].for')).toThrow(/Invalid rules\[A\]\.for: "5 minutes"/);
    expect(() => parseDuration(0, 'interval', false)).toThrow(/above zero/);
    expect(formatDuration(5_430_000)).toBe('1h30m30s');
    expect(formatDuration(0)).toBe('0s');
  });
});

describe('matchers', () => {
  it('parses Alertmanager strings and objects; regexes are anchored; a missing label is the empty string', () => {
    const m = compileMatchers(['route=~"/api/.*"', 'method!="DELETE"', 'env=prod'], 'm');
    expect(matchesAll(m, { route: '/api/users', method: 'GET', env: 'prod' })).toBe(true);
    expect(matchesAll(m, { route: '/x/api/users', method: 'GET', env: 'prod' })).toBe(false);
    expect(matchesAll(m, { route: '/api/users', method: 'DELETE', env: 'prod' })).toBe(false);
    const o = compileMatchers({ team: { op: '!~', value: 'web|ops' }, zone: '' }, 'm');
    expect(matchesAll(o, { team: 'data' })).toBe(true);
    expect(matchesAll(o, { team: 'ops' })).toBe(false);
    expect(() => compileMatchers(['not a matcher'], 'routes[0].matchers')).toThrow(/routes\[0\]\.matchers\[0\]/);
    expect(() => compileMatchers('x', 'm')).toThrow(/Invalid m/);
  });
});

describe('fingerprint', () => {
  it('is Alertmanager\'s FNV-1a over sorted labels, independent of key order', () => {
    expect(fingerprint({})).toBe('cbf29ce484222325');
    expect(fingerprint({ b: '2', a: '1' })).toBe(fingerprint({ a: '1', b: '2' }));
    expect(fingerprint({ a: '1' })).not.toBe(fingerprint({ a: '2' }));
  });
});

describe('templates', () => {
  const data = { value: 0.1234, labels: { route: '/orders', job: 'shop' }, vars: { score: 5.5 } };
  it('renders $value, $labels, vars and pipes; leaves unknown actions as written', () => {
    expect(renderTemplate('{{ $labels.route }} at {{ $value | humanizePercentage }}', data)).toBe('/orders at 12.34%');
    expect(renderTemplate('{{ $value | printf "%.2f" }} z={{ $score }}', data)).toBe('0.12 z=5.5');
    expect(renderTemplate('{{ $labels.missing }}', data)).toBe('<no value>');
    expect(renderTemplate('{{ .Labels.job }} {{ $nope }} {{ $value | bogus }}', data)).toBe('shop {{ $nope }} {{ $value | bogus }}');
    expect(renderTemplate('{{ $value | humanize }}', { value: 1234567, labels: {} })).toBe('1.235M');
    expect(renderTemplate('{{ $value | humanize }}', { value: 0.00123, labels: {} })).toBe('1.23m');
    expect(renderTemplate('{{ $value | humanizeDuration }}', { value: 93784, labels: {} })).toBe('1d 2h 3m 4s');
    expect(renderTemplate('{{ $value | humanizeDuration }}', { value: 0.25, labels: {} })).toBe('250ms');
  });
  it('prints floats as Go does', () => {
    expect([1e6, 123456, 1.5e-5, 0.0001, NaN, Infinity, -Infinity, 0].map(goFloat)).toEqual(['1e+06', '123456', '1.5e-05', '0.0001', 'NaN', '+Inf', '-Inf', '0']);
  });
});

describe('PromQL functions', () => {
  it('rate extrapolates to the window edges and handles counter resets', () => {
    const s = [0, 15, 30, 45, 60].map((t, i) => ({ t: t * 1000, v: i * 10 }));
    expect(extrapolatedRate(s, 0, 60_000, false)).toBe(40);
    const reset = [{ t: 0, v: 100 }, { t: 15_000, v: 110 }, { t: 30_000, v: 5 }, { t: 45_000, v: 15 }, { t: 60_000, v: 25 }];
    expect(extrapolatedRate(reset, 0, 60_000, false)).toBe(35);
    expect(extrapolatedRate([{ t: 0, v: 1 }], 0, 60_000, true)).toBeUndefined();
    expect(overTime('avg_over_time', [{ t: 0, v: 1 }, { t: 1, v: 3 }])).toBe(2);
    expect(overTime('max_over_time', [])).toBeUndefined();
  });
  it('histogram_quantile interpolates within the bucket and caps at the last finite bound', () => {
    const b = [{ le: 0.1, count: 50 }, { le: 0.5, count: 90 }, { le: 1, count: 100 }, { le: Infinity, count: 100 }];
    expect(bucketQuantileOf(0.5, b)).toBeCloseTo(0.1);
    expect(bucketQuantileOf(0.7, b)).toBeCloseTo(0.3);
    expect(bucketQuantileOf(0.99, [{ le: 1, count: 1 }, { le: Infinity, count: 10 }])).toBe(1);
    expect(bucketQuantileOf(0.5, [{ le: 1, count: 0 }, { le: Infinity, count: 0 }])).toBeNaN();
    expect(bucketQuantileOf(0.5, [{ le: 1, count: 3 }])).toBeNaN();
  });
});
