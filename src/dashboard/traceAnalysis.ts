import type { SpanRecord } from './model.js';
import type { TraceEntry } from './TraceStore.js';

/**
 * The critical path of a trace: the chain of spans that decided its end-to-end duration. From the
 * root, walk back from its end: the child that finished last (before the walk's cursor) was what the
 * parent waited for; recurse into it, move the cursor to that child's start and repeat. Returns the
 * span ids on the path.
 */
export function criticalPath(spans: readonly SpanRecord[]): string[] {
  const children = childrenOf(spans);
  const roots = rootsOf(spans);
  const path: string[] = [];
  const walk = (span: SpanRecord): void => {
    path.push(span.spanId);
    const kids = (children.get(span.spanId) ?? []).slice().sort((a, b) => b.end - a.end);
    let cursor = span.end;
    // A child that started before the cursor was running while the parent waited, even if it ends
    // a little after the cursor (a concurrent sibling, or clock jitter between two sequential
    // spans): it is on the path for the part before the cursor, as in Jaeger's algorithm.
    for (const c of kids) {
      if (c.start >= cursor || c.end <= span.start) continue;
      walk(c);
      cursor = c.start;
      if (cursor <= span.start) break;
    }
  };
  // The root that ends last decides a trace with several roots (a missing parent, say).
  const root = roots.slice().sort((a, b) => b.end - a.end)[0];
  if (root !== undefined) walk(root);
  return path;
}

/** A flame graph node: a span (per trace) or a name path (aggregated). Times in milliseconds. */
export interface FlameNode {
  readonly name: string;
  /** Total time of this node (sum over traces when aggregated). */
  value: number;
  /** Time not covered by children. */
  self: number;
  /** Spans merged into the node. */
  count: number;
  /** Offset from the trace start (per-trace graphs only). */
  offset?: number;
  spanId?: string;
  service?: string;
  error?: boolean;
  children: FlameNode[];
}

/** The per-trace flame graph: the span tree, each node as wide as its span. */
export function traceFlame(spans: readonly SpanRecord[]): FlameNode {
  const children = childrenOf(spans);
  const roots = rootsOf(spans);
  const start = Math.min(...spans.map((s) => s.start));
  const end = Math.max(...spans.map((s) => s.end));
  const build = (s: SpanRecord, depth: number): FlameNode => {
    const kids = depth > 200 ? [] : (children.get(s.spanId) ?? []).slice().sort((a, b) => a.start - b.start).map((c) => build(c, depth + 1));
    const value = s.end - s.start;
    return {
      name: s.name,
      value,
      self: Math.max(0, value - covered(kids)),
      count: 1,
      offset: s.start - start,
      spanId: s.spanId,
      service: s.service,
      error: s.status === 'error',
      children: kids,
    };
  };
  const top = roots.sort((a, b) => a.start - b.start).map((r) => build(r, 0));
  if (top.length === 1) return top[0]!;
  return { name: 'trace', value: end - start, self: 0, count: 1, offset: 0, children: top };
}

/**
 * The aggregated flame graph of a route: the span trees of many traces merged by name path
 * (root > phase > sub-phase), each node's value the total time spent there across the traces.
 */
export function aggregateFlame(traces: readonly TraceEntry[]): FlameNode {
  const top: FlameNode = { name: 'all', value: 0, self: 0, count: 0, children: [] };
  for (const t of traces) {
    const children = childrenOf(t.spans);
    const merge = (s: SpanRecord, into: FlameNode, depth: number): void => {
      let node = into.children.find((c) => c.name === s.name);
      if (node === undefined) {
        node = { name: s.name, value: 0, self: 0, count: 0, children: [] };
        into.children.push(node);
      }
      const value = s.end - s.start;
      const kids = children.get(s.spanId) ?? [];
      node.value += value;
      node.count++;
      node.self += Math.max(0, value - covered(kids.map((k) => ({ offset: k.start, value: k.end - k.start }))));
      if (depth < 200) for (const k of kids) merge(k, node, depth + 1);
    };
    for (const r of rootsOf(t.spans)) {
      merge(r, top, 0);
      top.value += r.end - r.start;
    }
    top.count++;
  }
  const sort = (n: FlameNode): void => {
    n.children.sort((a, b) => b.value - a.value);
    n.children.forEach(sort);
  };
  sort(top);
  return top;
}

function childrenOf(spans: readonly SpanRecord[]): Map<string, SpanRecord[]> {
  const ids = new Set(spans.map((s) => s.spanId));
  const map = new Map<string, SpanRecord[]>();
  for (const s of spans) {
    if (s.parentSpanId === undefined || !ids.has(s.parentSpanId)) continue;
    let list = map.get(s.parentSpanId);
    if (list === undefined) map.set(s.parentSpanId, (list = []));
    list.push(s);
  }
  return map;
}

function rootsOf(spans: readonly SpanRecord[]): SpanRecord[] {
  const ids = new Set(spans.map((s) => s.spanId));
  return spans.filter((s) => s.parentSpanId === undefined || s.parentSpanId === '' || !ids.has(s.parentSpanId));
}

/** Length of the union of children's intervals (children run concurrently, so a plain sum overcounts). */
function covered(kids: readonly { offset?: number | undefined; value: number }[]): number {
  const iv = kids.map((k) => [k.offset ?? 0, (k.offset ?? 0) + k.value] as const).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let curS = -Infinity;
  let curE = -Infinity;
  for (const [s, e] of iv) {
    if (s > curE) {
      if (curE > curS) total += curE - curS;
      curS = s;
      curE = e;
    } else if (e > curE) curE = e;
  }
  if (curE > curS) total += curE - curS;
  return total;
}
