import { config, fmtTime, get } from '../api';
import { usePoll } from '../router';

export interface HealthSummary {
  status: string;
  checks: { name: string; status: string; reason?: string; category?: string; critical?: boolean; time: number; history: { time: number; status: string; reason?: string }[] }[];
}

export function StatusBadge(props: { status: string }) {
  return <span class={`badge ${props.status}`}>{props.status}</span>;
}

/** One cell per result, oldest left, colour by status; the tooltip shows the time and the reason. */
export function HistoryStrip(props: { history: { time: number; status: string; reason?: string }[] }) {
  return (
    <div class="strip">
      {props.history.map((h, i) => (
        <span key={i} class={`cell ${h.status}`} title={`${fmtTime(h.time)} ${h.status}${h.reason !== undefined ? `: ${h.reason}` : ''}`} />
      ))}
    </div>
  );
}

export function Health() {
  const { data, error } = usePoll(() => get<HealthSummary>('health'), [], config.refreshMs);
  if (data === undefined) return <p class="muted">{error ?? 'Loading…'}</p>;
  return (
    <section class="card wide">
      <h2>
        Health <StatusBadge status={data.status} />
      </h2>
      {data.checks.length === 0 && <p class="muted">No health results yet: register checks with a HealthCheckManager on this monitoring.</p>}
      <table data-testid="health-table">
        <thead>
          <tr>
            <th>Check</th>
            <th>Status</th>
            <th>Reason</th>
            <th>Category</th>
            <th>Critical</th>
            <th>Checked</th>
            <th>History</th>
          </tr>
        </thead>
        <tbody>
          {data.checks.map((c) => (
            <tr key={c.name}>
              <td>{c.name}</td>
              <td>
                <StatusBadge status={c.status} />
              </td>
              <td class="reason">{c.reason ?? ''}</td>
              <td>{c.category ?? ''}</td>
              <td>{c.critical === undefined ? '' : c.critical ? 'yes' : 'no'}</td>
              <td>{c.time > 0 ? fmtTime(c.time) : ''}</td>
              <td>
                <HistoryStrip history={c.history} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
