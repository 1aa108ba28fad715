/**
 * A metric against a numeric setting of the sweep (λ, lr, …), like the paper's λ plot: one line per combination of
 * the other settings through the mean over seeds, a band and whiskers of ± 1 sd, and each run as a dot. uPlot draws
 * the lines and axes; the band, whiskers and dots are drawn on its canvas in the same colours (a draw hook), so the
 * legend lists the lines only. Colours come from the theme; a theme change rebuilds the chart.
 */
import uPlot from 'uplot';
import type { Spread, SweepPoint } from '../../trainer/science/metrics/sweepStats';
import type { SweepView } from '../protocol/sweep';
import { chartColour, themedAxis, themeVar } from '../shared/chartTheme';
import { formatValue, metricLabel, settingText } from './format';

const SEED = 'seed';
const HEIGHT = 280;

export interface ChartLine {
  readonly label: string;
  /** Mean ± sd over seeds at each x. */
  readonly spreads: ReadonlyMap<number, Spread>;
  /** Every run's own value. */
  readonly dots: readonly (readonly [x: number, y: number])[];
}

/** The lines of `metric` against `axis`: one per combination of the settings other than the axis and the seed. */
export function chartLines(view: SweepView, metric: string, axis: string): ChartLine[] {
  const others = view.settings.filter((s) => s !== axis && s !== SEED);
  const keyOf = (p: SweepPoint): string => JSON.stringify(others.map((s) => p[s] ?? null));
  const lines = new Map<string, { label: string; spreads: Map<number, Spread>; dots: [number, number][] }>();
  const lineOf = (p: SweepPoint): { spreads: Map<number, Spread>; dots: [number, number][] } => {
    const key = keyOf(p);
    let line = lines.get(key);
    if (!line) {
      const label = others.length > 0 ? others.map((s) => `${s} ${settingText(p[s])}`).join(', ') : metricLabel(metric);
      lines.set(key, (line = { label, spreads: new Map(), dots: [] }));
    }
    return line;
  };
  for (const g of view.groups) {
    const x = g.point[axis];
    const s = g.metrics[metric];
    if (typeof x === 'number' && s) lineOf(g.point).spreads.set(x, s);
  }
  for (const r of view.runs) {
    const [x, y] = [r.point[axis], r.metrics[metric]];
    if (typeof x === 'number' && typeof y === 'number') lineOf(r.point).dots.push([x, y]);
  }
  return [...lines.values()].filter((l) => l.spreads.size > 0);
}

/** The y range that holds every band and dot, with a little room. */
function yRange(lines: readonly ChartLine[]): [number, number] {
  const ys = lines.flatMap((l) => [...[...l.spreads.values()].flatMap((s) => [s.mean - (s.sd ?? 0),
    s.mean + (s.sd ?? 0)]), ...l.dots.map(([, y]) => y)]);
  const [lo, hi] = [Math.min(...ys), Math.max(...ys)];
  const pad = Math.max((hi - lo) * 0.08, Math.abs(hi) * 0.01, 1e-3);
  return [lo - pad, hi + pad];
}

/** Band, whiskers and dots of each line, under uPlot's own lines. */
function drawSpread(u: uPlot, lines: readonly ChartLine[], colours: readonly string[]): void {
  const { ctx } = u;
  const px = (x: number): number => u.valToPos(x, 'x', true);
  const py = (y: number): number => u.valToPos(y, 'y', true);
  const dpr = window.devicePixelRatio || 1;
  ctx.save();
  ctx.beginPath();
  ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
  ctx.clip();
  lines.forEach((line, i) => {
    const colour = colours[i]!;
    const points = [...line.spreads.entries()].sort((a, b) => a[0] - b[0]).filter(([, s]) => s.sd !== null);
    ctx.fillStyle = colour;
    ctx.strokeStyle = colour;
    if (points.length > 1) {
      ctx.globalAlpha = 0.16;
      ctx.beginPath();
      points.forEach(([x, s], k) => (k === 0 ? ctx.moveTo : ctx.lineTo).call(ctx, px(x), py(s.mean + s.sd!)));
      for (const [x, s] of [...points].reverse()) ctx.lineTo(px(x), py(s.mean - s.sd!));
      ctx.closePath();
      ctx.fill();
    }
    ctx.globalAlpha = 0.9;
    ctx.lineWidth = 1.5 * dpr;
    for (const [x, s] of points) {
      const [cx, top, bottom, cap] = [px(x), py(s.mean + s.sd!), py(s.mean - s.sd!), 4 * dpr];
      ctx.beginPath();
      ctx.moveTo(cx, top);
      ctx.lineTo(cx, bottom);
      ctx.moveTo(cx - cap, top);
      ctx.lineTo(cx + cap, top);
      ctx.moveTo(cx - cap, bottom);
      ctx.lineTo(cx + cap, bottom);
      ctx.stroke();
    }
    ctx.globalAlpha = 0.55;
    for (const [x, y] of line.dots) {
      ctx.beginPath();
      ctx.arc(px(x), py(y), 3 * dpr, 0, 2 * Math.PI);
      ctx.fill();
    }
  });
  ctx.restore();
}

export class SweepChart {
  private plot: uPlot | undefined;

  constructor(private readonly box: HTMLElement) {
    new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: HEIGHT })).observe(box);
  }

  private width(): number {
    return Math.max(320, this.box.clientWidth);
  }

  /** Removes the chart; returns no lines. */
  clear(): ChartLine[] {
    this.plot?.destroy();
    this.plot = undefined;
    this.box.replaceChildren();
    return [];
  }

  /** Draws `metric` against `axis`; returns the lines drawn (none: nothing to draw, the caller says why). */
  render(view: SweepView, metric: string, axis: string): ChartLine[] {
    this.clear();
    const lines = chartLines(view, metric, axis);
    if (lines.length === 0) return lines;
    const xs = [...new Set(lines.flatMap((l) => [...l.spreads.keys(), ...l.dots.map(([x]) => x)]))]
      .sort((a, b) => a - b);
    const colours = lines.map((_, i) => chartColour(i));
    const data: uPlot.AlignedData = [xs, ...lines.map((l) => xs.map((x) => l.spreads.get(x)?.mean ?? null))];
    const range = yRange(lines);
    const opts: uPlot.Options = {
      width: this.width(), height: HEIGHT,
      scales: {
        // Room beyond the first and last values, so their whiskers and dots are not cut at the edge.
        x: { time: false, range: (_u, min, max) => (min === max ? [min - 1, max + 1]
          : [min - 0.04 * (max - min), max + 0.04 * (max - min)]) },
        y: { range: () => range },
      },
      axes: [
        // Ticks at the sweep's own values: the grid is what was run.
        themedAxis(axis, { splits: () => xs, values: (_u, splits) => splits.map((v) => String(v)) }),
        themedAxis(metricLabel(metric),
          { size: 60, values: (_u, splits) => splits.map((v) => formatValue(metric, v)) }),
      ],
      cursor: { drag: { x: false, y: false } },
      // The legend names the lines; their values are in the tables below.
      legend: { live: false },
      series: [
        { label: axis },
        ...lines.map((l, i): uPlot.Series => ({
          label: l.label, stroke: colours[i], width: 2, spanGaps: true,
          points: { show: true, size: 7, fill: themeVar('--vscode-editor-background', '#fff') },
          value: (_u, v) => formatValue(metric, v),
        })),
      ],
      hooks: { drawAxes: [(u) => drawSpread(u, lines, colours)] },
    };
    this.plot = new uPlot(opts, data, this.box);
    return lines;
  }
}
