export interface Config {
  csrf: string;
  title: string;
  mode: 'embedded' | 'standalone';
  refreshMs: number;
  alerting: boolean;
}

export function readConfig(): Config {
  const meta = document.querySelector('meta[name="dashboard-config"]');
  const fallback: Config = { csrf: '', title: 'monitoring', mode: 'embedded', refreshMs: 2000, alerting: false };
  try {
    return { ...fallback, ...(JSON.parse(meta?.getAttribute('content') ?? '{}') as Partial<Config>) };
  } catch {
    return fallback;
  }
}

export const config = readConfig();

/** GET a JSON API path (relative, so the dashboard works under any mount prefix). */
export async function get<T>(path: string, params?: Record<string, string | string[] | number | undefined>): Promise<T> {
  const qs = new URLSearchParams();
  if (params !== undefined) {
    for (const [k, v] of Object.entries(params)) {
      if (v === undefined || v === '') continue;
      if (Array.isArray(v)) for (const x of v) qs.append(k, x);
      else qs.set(k, String(v));
    }
  }
  const q = qs.toString();
  const res = await fetch(`api/${path}${q === '' ? '' : `?${q}`}`, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function post<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`api/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': config.csrf },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(json.error ?? String(res.status));
  return json;
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  if (ms >= 1) return `${ms.toFixed(1)} ms`;
  return `${(ms * 1000).toFixed(0)} µs`;
}

export function fmtNum(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(3);
  return String(Number(v.toPrecision(6)));
}

export function fmtTime(ms: number): string {
  return new Date(ms).toLocaleTimeString();
}
