import { config, fmtMs, fmtNum, get } from '../api';
import { Chart } from '../Chart';
import { href, usePoll } from '../router';
import { StatusBadge, HistoryStrip, type HealthSummary } from './Health';
import type { AlertView } from './Alerts';

interface Overview {
  health: HealthSummary;
  red: { name: string; service: string; count: number; rate: number; errors: number; errorRatio: number; p50: number; p95: number; p99: number }[];
  alerts: AlertView[];
  eventRate: { time: number; count: number }[];
  services: { name: string; traces: number }[];
  traces: { traces: number; spans: number };
}

export function Overview() {
  const { data, error } = usePoll(() => get<Overview>('overview'), [], config.refreshMs);
  if (data === undefined) return <p class="muted">{error ?? 'Loading…'}</p>;
  const system = data.health.checks.find((c) => c.name === 'system');
  return (
    <div class="grid">
      <section class="card" data-testid="overview-health">
        <h2>
          Health <StatusBadge status={data.health.status} />
        </h2>
        {system !== undefined && <HistoryStrip history={system.history} />}
        <ul class="checks">
          {data.health.checks
            .filter((c) => c.name !== 'system')
            .map((c) => (
              <li key={c.name}>
                <StatusBadge status={c.status} /> {c.name}
                {c.reason !== undefined && <span class="reason"> — {c.reason}</span>}
              </li>
            ))}
        </ul>
        {data.health.checks.length === 0 && <p class="muted">No health results yet.</p>}
      </section>
      <section class="card" data-testid="overview-alerts">
        <h2>Firing alerts</h2>
        {!config.alerting && <p class="muted">Alerting is not enabled.</p>}
        {config.alerting && data.alerts.length === 0 && <p class="muted">Nothing is firing.</p>}
        <ul>
          {data.alerts.map((a) => (
            <li key={a.fingerprint}>
              <span class="badge firing">firing</span> <b>{a.rule}</b> {a.annotations.summary ?? ''}
              {a.silencedBy.length > 0 && <span class="badge silenced">silenced</span>}
            </li>
          ))}
        </ul>
      </section>
      <section class="card wide" data-testid="overview-red">
        <h2>Requests per route (last 5 min)</h2>
        <table>
          <thead>
            <tr>
              <th>Route</th>
              <th>Service</th>
              <th class="num">Rate /s</th>
              <th class="num">Errors</th>
              <th class="num">p50</th>
              <th class="num">p95</th>
              <th class="num">p99</th>
            </tr>
          </thead>
          <tbody>
            {data.red.map((r) => (
              <tr key={`${r.service}/${r.name}`}>
                <td>
                  <a href={href('traces', [], { name: r.name, service: r.service })}>{r.name}</a>
                </td>
                <td>{r.service}</td>
                <td class="num">{fmtNum(r.rate)}</td>
                <td class="num">{(r.errorRatio * 100).toFixed(1)}%</td>
                <td class="num">{fmtMs(r.p50)}</td>
                <td class="num">{fmtMs(r.p95)}</td>
                <td class="num">{fmtMs(r.p99)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {data.red.length === 0 && <p class="muted">No traces in the last 5 minutes.</p>}
      </section>
      <section class="card" data-testid="overview-events">
        <h2>Event rate (per second, last minute)</h2>
        <Chart times={data.eventRate.map((e) => e.time)} series={[{ label: 'events/s', values: data.eventRate.map((e) => e.count) }]} height={160} />
      </section>
      <section class="card" data-testid="overview-services">
        <h2>Services</h2>
        <ul>
          {data.services.map((s) => (
            <li key={s.name}>
              <a href={href('traces', [], { service: s.name })}>{s.name}</a> <span class="muted">{s.traces} traces</span>
            </li>
          ))}
        </ul>
        <p class="muted">
          {data.traces.traces} traces, {data.traces.spans} spans held
        </p>
      </section>
    </div>
  );
}
