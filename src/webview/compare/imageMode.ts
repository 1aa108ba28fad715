/** Image mode: the same photo under A's and B's map, their difference, and both models' numbers. */
import type { ImageCompareView, MapPair } from '../protocol/compare';
import type { ViewMap } from '../protocol/explain';
import { FaceOverlay } from '../explain/overlay';
import { fixed, h } from '../shared/dom';
import { differenceCanvas, meanDifference } from './difference';

export interface ImageModeState {
  readonly map: string;
  readonly opacity: number;
  readonly photo: HTMLImageElement | null;
}

const overlays = {
  a: new FaceOverlay(document.getElementById('canvas-a') as HTMLCanvasElement),
  b: new FaceOverlay(document.getElementById('canvas-b') as HTMLCanvasElement),
  diff: new FaceOverlay(document.getElementById('canvas-diff') as HTMLCanvasElement),
};

const mapById = (maps: readonly ViewMap[], id: string): ViewMap | undefined => maps.find((m) => m.id === id);

/** The pair shown by default: the deepest attention both models have (the layer the paper guides), else the first. */
export function defaultPair(view: ImageCompareView): MapPair | undefined {
  return view.pairs.filter((p) => p.kind === 'attention').pop() ?? view.pairs[0];
}

export function drawMaps(view: ImageCompareView, state: ImageModeState): void {
  const pair = view.pairs.find((p) => p.id === state.map) ?? defaultPair(view);
  const a = pair && mapById(view.a.maps, pair.a);
  const b = pair && mapById(view.b.maps, pair.b);
  const face = { photo: state.photo, frame: view.frame, scale: view.photoScale, face: view.face };
  for (const o of Object.values(overlays)) o.setFace(face);
  overlays.a.draw({ a, b: undefined, opacity: state.opacity, split: 1, landmarks: false });
  overlays.b.draw({ a: b, b: undefined, opacity: state.opacity, split: 1, landmarks: false });
  overlays.diff.draw({ a: undefined, b: undefined, opacity: 0, split: 1, landmarks: false });
  const score = (side: 'a' | 'b', map: ViewMap | undefined): string => {
    if (!map) return '';
    const report = view[side].report;
    const v = map.kind === 'attention' ? report.attCos[map.key] : map.kind === 'cam'
      ? report.camCos[map.key] : undefined;
    return v === undefined || v === null ? '' : ` · ${map.kind === 'attention' ? 'ATT' : 'CAM'}-COS ${fixed(v)}`;
  };
  caption('a', a ? `A: ${a.title}${score('a', a)}` : 'A has no such map');
  caption('b', b ? `B: ${b.title}${score('b', b)}` : 'B has no such map');
  const canvas = overlays.diff.canvas;
  if (a && b && a.side === b.side) {
    const ctx = canvas.getContext('2d')!;
    ctx.save();
    ctx.globalAlpha = Math.max(0.35, state.opacity);
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(differenceCanvas(a.data, b.data, a.side), 0, 0, canvas.width, canvas.height);
    ctx.restore();
    caption('diff', `B − A · mean ${signed(meanDifference(a.data, b.data))}`);
  } else caption('diff', 'No difference: the maps are missing or of different sizes');
  canvas.setAttribute('aria-label',
    `Difference B minus A of ${pair?.title ?? 'no map'}: red where B is higher, blue where A is higher`);
  overlays.a.canvas.setAttribute('aria-label', `Model A: ${a?.title ?? 'no map'} over the face`);
  overlays.b.canvas.setAttribute('aria-label', `Model B: ${b?.title ?? 'no map'} over the face`);
}

function caption(which: 'a' | 'b' | 'diff', text: string): void {
  document.getElementById(`caption-${which}`)!.textContent = text;
}

const signed = (v: number): string => `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v).toFixed(3)}`;

/** Class probabilities of both models; each model's prediction in bold. */
export function scoresTable(view: ImageCompareView): HTMLElement {
  const labels = [...new Set([...view.a.report.model.labels, ...view.b.report.model.labels])];
  const cell = (side: 'a' | 'b', label: string): HTMLElement => {
    const r = view[side].report;
    const predicted = r.predicted.class === label;
    return h('td', { class: predicted ? 'predicted' : null,
      ...(predicted && { title: `${side.toUpperCase()} predicts ${label}` }) },
      `${fixed(r.scores[label])}${predicted ? ' ◆' : ''}`);
  };
  return h('table', { class: 'metrics',
    'aria-label': 'Class probabilities of A and B; ◆ marks each model’s prediction' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Class'), h('th', { scope: 'col' }, 'A'),
      h('th', { scope: 'col' }, 'B'))),
    h('tbody', {}, ...labels.map((l) => h('tr', {}, h('th', { scope: 'row' }, l), cell('a', l), cell('b', l)))));
}

/** ATT-COS per paired layer and CAM-COS per shared method, for A and B and B − A. */
export function cosineTable(view: ImageCompareView): HTMLElement {
  const rows: [string, number | null | undefined, number | null | undefined][] = [
    ...view.layers.pairs.map((p): [string, number | null | undefined, number | null | undefined] =>
      [`ATT-COS · ${p.label}`, view.a.report.attCos[p.a], view.b.report.attCos[p.b]]),
    ...Object.keys(view.a.report.camCos).filter((m) => m in view.b.report.camCos)
      .map((m): [string, number | null | undefined, number | null | undefined] =>
        [`CAM-COS · ${m}`, view.a.report.camCos[m], view.b.report.camCos[m]]),
  ];
  const delta = (a: number | null | undefined, b: number | null | undefined): string =>
    a === null || a === undefined || b === null || b === undefined ? '–' : signed(b - a).replace(/(\d\.\d\d)\d$/, '$1');
  return h('div', {},
    h('table', { class: 'metrics', 'aria-label': 'Cosine with the AU map for A and B' },
      h('thead', {}, h('tr', {}, ...['Map', 'A', 'B', 'B − A'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...rows.map(([name, a, b]) =>
        h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, fixed(a)), h('td', {}, fixed(b)),
          h('td', {}, delta(a, b)))))),
    view.a.report.cosineNote ? h('p', { class: 'note' }, `A: ${view.a.report.cosineNote}`) : null,
    view.b.report.cosineNote ? h('p', { class: 'note' }, `B: ${view.b.report.cosineNote}`) : null);
}
