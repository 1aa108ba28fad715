/**
 * The dashboard's three uPlot charts (loss per step, validation per epoch, throughput), coloured from the VS Code
 * theme's chart colours. uPlot bakes colours into its options, so a theme change rebuilds the charts.
 */
import uPlot from 'uplot';
import type { EpochPoint, StepPoint } from '../protocol/dashboard';

const PALETTE = ['blue', 'orange', 'green', 'purple', 'red', 'yellow'] as const;
const FALLBACK: Readonly<Record<(typeof PALETTE)[number], string>> = { blue: '#3794ff', orange: '#d18616', green: '#89d185', purple: '#b180d7', red: '#f14c4c', yellow: '#cca700' };

function themeVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

const chartColour = (i: number): string => {
  const name = PALETTE[i % PALETTE.length]!;
  return themeVar(`--vscode-charts-${name}`, FALLBACK[name]);
};

interface SeriesSpec {
  readonly label: string;
  readonly dash?: boolean;
}

function axes(xLabel: string, yLabel: string): uPlot.Axis[] {
  const stroke = themeVar('--vscode-foreground', '#888');
  const grid = { stroke: themeVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.3)'), width: 1 };
  const font = `11px ${themeVar('--vscode-font-family', 'sans-serif')}`;
  return [
    { label: xLabel, stroke, grid, ticks: grid, font, labelFont: font },
    { label: yLabel, stroke, grid, ticks: grid, font, labelFont: font, size: 50 },
  ];
}

function build(container: HTMLElement, x: string, y: string, series: readonly SeriesSpec[], data: uPlot.AlignedData, yRange?: [number, number]): uPlot {
  container.replaceChildren();
  const opts: uPlot.Options = {
    width: Math.max(280, container.clientWidth),
    height: 220,
    scales: { x: { time: false }, ...(yRange && { y: { range: yRange } }) },
    axes: axes(x, y),
    cursor: { drag: { x: true, y: false } },
    series: [
      { label: x },
      ...series.map((s, i): uPlot.Series => ({ label: s.label, stroke: chartColour(i), width: 2, spanGaps: true, points: { show: false }, ...(s.dash && { dash: [6, 4] }) })),
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
  return [epochs.map((e) => e.epoch), epochs.map((e) => e.valAccuracy), epochs.map((e) => e.trainAccuracy), ...layers.map((l) => epochs.map((e) => e.attCos[l] ?? null))];
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
    this.loss = build(this.boxes.loss, 'step', 'loss', [{ label: 'total' }, { label: 'CE' }, { label: 'alignment', dash: true }], stepData(steps));
    this.val = build(this.boxes.val, 'epoch', 'score', [{ label: 'val. accuracy' }, { label: 'train accuracy', dash: true }, ...this.layers.map((l) => ({ label: `ATT-COS ${l}` }))],
      epochData(epochs, this.layers), [0, 1]);
    this.speed = build(this.boxes.speed, 'step', 'img/s', [{ label: 'img/s' }], [steps.map((s) => s.step), steps.map((s) => s.imagesPerSecond)]);
  }

  /** New data for the same series. */
  update(steps: readonly StepPoint[], epochs: readonly EpochPoint[]): void {
    if (layersOf(epochs).join() !== this.layers.join()) return this.render(steps, epochs);
    this.loss?.setData(stepData(steps));
    this.val?.setData(epochData(epochs, this.layers));
    this.speed?.setData([steps.map((s) => s.step), steps.map((s) => s.imagesPerSecond)]);
  }

  private resize(): void {
    for (const [chart, box] of [[this.loss, this.boxes.loss], [this.val, this.boxes.val], [this.speed, this.boxes.speed]] as const) {
      chart?.setSize({ width: Math.max(280, box.clientWidth), height: 220 });
    }
  }
}
