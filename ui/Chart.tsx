import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
}

export interface ChartExemplar {
  time: number;
  value: number;
  traceId: string;
}

const COLORS = ['#3b82f6', '#ef4444', '#10b981', '#f59e0b', '#8b5cf6', '#ec4899', '#14b8a6', '#64748b', '#84cc16', '#f97316'];

/**
 * A uPlot line chart. Times are epoch milliseconds. Exemplars are drawn as dots on top of the lines;
 * clicking one calls `onExemplar` with its trace id.
 */
export function Chart(props: {
  times: number[];
  series: ChartSeries[];
  exemplars?: ChartExemplar[];
  onExemplar?: (traceId: string) => void;
  height?: number;
  testId?: string;
}) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const ex = useRef<ChartExemplar[]>([]);
  const onEx = useRef(props.onExemplar);
  ex.current = props.exemplars ?? [];
  onEx.current = props.onExemplar;
  const shape = props.series.map((s) => s.label).join('\u0000');

  useEffect(() => {
    const host = el.current;
    if (host === null) return;
    const width = Math.max(300, host.clientWidth || 800);
    const opts: uPlot.Options = {
      width,
      height: props.height ?? 280,
      series: [
        {},
        ...props.series.map((s, i) => ({
          label: s.label,
          stroke: COLORS[i % COLORS.length]!,
          width: 1.5,
          spanGaps: true,
          // A sparse series (a fresh one, a long range) is drawn as dots too, or a lone point is invisible.
          points: { show: (u: uPlot, si: number) => (u.data[si] as (number | null)[]).filter((v) => v !== null).length < 60, size: 6 },
        })),
      ],
      axes: [{}, { size: 70 }],
      legend: { show: true, live: true },
      // The legend shows each series' nearest value, so gaps (steps without a sample) read well.
      cursor: {
        dataIdx: (u: uPlot, si: number, hovered: number) => {
          const ys = u.data[si] as (number | null | undefined)[];
          if (ys[hovered] != null) return hovered;
          for (let d = 1; d < ys.length; d++) {
            if (hovered - d >= 0 && ys[hovered - d] != null) return hovered - d;
            if (hovered + d < ys.length && ys[hovered + d] != null) return hovered + d;
          }
          return hovered;
        },
      },
      hooks: {
        draw: [
          (u: uPlot) => {
            const ctx = u.ctx;
            ctx.save();
            ctx.fillStyle = '#111827';
            ctx.strokeStyle = '#fbbf24';
            ctx.lineWidth = 2;
            for (const e of ex.current) {
              const x = u.valToPos(e.time / 1000, 'x', true);
              const y = u.valToPos(e.value, 'y', true);
              if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
              ctx.beginPath();
              ctx.arc(x, y, 4 * devicePixelRatio, 0, Math.PI * 2);
              ctx.fill();
              ctx.stroke();
            }
            ctx.restore();
          },
        ],
      },
    };
    const u = new uPlot(opts, [props.times.map((t) => t / 1000), ...props.series.map((s) => s.values)] as uPlot.AlignedData, host);
    plot.current = u;
    const click = (ev: MouseEvent): void => {
      const rect = u.over.getBoundingClientRect();
      const mx = ev.clientX - rect.left;
      const my = ev.clientY - rect.top;
      let best: ChartExemplar | undefined;
      let bestD = 10;
      for (const e of ex.current) {
        const d = Math.hypot(u.valToPos(e.time / 1000, 'x') - mx, u.valToPos(e.value, 'y') - my);
        if (d < bestD) {
          bestD = d;
          best = e;
        }
      }
      if (best !== undefined) onEx.current?.(best.traceId);
    };
    u.over.addEventListener('click', click);
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(300, host.clientWidth), height: props.height ?? 280 }));
    resize.observe(host);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Rebuilt when the set of series changes; data updates go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape, props.height]);

  useEffect(() => {
    plot.current?.setData([props.times.map((t) => t / 1000), ...props.series.map((s) => s.values)] as uPlot.AlignedData);
  }, [props.times, props.series, props.exemplars]);

  return <div class="chart" ref={el} data-testid={props.testId} />;
}
