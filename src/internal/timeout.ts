import { TimeoutError } from '../errors/MonitoringError.js';

/**
 * @internal Resolves with `work`, or rejects with `TimeoutError` after `ms`. The timer is not
 * unref'd: whoever awaits this is waiting for an answer, and an unref'd deadline would let the
 * process exit (code 13) before it arrives. It is cleared as soon as `work` settles.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** @internal Runs `fn` once; later calls get the first call's promise (their arguments are ignored). */
export function once<A extends unknown[], T>(fn: (...args: A) => Promise<T>): (...args: A) => Promise<T> {
  let result: Promise<T> | undefined;
  return (...args: A) => (result ??= fn(...args));
}
