import { useEffect, useRef, useState } from 'preact/hooks';
import { fmtTime, get } from '../api';
import { href } from '../router';

interface EventRecord {
  seq: number;
  type: string;
  timestamp: number;
  traceId?: string;
  data: Record<string, unknown>;
}

const MAX = 500;

/** The live bus feed: the recent events, then whatever the server pushes over SSE. */
export function Events() {
  const [events, setEvents] = useState<EventRecord[]>([]);
  const [filter, setFilter] = useState('');
  const [paused, setPaused] = useState(false);
  const [connected, setConnected] = useState(false);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  useEffect(() => {
    let closed = false;
    let source: EventSource | undefined;
    void get<{ events: EventRecord[] }>('events', { limit: 200 }).then((r) => {
      if (closed) return;
      setEvents(r.events.slice().reverse());
      source = new EventSource('api/events/stream');
      source.onopen = () => setConnected(true);
      source.onerror = () => setConnected(false);
      source.onmessage = (m) => {
        if (pausedRef.current) return;
        const batch = JSON.parse(m.data as string) as EventRecord[];
        setEvents((prev) => {
          const last = prev[0]?.seq ?? 0;
          const fresh = batch.filter((e) => e.seq > last).reverse();
          return fresh.length === 0 ? prev : [...fresh, ...prev].slice(0, MAX);
        });
      };
    });
    return () => {
      closed = true;
      source?.close();
    };
  }, []);

  const shown = filter === '' ? events : events.filter((e) => e.type.includes(filter));
  return (
    <section class="card wide">
      <h2>
        Events <span class={`badge ${connected ? 'healthy' : 'degraded'}`} data-testid="sse-state">{connected ? 'live' : 'connecting'}</span>
      </h2>
      <div class="query">
        <label>
          Type contains
          <input value={filter} onInput={(e) => setFilter(e.currentTarget.value)} placeholder="health., performance.phase" data-testid="event-filter" />
        </label>
        <button onClick={() => setPaused(!paused)}>{paused ? 'Resume' : 'Pause'}</button>
      </div>
      <table data-testid="event-table">
        <thead>
          <tr>
            <th>Time</th>
            <th>Type</th>
            <th>Trace</th>
            <th>Data</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((e) => (
            <tr key={e.seq}>
              <td>{fmtTime(e.timestamp)}</td>
              <td>{e.type}</td>
              <td>{e.traceId !== undefined && e.traceId !== '' ? <a href={href('traces', [e.traceId])}>{e.traceId.slice(0, 8)}…</a> : ''}</td>
              <td>
                <code class="data">{JSON.stringify(e.data)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
