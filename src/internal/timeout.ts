import { TimeoutError } from '../errors/MonitoringError.js';

/**
 * @internal Resolves with `work`, or rejects with `TimeoutError` after `ms`. The timer is not
 * unref'd: whoever awaits this is waiting for an answer, and an unref'd deadline would let the
 * process exit (code 13) before it arrives. It is cleared as soon as `work` settles.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  const TIMED_OUT: unique symbol = Symbol('timed out');
  const outcome = await raceDeadline(work, ms, TIMED_OUT);
  if (outcome === TIMED_OUT) throw new TimeoutError(what, ms);
  return outcome;
}

/** @internal How `raceDeadline` treats its timer. */
export interface DeadlineOptions {
  /**
   * Unref the timer. Only for a deadline nobody awaits (a background refresh): an awaited one
   * must keep the process alive until its answer. Default false.
   */
  readonly unref?: boolean;
  /** Receives the timer as soon as it is set, for callers that ref/unref it later. */
  readonly onTimer?: (timer: NodeJS.Timeout) => void;
}

/**
 * @internal Resolves with what `work` resolves to, or with `onTimeout` once `ms` have passed,
 * whichever comes first; the timer is cleared as soon as either settles. A rejection of `work`
 * before the deadline rejects the result. The timer is NOT unref'd unless `options.unref` says so.
 */
export async function raceDeadline<T, F>(work: Promise<T>, ms: number, onTimeout: F, options: DeadlineOptions = {}): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<F>((resolve) => {
    timer = setTimeout(resolve, ms, onTimeout);
    if (options.unref === true) timer.unref();
    options.onTimer?.(timer);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** @internal Runs `fn` once; later calls get the first call's promise (their arguments are ignored). */
export function once<A extends unknown[], T>(fn: (...args: A) => Promise<T>): (...args: A) => Promise<T> {
  let result: Promise<T> | undefined;
  return (...args: A) => (result ??= fn(...args));
}
