import { useState } from 'preact/hooks';
import { config, fmtMs, fmtTime, get } from '../api';
import { Flame, type FlameNode } from '../Flame';
import { href, usePoll, type Route } from '../router';

interface TraceSummary {
  traceId: string;
  name: string;
  service: string;
  services: string[];
  start: number;
  durationMs: number;
  spans: number;
  errors: number;
}

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  service: string;
  scope: string;
  start: number;
  end: number;
  status: string;
  statusMessage?: string;
  attributes: Record<string, unknown>;
  events: { name: string; time: number; attributes: Record<string, unknown> }[];
  resource: Record<string, unknown>;
}

interface TraceDetail {
  traceId: string;
  name: string;
  service: string;
  start: number;
  durationMs: number;
  spans: Span[];
  criticalPath: string[];
  flame: FlameNode;
}

const PAGE = 50;
const KINDS = ['internal', 'server', 'client', 'producer', 'consumer'];

export function Traces(props: { route: Route }) {
  const p = props.route.params;
  const [form, setForm] = useState({
    service: p.get('service') ?? '',
    name: p.get('name') ?? '',
    minMs: p.get('minMs') ?? '',
    maxMs: p.get('maxMs') ?? '',
    status: p.get('status') ?? '',
    attr: p.get('attr') ?? '',
  });
  const [query, setQuery] = useState(form);
  const [offset, setOffset] = useState(0);
  const [live, setLive] = useState(true);
  const { data: info } = usePoll(() => get<{ services: { name: string }[] }>('info'), [], 10_000);
  const { data, error } = usePoll(
    () => get<{ total: number; offset: number; traces: TraceSummary[] }>('traces', { ...query, limit: PAGE, offset }),
    [JSON.stringify(query), offset],
    config.refreshMs,
    live && offset === 0,
  );
  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: (e.currentTarget as HTMLInputElement).value });
  const maxDuration = Math.max(1, ...(data?.traces ?? []).map((t) => t.durationMs));
  return (
    <div>
      <form
        class="card wide query"
        data-testid="trace-search"
        onSubmit={(e) => {
          e.preventDefault();
          setOffset(0);
          setQuery({ ...form });
        }}
      >
        <label>
          Service
          <select value={form.service} onChange={set('service')} data-testid="search-service">
            <option value="">all</option>
            {(info?.services ?? []).map((s) => (
              <option key={s.name} value={s.name}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Span name
          <input value={form.name} onInput={set('name')} placeholder="any span, substring" data-testid="search-name" />
        </label>
        <label>
          Min ms
          <input value={form.minMs} onInput={set('minMs')} size={6} data-testid="search-min" />
        </label>
        <label>
          Max ms
          <input value={form.maxMs} onInput={set('maxMs')} size={6} />
        </label>
        <label>
          Status
          <select value={form.status} onChange={set('status')} data-testid="search-status">
            <option value="">any</option>
            <option value="error">error</option>
            <option value="ok">ok</option>
          </select>
        </label>
        <label>
          Attribute
          <input value={form.attr} onInput={set('attr')} placeholder="key=value" data-testid="search-attr" />
        </label>
        <button type="submit" data-testid="search-button">
          Search
        </button>
        <label class="inline">
          <input type="checkbox" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} /> live
        </label>
      </form>
      <section class="card wide">
        {error !== undefined && <p class="error">{error}</p>}
        <div class="pager">
          <span data-testid="trace-total">{data === undefined ? '…' : `${data.total} traces`}</span>
          <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))} data-testid="prev-page">
            ‹ newer
          </button>
          <span>
            {data !== undefined && data.total > 0 ? `${offset + 1}–${Math.min(offset + PAGE, data.total)}` : ''}
          </span>
          <button disabled={data === undefined || offset + PAGE >= data.total} onClick={() => setOffset(offset + PAGE)} data-testid="next-page">
            older ›
          </button>
        </div>
        <table class="traces" data-testid="trace-list">
          <thead>
            <tr>
              <th>Started</th>
              <th>Trace</th>
              <th>Services</th>
              <th class="num">Spans</th>
              <th class="num">Duration</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(data?.traces ?? []).map((t) => (
              <tr key={t.traceId} class={t.errors > 0 ? 'error-row' : ''}>
                <td>{fmtTime(t.start)}</td>
                <td>
                  <a href={href('traces', [t.traceId])} data-trace={t.traceId}>
                    {t.name}
                  </a>
                  {t.errors > 0 && <span class="badge unhealthy">{t.errors} errors</span>}
                </td>
                <td>{t.services.join(', ')}</td>
                <td class="num">{t.spans}</td>
                <td class="num">{fmtMs(t.durationMs)}</td>
                <td class="bar-cell">
                  <span class="mini-bar" style={{ width: `${(t.durationMs / maxDuration) * 100}%` }} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <RouteFlame initial={query.name} service={query.service} />
    </div>
  );
}

/** The seed's flame graph: phases merged across the recent traces of one route. */
function RouteFlame(props: { initial: string; service: string }) {
  const { data: routes } = usePoll(() => get<{ routes: { name: string; service: string; count: number }[] }>('routes'), [], 10_000);
  const [route, setRoute] = useState('');
  const chosen = route !== '' ? route : (routes?.routes.find((r) => r.name === props.initial)?.name ?? routes?.routes[0]?.name ?? '');
  const { data } = usePoll(() => get<{ route: string; traces: number; flame: FlameNode }>('flame', { route: chosen }), [chosen], 10_000, chosen !== '');
  return (
    <section class="card wide" data-testid="route-flame">
      <h2>
        Aggregated flame graph of{' '}
        <select value={chosen} onChange={(e) => setRoute(e.currentTarget.value)} data-testid="flame-route">
          {(routes?.routes ?? []).map((r) => (
            <option key={`${r.service}/${r.name}`} value={r.name}>
              {r.name} ({r.count})
            </option>
          ))}
        </select>
      </h2>
      {data !== undefined && data.flame.value > 0 && (
        <>
          <p class="muted">
            Time per phase summed over the last {data.traces} traces of this route (hover for self time and count).
          </p>
          <Flame root={data.flame} timed={false} testId="aggregate-flame" />
        </>
      )}
    </section>
  );
}

export function TraceView(props: { traceId: string }) {
  const { data, error } = usePoll(() => get<TraceDetail>(`traces/${encodeURIComponent(props.traceId)}`), [props.traceId], 5_000, false);
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const [tab, setTab] = useState<'waterfall' | 'flame'>('waterfall');
  if (data === undefined) return <p class="muted">{error ?? 'Loading…'}</p>;
  const crit = new Set(data.criticalPath);
  const depth = depths(data.spans);
  const ordered = treeOrder(data.spans);
  const span = data.spans.find((s) => s.spanId === selected);
  const total = Math.max(data.durationMs, 0.001);
  return (
    <div>
      <section class="card wide">
        <h2>
          <a href={href('traces')}>Traces</a> › {data.name}
        </h2>
        <p>
          <span class="muted">service</span> {data.service} · <span class="muted">duration</span> {fmtMs(data.durationMs)} · <span class="muted">spans</span> {data.spans.length} ·{' '}
          <span class="muted">started</span> {fmtTime(data.start)} · <code>{data.traceId}</code>
        </p>
        <div class="tabs">
          <button class={tab === 'waterfall' ? 'active' : ''} onClick={() => setTab('waterfall')} data-testid="tab-waterfall">
            Waterfall
          </button>
          <button class={tab === 'flame' ? 'active' : ''} onClick={() => setTab('flame')} data-testid="tab-flame">
            Flame graph
          </button>
          <span class="legend">
            <span class="swatch crit" /> critical path
          </span>
        </div>
        {tab === 'waterfall' ? (
          <div class="waterfall" data-testid="waterfall">
            {ordered.map((s) => (
              <div
                key={s.spanId}
                class={`wf-row${s.spanId === selected ? ' selected' : ''}${s.status === 'error' ? ' err' : ''}`}
                onClick={() => setSelected(s.spanId)}
                data-span={s.spanId}
                data-critical={crit.has(s.spanId) ? 'true' : 'false'}
              >
                <div class="wf-name" style={{ paddingLeft: `${(depth.get(s.spanId) ?? 0) * 14 + 4}px` }}>
                  <span class="svc">{s.service}</span> {s.name}
                </div>
                <div class="wf-track">
                  <span
                    class={`wf-bar${crit.has(s.spanId) ? ' crit' : ''}`}
                    style={{ left: `${((s.start - data.start) / total) * 100}%`, width: `${Math.max(((s.end - s.start) / total) * 100, 0.2)}%` }}
                  />
                  <span class="wf-dur">{fmtMs(s.end - s.start)}</span>
                </div>
              </div>
            ))}
          </div>
        ) : (
          <Flame root={data.flame} timed onSelect={(n) => n.spanId !== undefined && setSelected(n.spanId)} testId="trace-flame" />
        )}
      </section>
      {span !== undefined && (
        <section class="card wide" data-testid="span-details">
          <h3>{span.name}</h3>
          <table class="kv">
            <tbody>
              <tr><th>span id</th><td><code>{span.spanId}</code></td></tr>
              <tr><th>parent</th><td><code>{span.parentSpanId ?? '—'}</code></td></tr>
              <tr><th>service</th><td>{span.service}</td></tr>
              <tr><th>kind</th><td>{KINDS[span.kind] ?? span.kind}</td></tr>
              <tr><th>scope</th><td>{span.scope}</td></tr>
              <tr><th>duration</th><td>{fmtMs(span.end - span.start)} (starts at +{fmtMs(span.start - data.start)})</td></tr>
              <tr><th>status</th><td>{span.status}{span.statusMessage !== undefined && span.statusMessage !== '' ? `: ${span.statusMessage}` : ''}</td></tr>
              <tr><th>critical path</th><td>{crit.has(span.spanId) ? 'yes' : 'no'}</td></tr>
            </tbody>
          </table>
          <h4>Attributes</h4>
          <KV values={span.attributes} />
          {span.events.length > 0 && (
            <>
              <h4>Events</h4>
              <ul>
                {span.events.map((e, i) => (
                  <li key={i}>
                    +{fmtMs(e.time - data.start)} <b>{e.name}</b> <code>{JSON.stringify(e.attributes)}</code>
                  </li>
                ))}
              </ul>
            </>
          )}
          <h4>Resource</h4>
          <KV values={span.resource} />
        </section>
      )}
    </div>
  );
}

function KV(props: { values: Record<string, unknown> }) {
  const entries = Object.entries(props.values);
  if (entries.length === 0) return <p class="muted">none</p>;
  return (
    <table class="kv">
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k}>
            <th>{k}</th>
            <td>{typeof v === 'string' ? v : JSON.stringify(v)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function depths(spans: Span[]): Map<string, number> {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const out = new Map<string, number>();
  const depthOf = (s: Span, guard: number): number => {
    const known = out.get(s.spanId);
    if (known !== undefined) return known;
    const parent = s.parentSpanId !== undefined ? byId.get(s.parentSpanId) : undefined;
    const d = parent === undefined || guard > 100 ? 0 : depthOf(parent, guard + 1) + 1;
    out.set(s.spanId, d);
    return d;
  };
  for (const s of spans) depthOf(s, 0);
  return out;
}

/** Depth-first, children by start time: the order a waterfall reads in. */
function treeOrder(spans: Span[]): Span[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const kids = new Map<string, Span[]>();
  const roots: Span[] = [];
  for (const s of spans) {
    if (s.parentSpanId === undefined || !ids.has(s.parentSpanId)) roots.push(s);
    else {
      const list = kids.get(s.parentSpanId) ?? [];
      list.push(s);
      kids.set(s.parentSpanId, list);
    }
  }
  const out: Span[] = [];
  const visit = (s: Span, guard: number): void => {
    out.push(s);
    if (guard > 200) return;
    for (const c of (kids.get(s.spanId) ?? []).sort((a, b) => a.start - b.start)) visit(c, guard + 1);
  };
  for (const r of roots.sort((a, b) => a.start - b.start)) visit(r, 0);
  return out;
}
