/** Dataset mode: the accuracy test, the Δ ATT-COS and Δ faithfulness tables and the flipped images. */
import type { DatasetCompareView, FlipView } from '../protocol/compare';
import type { Estimate } from '../../trainer/science/metrics/bootstrap';
import { fixed, h, percent } from '../shared/dom';

/** Δ ATT-COS at which a cell's colour is full; smaller differences are paler. */
const FULL_COLOUR_AT = 0.2;
/** Rows listed at most; the rest are counted. */
export const MAX_FLIPS = 200;

/** Percentage points; `sign` adds "+" to a positive difference (interval bounds go without, as in the reading). */
const pts = (fraction: number, sign = true): string =>
  `${fraction < 0 ? '−' : fraction > 0 && sign ? '+' : ''}${Math.abs(100 * fraction).toFixed(1)}`;
const num = (v: number): string => `${v < 0 ? '−' : v > 0 ? '+' : ''}${Math.abs(v).toFixed(3)}`;

export function accuracyTable(view: DatasetCompareView): HTMLElement {
  const c = view.comparison;
  const d = c.deltaAccuracy;
  const m = c.mcnemar;
  const rows: [string, string][] = [
    ['Images compared', `${c.n}${view.unpaired ? ` (${view.unpaired} seen by one model only, left out)` : ''}`],
    ['Accuracy A', percent(c.accuracyA)],
    ['Accuracy B', percent(c.accuracyB)],
    ['Δ accuracy (B − A)', `${pts(d.value)} points` +
      (d.low === null || d.high === null ? '' : `, 95 % interval [${pts(d.low, false)}, ${pts(d.high, false)}]`)],
    ['A right, B wrong (b)', String(m.b)],
    ['A wrong, B right (c)', String(m.c)],
    [`McNemar (${m.method === 'exact-binomial' ? 'exact binomial' : 'χ² with continuity correction'})`,
      `statistic ${fixed(m.statistic, 3)}, p ${m.p < 0.001 ? '< 0.001' : `= ${m.p.toPrecision(2)}`}`],
  ];
  return h('div', {},
    h('table', { class: 'metrics', 'aria-label': 'Accuracy of A and B on the same images' },
      h('tbody', {}, ...rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v))))),
    h('p', { class: 'note' }, `Interval: paired bootstrap over images, ${c.resamples} resamples, seed ${c.seed}. ` +
      `Evaluations: ${[view.files.a, view.files.b].map((f) => f ?? 'not saved (built-in model)').join('; ')}.`));
}

/** Green where B is better: a positive Δ, or a negative one where `better` is 'lower' (deletion AUC). */
function deltaCell(e: Estimate | null | undefined, better: 'higher' | 'lower' = 'higher'): HTMLElement {
  if (!e) return h('td', { class: 'zero', title: 'no image scored by both models' }, '–');
  const clear = e.low !== null && e.high !== null && (e.low > 0 || e.high < 0);
  const interval = e.low === null ? null : `[${num(e.low)}, ${num(e.high!)}]`;
  const gain = better === 'higher' ? e.value : -e.value;
  const cell = h('td', {
    class: `${gain > 0 ? 'pos' : gain < 0 ? 'neg' : 'zero'}${clear ? ' strong' : ''}`,
    title: `${num(e.value)} over ${e.n} images${interval ? `, 95 % interval ${interval}` : ''}` +
      (clear ? ': the interval excludes 0' : ''),
  }, num(e.value), interval && h('span', { class: 'interval' }, interval));
  cell.style.setProperty('--size', String(Math.min(1, Math.abs(e.value) / FULL_COLOUR_AT)));
  return cell;
}

/** Rows: layer pairs; columns: every image, then each class. Returns the table and its number of cells. */
export function attCosTable(view: DatasetCompareView): { readonly table: HTMLElement; readonly cells: number } {
  const classes = view.comparison.classes;
  const rows = view.comparison.attCos;
  if (rows.length === 0) return { table: h('p', { class: 'note' }, 'No layer to compare.'), cells: 0 };
  const table = h('table', { class: 'metrics',
    'aria-label': 'Change in ATT-COS from A to B per layer and class; green: B aligns better, red: A aligns better' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Layer'), h('th', { scope: 'col' }, 'All images'),
      ...classes.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, ...rows.map((r) =>
      h('tr', {}, h('th', { scope: 'row' }, r.layer.label), deltaCell(r.all),
        ...classes.map((c) => deltaCell(r.perClass[c]))))));
  return { table, cells: rows.length * (classes.length + 1) };
}

/** Rows: AU selectivity, then each map's deletion AUC; columns as the ATT-COS table. Null without faithfulness. */
export function faithfulnessTable(view: DatasetCompareView): HTMLElement | null {
  const rows = view.faithfulness;
  if (!rows) return null;
  const classes = view.comparison.classes;
  return h('table', { class: 'metrics', 'aria-label': 'Change in AU selectivity and deletion AUC from A to B per ' +
    'class; green: B depends more on the AUs or its map names what the decision uses better' },
  h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Metric'), h('th', { scope: 'col' }, 'All images'),
    ...classes.map((c) => h('th', { scope: 'col' }, c)))),
  h('tbody', {}, ...rows.map((r) =>
    h('tr', {}, h('th', { scope: 'row', title: r.better === 'lower' ? 'lower is better' : 'higher is better' },
      r.title), deltaCell(r.all, r.better), ...classes.map((c) => deltaCell(r.perClass[c], r.better))))));
}

const KIND_TEXT: Readonly<Record<FlipView['kind'], string>> = {
  'right-to-wrong': 'right → wrong',
  'wrong-to-right': 'wrong → right',
  'changed': 'wrong, changed',
};

export function flipList(flips: readonly FlipView[], onExplain: (path: string, side: 'a' | 'b') => void): HTMLElement {
  if (flips.length === 0) return h('p', { class: 'note' }, 'No prediction changed between A and B.');
  const shown = flips.slice(0, MAX_FLIPS);
  return h('div', {},
    h('ul', { class: 'flips', 'aria-label': 'Images whose prediction changed' },
      ...shown.map((f) => h('li', { class: 'flip' },
      h('img', { src: f.thumbUri, alt: '', loading: 'lazy' }),
      h('span', { class: 'what' }, h('strong', {}, f.name), h('span', { class: `tag ${f.kind}` }, KIND_TEXT[f.kind]),
        h('br'),
        h('span', { class: 'muted' }, `true ${f.label} · A: ${f.predictedA} · B: ${f.predictedB}`)),
      h('span', { class: 'buttons' },
        explainButton(`Explain ${f.name} with model A`, 'Explain with A', () => onExplain(f.path, 'a'), true),
        explainButton(`Explain ${f.name} with model B`, 'Explain with B', () => onExplain(f.path, 'b'), false))))),
    flips.length > MAX_FLIPS ? h('p', { class: 'note' }, `${flips.length - MAX_FLIPS} more not listed.`) : null);
}

function explainButton(label: string, text: string, onclick: () => void, secondary: boolean): HTMLElement {
  const button = h('vscode-button', { 'aria-label': label, secondary }, text);
  button.addEventListener('click', onclick);
  return button;
}
