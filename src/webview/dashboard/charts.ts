/**
 * The dashboard's three uPlot charts (loss per step, validation per epoch, throughput), coloured from the VS Code
 * theme's chart colours (shared/chartTheme.ts). uPlot bakes colours into its options, so a theme change rebuilds
 * the charts.
 */
import uPlot from 'uplot';
import type { EpochPoint, StepPoint } from '../protocol/dashboard';
import { chartColour, themedAxis, themeVar } from '../shared/chartTheme';

interface SeriesSpec {
  readonly label: string;
  readonly dash?: boolean;
  /** A theme colour variable instead of the next chart colour (a reference line in a neutral colour). */
  readonly colourVar?: string;
}

/** Steps and epochs are whole numbers: ticks only at whole steps. */
const WHOLE_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000];

function axes(xLabel: string, yLabel: string): uPlot.Axis[] {
  return [themedAxis(xLabel, { incrs: WHOLE_INCRS }), themedAxis(yLabel, { size: 50 })];
}

/** `points`: mark every value (epochs are few; a single one would otherwise not show). */
function build(container: HTMLElement, x: string, y: string, series: readonly SeriesSpec[], data: uPlot.AlignedData,
  options: { yRange?: [number, number]; points?: boolean } = {}): uPlot {
  const { yRange, points = false } = options;
  let next = 0;
  container.replaceChildren();
  const opts: uPlot.Options = {
    width: Math.max(280, container.clientWidth),
    height: 220,
    scales: { x: { time: false }, ...(yRange && { y: { range: yRange } }) },
    axes: axes(x, y),
    cursor: { drag: { x: true, y: false } },
    series: [
      { label: x },
      ...series.map((s): uPlot.Series => ({
        label: s.label, stroke: s.colourVar ? themeVar(s.colourVar, '#888') : chartColour(next++), width: 2,
        spanGaps: true,
        points: { show: points, size: 6 }, ...(s.dash && { dash: [6, 4] }),
      })),
    ],
  };
  return new uPlot(opts, data, container);
}

function stepData(steps: readonly StepPoint[]): uPlot.AlignedData {
  return [steps.map((s) => s.step), steps.map((s) => s.loss), steps.map((s) => s.ce), steps.map((s) => s.align)];
}

function layersOf(epochs: readonly EpochPoint[]): string[] {
  return [...new Set(epochs.flatMap((e) => Object.keys(e.attCos)))];
}

function epochData(epochs: readonly EpochPoint[], layers: readonly string[]): uPlot.AlignedData {
  return [epochs.map((e) => e.epoch), epochs.map((e) => e.valAccuracy), epochs.map((e) => e.trainAccuracy),
    ...layers.map((l) => epochs.map((e) => e.attCos[l] ?? null))];
}

export class Charts {
  private loss: uPlot | undefined;
  private val: uPlot | undefined;
  private speed: uPlot | undefined;
  private layers: string[] = [];

  constructor(private readonly boxes: { loss: HTMLElement; val: HTMLElement; speed: HTMLElement }) {
    new ResizeObserver(() => this.resize()).observe(boxes.loss);
  }

  /** Draws the series afresh: on load, when the layers change, and after a theme change. */
  render(steps: readonly StepPoint[], epochs: readonly EpochPoint[]): void {
    for (const c of [this.loss, this.val, this.speed]) c?.destroy();
    this.layers = layersOf(epochs);
    this.loss = build(this.boxes.loss, 'step',
      'loss', [{ label: 'total' }, { label: 'CE' }, { label: 'alignment', dash: true }], stepData(steps));
    const series: SeriesSpec[] = [{ label: 'val. accuracy' },
      { label: 'train accuracy', dash: true, colourVar: '--vscode-descriptionForeground' },
      ...this.layers.map((l) => ({ label: `ATT-COS ${l}` }))];
    this.val = build(this.boxes.val, 'epoch', 'score', series, epochData(epochs, this.layers),
      { yRange: [0, 1], points: true });
    this.speed = build(this.boxes.speed, 'step',
      'img/s', [{ label: 'img/s' }], [steps.map((s) => s.step), steps.map((s) => s.imagesPerSecond)]);
  }

  /** New data for the same series. */
  update(steps: readonly StepPoint[], epochs: readonly EpochPoint[]): void {
    if (layersOf(epochs).join() !== this.layers.join()) return this.render(steps, epochs);
    this.loss?.setData(stepData(steps));
    this.val?.setData(epochData(epochs, this.layers));
    this.speed?.setData([steps.map((s) => s.step), steps.map((s) => s.imagesPerSecond)]);
  }

  private resize(): void {
    const charts = [[this.loss, this.boxes.loss], [this.val, this.boxes.val], [this.speed, this.boxes.speed]] as const;
    for (const [chart, box] of charts) {
      chart?.setSize({ width: Math.max(280, box.clientWidth), height: 220 });
    }
  }
}
