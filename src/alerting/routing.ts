import { requireArray, requireObject, requireOneOf } from '../internal/configCheck.js';
import { ConfigurationError } from '../errors/MonitoringError.js';
import { parseDuration, type Duration } from './duration.js';
import { compileMatchers, matchesAll, type CompiledMatcher, type MatcherInput } from './matchers.js';

/**
 * A node of the routing tree, as in Alertmanager's `route`: alerts matching `matchers` go to
 * `receiver`, or to the first matching child (every matching child while children have
 * `continue: true`). Children inherit the parent's receiver, grouping and intervals.
 *
 * @example
 * { receiver: 'default', groupBy: ['alertname'], groupWait: '30s', groupInterval: '5m', repeatInterval: '4h',
 *   routes: [{ matchers: ['severity="page"'], receiver: 'pager', continue: true }] }
 */
export interface RouteConfig {
  receiver?: string;
  matchers?: MatcherInput;
  /** Keep looking at the next sibling after this route matched. Default false. */
  continue?: boolean;
  /** Labels alerts are grouped by; `['...']` groups by every label (one notification per alert). Default none (one group). */
  groupBy?: string[];
  /** Wait before the first notification of a new group. Default 30s. */
  groupWait?: Duration;
  /** Wait before notifying a group again about changes. Default 5m. */
  groupInterval?: Duration;
  /** Wait before re-sending an unchanged, still-firing group. Default 4h. */
  repeatInterval?: Duration;
  routes?: RouteConfig[];
}

/** @internal */
export interface Route {
  readonly id: string;
  readonly receiver: string;
  readonly matchers: readonly CompiledMatcher[];
  readonly continue: boolean;
  readonly groupBy: readonly string[];
  readonly groupByAll: boolean;
  readonly groupWaitMs: number;
  readonly groupIntervalMs: number;
  readonly repeatIntervalMs: number;
  readonly routes: readonly Route[];
}

/** @internal Validates the tree; `receivers` are the names that exist. */
export function compileRoute(config: RouteConfig, receivers: ReadonlySet<string>, parent?: Route, path = 'route'): Route {
  requireObject(path, config, 'a route object');
  const receiver = config.receiver ?? parent?.receiver;
  if (receiver === undefined) throw new ConfigurationError(`${path}.receiver`, undefined, 'a receiver name (the root route needs one)');
  requireOneOf(`${path}.receiver`, receiver, [...receivers], `one of the receivers: ${[...receivers].join(', ') || '(none defined)'}`);
  const groupBy = config.groupBy ?? parent?.groupBy ?? [];
  requireArray(`${path}.groupBy`, groupBy, 'a list of label names, or ["..."]', (l) => typeof l === 'string');
  const route: Route = {
    id: path,
    receiver,
    matchers: compileMatchers(config.matchers, `${path}.matchers`),
    continue: config.continue ?? false,
    groupBy: groupBy.filter((l) => l !== '...'),
    groupByAll: groupBy.includes('...'),
    groupWaitMs: config.groupWait !== undefined ? parseDuration(config.groupWait, `${path}.groupWait`) : (parent?.groupWaitMs ?? 30_000),
    groupIntervalMs: config.groupInterval !== undefined ? parseDuration(config.groupInterval, `${path}.groupInterval`, false) : (parent?.groupIntervalMs ?? 300_000),
    repeatIntervalMs: config.repeatInterval !== undefined ? parseDuration(config.repeatInterval, `${path}.repeatInterval`, false) : (parent?.repeatIntervalMs ?? 4 * 3_600_000),
    routes: [],
  };
  const children = (config.routes ?? []).map((c, i) => compileRoute(c, receivers, route, `${path}.routes[${i}]`));
  return Object.freeze({ ...route, routes: children });
}

/**
 * The routes an alert goes to, by Alertmanager's rules: the root matches everything; at each node
 * the children are tried in order, a matching child is descended into, and the search stops at the
 * first match unless that child has `continue`; a node none of whose children match is the answer.
 * @internal
 */
export function matchRoutes(route: Route, labels: Readonly<Record<string, string>>): Route[] {
  if (!matchesAll(route.matchers, labels)) return [];
  const out: Route[] = [];
  for (const child of route.routes) {
    const found = matchRoutes(child, labels);
    if (found.length === 0) continue;
    out.push(...found);
    if (!child.continue) break;
  }
  return out.length > 0 ? out : [route];
}

/** @internal The labels an alert is grouped by on a route. */
export function groupLabels(route: Route, labels: Readonly<Record<string, string>>): Record<string, string> {
  if (route.groupByAll) return { ...labels };
  const out: Record<string, string> = {};
  for (const l of route.groupBy) if (labels[l] !== undefined) out[l] = labels[l]!;
  return out;
}
