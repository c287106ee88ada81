// The server builds these (src/dashboard/traceAnalysis.ts); the page only draws them.
import type { FlameNode } from '../src/dashboard/traceAnalysis.js';
export type { FlameNode };

interface Row {
  node: FlameNode;
  left: number;
  width: number;
  depth: number;
}

/**
 * An icicle flame graph: the root on top, children below, each as wide as its share of the time.
 * Per-trace graphs place nodes at their offset; aggregated graphs stack children left to right.
 */
export function Flame(props: { root: FlameNode; timed: boolean; onSelect?: (n: FlameNode) => void; testId?: string }) {
  const rows: Row[] = [];
  const total = props.root.value > 0 ? props.root.value : 1;
  const base = props.root.offset ?? 0;
  const walk = (n: FlameNode, left: number, depth: number): void => {
    if (depth > 60 || rows.length > 5_000) return;
    const width = (n.value / total) * 100;
    rows.push({ node: n, left, width, depth });
    let cursor = left;
    for (const c of n.children) {
      const cl = props.timed && c.offset !== undefined ? ((c.offset - base) / total) * 100 : cursor;
      walk(c, cl, depth + 1);
      cursor = cl + (c.value / total) * 100;
    }
  };
  walk(props.root, 0, 0);
  const depth = rows.reduce((m, r) => Math.max(m, r.depth), 0) + 1;
  const fmt = (v: number): string => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`);
  return (
    <div class="flame" style={{ height: `${depth * 22}px` }} data-testid={props.testId}>
      {rows.map((r, i) => (
        <div
          key={i}
          class={`flame-node${r.node.error === true ? ' err' : ''}`}
          style={{ left: `${r.left}%`, width: `${Math.max(r.width, 0.05)}%`, top: `${r.depth * 22}px`, background: color(r.node.name) }}
          title={`${r.node.name} — ${fmt(r.node.value)} total, ${fmt(r.node.self)} self, ${r.node.count}×`}
          onClick={() => props.onSelect?.(r.node)}
        >
          {r.width > 3 ? `${r.node.name} ${fmt(r.node.value)}` : ''}
        </div>
      ))}
    </div>
  );
}

function color(name: string): string {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return `hsl(${20 + (h % 40)}, ${70 + (h % 20)}%, ${62 + (h % 12)}%)`;
}
