import 'uplot/dist/uPlot.min.css';
import './style.css';
import { render } from 'preact';
import { config } from './api';
import { href, useRoute } from './router';
import { Overview } from './pages/Overview';
import { Metrics } from './pages/Metrics';
import { Traces, TraceView } from './pages/Traces';
import { Health } from './pages/Health';
import { Alerts } from './pages/Alerts';
import { Events } from './pages/Events';

const PAGES: [string, string][] = [
  ['overview', 'Overview'],
  ['metrics', 'Metrics'],
  ['traces', 'Traces'],
  ['health', 'Health'],
  ['alerts', 'Alerts'],
  ['events', 'Events'],
];

function App() {
  const route = useRoute();
  let page;
  switch (route.page) {
    case 'metrics':
      page = <Metrics route={route} />;
      break;
    case 'traces':
      page = route.rest[0] !== undefined ? <TraceView traceId={route.rest[0]} /> : <Traces route={route} />;
      break;
    case 'health':
      page = <Health />;
      break;
    case 'alerts':
      page = <Alerts />;
      break;
    case 'events':
      page = <Events />;
      break;
    default:
      page = <Overview />;
  }
  return (
    <div class="shell">
      <header>
        <span class="brand">{config.title}</span>
        <span class="mode">{config.mode}</span>
        <nav>
          {PAGES.map(([id, label]) => (
            <a key={id} href={href(id)} class={route.page === id || (id === 'overview' && !PAGES.some((p) => p[0] === route.page)) ? 'active' : ''} data-nav={id}>
              {label}
            </a>
          ))}
        </nav>
      </header>
      <main data-page={route.page}>{page}</main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
