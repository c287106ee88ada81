import { useState } from 'preact/hooks';
import { config, fmtNum, get, post } from '../api';
import { usePoll } from '../router';

export interface AlertView {
  fingerprint: string;
  rule: string;
  state: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  value: number;
  activeAt: string;
  firedAt?: string;
  silencedBy: string[];
  acknowledgement?: { by: string; comment: string; at: string };
}

interface SilenceView {
  id: string;
  matchers: { name: string; op: string; value: string }[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  state: string;
}

interface RuleView {
  name: string;
  kind: string;
  expression: string;
  state: string;
  alerts: number;
  lastError?: string;
}

export function Alerts() {
  const { data, error, reload } = usePoll(
    () => get<{ enabled: boolean; alerts: AlertView[]; silences: SilenceView[]; rules: RuleView[] }>('alerts'),
    [],
    config.refreshMs,
  );
  const [draft, setDraft] = useState({ matchers: '', duration: '1h', createdBy: 'dashboard', comment: '' });
  const [message, setMessage] = useState<string | undefined>(undefined);
  if (data === undefined) return <p class="muted">{error ?? 'Loading…'}</p>;
  if (!data.enabled) return <p class="muted card wide">Alerting is not enabled: pass `alerting` to createDashboard.</p>;
  const act = async (fn: () => Promise<unknown>, done: string): Promise<void> => {
    try {
      await fn();
      setMessage(done);
      reload();
    } catch (err) {
      setMessage(`failed: ${String((err as Error).message)}`);
    }
  };
  const createSilence = (e: Event): void => {
    e.preventDefault();
    const matchers = draft.matchers
      .split(/[\n,]/)
      .map((l) => /^\s*([^!=~\s]+)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ name: m[1]!, op: m[2]!, value: m[3]! }));
    void act(() => post('silences', { matchers, duration: draft.duration, createdBy: draft.createdBy, comment: draft.comment }), 'silence created');
  };
  return (
    <div>
      {message !== undefined && <p class="notice" data-testid="alert-message">{message}</p>}
      <section class="card wide">
        <h2>Alerts</h2>
        <table data-testid="alerts-table">
          <thead>
            <tr>
              <th>State</th>
              <th>Rule</th>
              <th>Labels</th>
              <th>Summary</th>
              <th class="num">Value</th>
              <th>Since</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.alerts.map((a) => (
              <tr key={a.fingerprint} data-alert={a.rule}>
                <td>
                  <span class={`badge ${a.state}`}>{a.state}</span>
                  {a.silencedBy.length > 0 && <span class="badge silenced" data-testid="silenced">silenced</span>}
                  {a.acknowledgement !== undefined && <span class="badge acked" data-testid="acknowledged" title={`${a.acknowledgement.by}: ${a.acknowledgement.comment}`}>acknowledged</span>}
                </td>
                <td>{a.rule}</td>
                <td class="labels">
                  {Object.entries(a.labels).map(([k, v]) => (
                    <span key={k} class="label">
                      {k}={v}
                    </span>
                  ))}
                </td>
                <td>
                  {a.annotations.summary ?? ''}
                  {a.annotations.description !== undefined && <div class="muted pre">{a.annotations.description}</div>}
                </td>
                <td class="num">{fmtNum(a.value)}</td>
                <td>{new Date(a.firedAt ?? a.activeAt).toLocaleTimeString()}</td>
                <td>
                  <button onClick={() => setDraft({ ...draft, matchers: `alertname=${a.labels.alertname ?? a.rule}` })} data-testid="silence-this">
                    Silence…
                  </button>
                  {a.acknowledgement === undefined && a.state === 'firing' && (
                    <button data-testid="acknowledge" onClick={() => void act(() => post(`alerts/${encodeURIComponent(a.fingerprint)}/ack`, { by: draft.createdBy, comment: 'acknowledged from the dashboard' }), 'acknowledged')}>
                      Acknowledge
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {data.alerts.length === 0 && <p class="muted">No alerts.</p>}
      </section>
      <form class="card wide query" onSubmit={createSilence} data-testid="silence-form">
        <h2>New silence</h2>
        <label>
          Matchers (one per line, name=value)
          <textarea value={draft.matchers} onInput={(e) => setDraft({ ...draft, matchers: e.currentTarget.value })} rows={2} data-testid="silence-matchers" />
        </label>
        <label>
          Duration
          <input value={draft.duration} onInput={(e) => setDraft({ ...draft, duration: e.currentTarget.value })} size={5} />
        </label>
        <label>
          By
          <input value={draft.createdBy} onInput={(e) => setDraft({ ...draft, createdBy: e.currentTarget.value })} />
        </label>
        <label>
          Comment
          <input value={draft.comment} onInput={(e) => setDraft({ ...draft, comment: e.currentTarget.value })} data-testid="silence-comment" />
        </label>
        <button type="submit" data-testid="silence-create">
          Create silence
        </button>
      </form>
      <section class="card wide">
        <h2>Silences</h2>
        <table data-testid="silences-table">
          <thead>
            <tr>
              <th>State</th>
              <th>Matchers</th>
              <th>Ends</th>
              <th>By</th>
              <th>Comment</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.silences.map((s) => (
              <tr key={s.id}>
                <td>
                  <span class={`badge ${s.state}`}>{s.state}</span>
                </td>
                <td>{s.matchers.map((m) => `${m.name}${m.op}${m.value}`).join(', ')}</td>
                <td>{new Date(s.endsAt).toLocaleString()}</td>
                <td>{s.createdBy}</td>
                <td>{s.comment}</td>
                <td>
                  {s.state !== 'expired' && (
                    <button onClick={() => void act(() => post(`silences/${encodeURIComponent(s.id)}/expire`, {}), 'silence expired')} data-testid="silence-expire">
                      Expire
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {data.rules.length > 0 && (
        <section class="card wide">
          <h2>Rules</h2>
          <table>
            <tbody>
              {data.rules.map((r) => (
                <tr key={r.name}>
                  <td>
                    <span class={`badge ${r.state}`}>{r.state}</span>
                  </td>
                  <td>{r.name}</td>
                  <td>
                    <code>{r.expression}</code>
                  </td>
                  <td>{r.lastError ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}
