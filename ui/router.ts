import { useEffect, useState } from 'preact/hooks';

export interface Route {
  page: string;
  rest: string[];
  params: URLSearchParams;
}

export function parseHash(): Route {
  const h = location.hash.replace(/^#\/?/, '');
  const q = h.indexOf('?');
  const path = q < 0 ? h : h.slice(0, q);
  const parts = path.split('/').filter((x) => x !== '').map((x) => decodeURIComponent(x));
  return { page: parts[0] ?? 'overview', rest: parts.slice(1), params: new URLSearchParams(q < 0 ? '' : h.slice(q + 1)) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const on = (): void => setRoute(parseHash());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function href(page: string, rest: string[] = [], params?: Record<string, string | undefined>): string {
  const qs = new URLSearchParams();
  if (params !== undefined) for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') qs.set(k, v);
  const q = qs.toString();
  return `#/${[page, ...rest].map(encodeURIComponent).join('/')}${q === '' ? '' : `?${q}`}`;
}

/** Calls `fn` now and every `ms` while `live`; the latest result wins. */
export function usePoll<T>(fn: () => Promise<T>, deps: unknown[], ms: number, live = true): { data: T | undefined; error: string | undefined; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async (): Promise<void> => {
      try {
        const d = await fn();
        if (!cancelled) {
          setData(d);
          setError(undefined);
        }
      } catch (err) {
        if (!cancelled) setError(String((err as Error).message ?? err));
      }
      if (!cancelled && live) timer = setTimeout(() => void run(), ms);
    };
    void run();
    return () => {
      cancelled = true;
      if (timer !== undefined) clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, live, tick]);
  return { data, error, reload: () => setTick((t) => t + 1) };
}
