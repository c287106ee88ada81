import { useEffect, useMemo, useState } from 'preact/hooks';
import { config, fmtNum, fmtTime, get } from '../api';
import { Chart } from '../Chart';
import { href, usePoll, type Route } from '../router';

interface MetricInfo {
  name: string;
  kind: string;
  unit: string;
  description: string;
  series: number;
  labels: string[];
}

interface QueryResult {
  metric: string;
  unit: string;
  times: number[];
  series: { labels: Record<string, string>; values: (number | null)[] }[];
  exemplars: { time: number; value: number; traceId: string; spanId: string }[];
}

interface Filter {
  label: string;
  op: string;
  value: string;
}

const RANGES: [string, number][] = [
  ['5 min', 300],
  ['15 min', 900],
  ['1 h', 3600],
  ['6 h', 21600],
  ['24 h', 86400],
];

export function Metrics(props: { route: Route }) {
  const p = props.route.params;
  const { data: list } = usePoll(() => get<{ metrics: MetricInfo[] }>('metrics'), [], 10_000);
  const [metric, setMetric] = useState(p.get('metric') ?? '');
  const [agg, setAgg] = useState(p.get('agg') ?? '');
  const [q, setQ] = useState(p.get('q') ?? '0.95');
  const [by, setBy] = useState<string[]>((p.get('by') ?? '').split(',').filter((x) => x !== ''));
  const [filters, setFilters] = useState<Filter[]>(p.getAll('filter').map(parseFilter));
  const [range, setRange] = useState(Number(p.get('range') ?? 900));
  const [live, setLive] = useState(true);
  const info = list?.metrics.find((m) => m.name === metric);
  const aggregation = agg !== '' ? agg : info?.kind === 'histogram' ? 'quantile' : info?.kind === 'counter' ? 'rate' : 'sum';
  const { data: labelValues } = usePoll(() => get<{ labels: Record<string, string[]> }>('labels', { metric }), [metric], 10_000, metric !== '');

  useEffect(() => {
    if (metric === '' && list !== undefined && list.metrics.length > 0) setMetric(list.metrics[0]!.name);
  }, [list, metric]);

  const params = {
    metric,
    agg: aggregation,
    q: aggregation === 'quantile' ? q : undefined,
    by: by.join(','),
    filter: filters.filter((f) => f.label !== '').map((f) => `${f.label}${f.op}${f.value}`),
    range: String(range),
  };
  const key = JSON.stringify(params);
  const { data, error } = usePoll(() => get<QueryResult>('query', params), [key], config.refreshMs, live && metric !== '');
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const series = useMemo(() => (data?.series ?? []).map((s) => ({ label: labelText(s.labels) || metric, values: s.values })), [data]);
  const showExemplars = aggregation === 'quantile' || aggregation === 'avg' || aggregation === 'max' || aggregation === 'min';

  return (
    <div class="metrics">
      <section class="card wide query" data-testid="metric-query">
        <label>
          Metric
          <select value={metric} onChange={(e) => { setMetric(e.currentTarget.value); setBy([]); setFilters([]); setAgg(''); }} data-testid="metric-select">
            {(list?.metrics ?? []).map((m) => (
              <option key={m.name} value={m.name}>
                {m.name} ({m.kind})
              </option>
            ))}
          </select>
        </label>
        <label>
          Aggregation
          <select value={aggregation} onChange={(e) => setAgg(e.currentTarget.value)} data-testid="agg-select">
            {['sum', 'avg', 'min', 'max', 'rate', 'quantile'].map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        {aggregation === 'quantile' && (
          <label>
            Quantile
            <input type="number" min="0" max="1" step="0.01" value={q} onChange={(e) => setQ(e.currentTarget.value)} data-testid="quantile" />
          </label>
        )}
        <label>
          Range
          <select value={String(range)} onChange={(e) => setRange(Number(e.currentTarget.value))}>
            {RANGES.map(([l, s]) => (
              <option key={s} value={String(s)}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label class="inline">
          <input type="checkbox" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} /> live
        </label>
        <div class="groupby">
          Group by:
          {(info?.labels ?? []).map((l) => (
            <label key={l} class="inline">
              <input type="checkbox" checked={by.includes(l)} onChange={(e) => setBy(e.currentTarget.checked ? [...by, l] : by.filter((x) => x !== l))} data-groupby={l} /> {l}
            </label>
          ))}
        </div>
        <div class="filters">
          {filters.map((f, i) => (
            <span key={i} class="filter">
              <select value={f.label} onChange={(e) => setFilters(filters.map((x, j) => (j === i ? { ...x, label: e.currentTarget.value } : x)))} data-testid="filter-label">
                <option value="">label…</option>
                {Object.keys(labelValues?.labels ?? {}).map((l) => (
                  <option key={l} value={l}>
                    {l}
                  </option>
                ))}
              </select>
              <select value={f.op} onChange={(e) => setFilters(filters.map((x, j) => (j === i ? { ...x, op: e.currentTarget.value } : x)))}>
                {['=', '!=', '=~', '!~'].map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
              <input list={`values-${i}`} value={f.value} onChange={(e) => setFilters(filters.map((x, j) => (j === i ? { ...x, value: e.currentTarget.value } : x)))} data-testid="filter-value" />
              <datalist id={`values-${i}`}>
                {(labelValues?.labels[f.label] ?? []).map((v) => (
                  <option key={v} value={v} />
                ))}
              </datalist>
              <button onClick={() => setFilters(filters.filter((_, j) => j !== i))}>×</button>
            </span>
          ))}
          <button onClick={() => setFilters([...filters, { label: '', op: '=', value: '' }])} data-testid="add-filter">
            + filter
          </button>
        </div>
        <code class="expr" data-testid="expr">{expression(metric, aggregation, q, by, filters)}</code>
        {info !== undefined && info.description !== '' && <p class="muted">{info.description}{info.unit !== '' ? ` (${info.unit})` : ''}</p>}
      </section>
      <section class="card wide">
        {error !== undefined && <p class="error">{error}</p>}
        {data !== undefined && (
          <>
            <Chart
              times={data.times}
              series={series}
              exemplars={showExemplars ? data.exemplars : []}
              onExemplar={(id) => (location.hash = href('traces', [id]))}
              testId="metric-chart"
            />
            <table data-testid="series-table">
              <thead>
                <tr>
                  <th>Series</th>
                  <th class="num">Last</th>
                  <th class="num">Min</th>
                  <th class="num">Max</th>
                </tr>
              </thead>
              <tbody>
                {data.series.map((s) => {
                  const vals = s.values.filter((v): v is number => v !== null);
                  return (
                    <tr key={labelText(s.labels)}>
                      <td>{labelText(s.labels) || metric}</td>
                      <td class="num" data-testid="series-last">{fmtNum(vals[vals.length - 1])}</td>
                      <td class="num">{fmtNum(vals.length > 0 ? Math.min(...vals) : null)}</td>
                      <td class="num">{fmtNum(vals.length > 0 ? Math.max(...vals) : null)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            {data.series.length === 0 && <p class="muted">No series match.</p>}
            {showExemplars && data.exemplars.length > 0 && (
              <details open>
                <summary>Exemplars ({data.exemplars.length})</summary>
                <ul class="exemplars" data-testid="exemplars">
                  {data.exemplars.slice(-20).map((e) => (
                    <li key={`${e.traceId}${e.time}`}>
                      <a href={href('traces', [e.traceId])}>{fmtNum(e.value)}</a> at {fmtTime(e.time)} <code>{e.traceId.slice(0, 12)}…</code>
                    </li>
                  ))}
                </ul>
              </details>
            )}
          </>
        )}
      </section>
    </div>
  );
}

function parseFilter(s: string): Filter {
  const m = /^([^!=~]+)(=~|!~|!=|=)(.*)$/s.exec(s);
  return m === null ? { label: '', op: '=', value: '' } : { label: m[1]!, op: m[2]!, value: m[3]! };
}

function labelText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/** The query in PromQL terms, so it can be pasted into Prometheus. */
function expression(metric: string, agg: string, q: string, by: string[], filters: Filter[]): string {
  const sel = `${metric}{${filters.filter((f) => f.label !== '').map((f) => `${f.label}${f.op}${JSON.stringify(f.value)}`).join(',')}}`;
  const group = by.length > 0 ? ` by (${by.join(', ')})` : '';
  if (agg === 'rate') return `sum${group} (rate(${sel}[1m]))`;
  if (agg === 'quantile') return `histogram_quantile(${q}, sum by (${['le', ...by].join(', ')}) (rate(${sel}[1m])))`;
  return `${agg}${group} (${sel})`;
}
