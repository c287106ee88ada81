import { ConfigurationError } from '../errors/MonitoringError.js';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };
/** @internal A Prometheus duration: `30s`, `5m`, `1h30m`, `250ms`. */
export const DURATION = /^(?:(\d+)(ms|s|m|h|d|w|y))+$/;
const PART = /(\d+)(ms|s|m|h|d|w|y)/g;

/** A duration as Prometheus writes it (`30s`, `5m`, `1h30m`) or a number of seconds. */
export type Duration = string | number;

/**
 * Milliseconds of a duration; throws `ConfigurationError` naming `option` when it is not one.
 * @internal
 */
export function parseDuration(value: unknown, option: string, allowZero = true): number {
  let ms: number;
  if (typeof value === 'number') ms = value * 1000;
  else if (typeof value === 'string' && DURATION.test(value)) {
    ms = 0;
    for (const m of value.matchAll(PART)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  } else {
    throw new ConfigurationError(option, value, 'a duration such as "30s", "5m", "1h30m" or a number of seconds');
  }
  if (!Number.isFinite(ms) || ms < 0 || (!allowZero && ms === 0)) {
    throw new ConfigurationError(option, value, allowZero ? 'a duration of zero or more' : 'a duration above zero');
  }
  return Math.round(ms);
}

/** Milliseconds written the Prometheus way (`90000` → `1m30s`), for exported rule files. @internal */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}
