/**
 * The results page's faithfulness section (docs/faithfulness.md): does the decision depend on the AUs? AU
 * selectivity and the control drop per class, then one map × class table per metric, and the sanity check's verdict
 * per map. "Average" is the mean over the six expressions, as ATT-COS, with its 95 % bootstrap interval.
 */
import type { Expression } from '../../trainer/science/labels';
import type { Estimate } from '../../trainer/science/metrics/bootstrap';
import type { ClassSummary } from '../../trainer/science/metrics/faithfulness/summary';
import type { EvalFaithfulness, MapSummary } from '../../trainer/science/report';
import { fixed, h } from '../shared/dom';

const METRICS = [
  ['deletion', 'Deletion AUC', 'lower is better: the probability falls fast when the map\'s first pixels go'],
  ['insertion', 'Insertion AUC', 'higher is better: the probability comes back fast as they return'],
  ['road', 'ROAD', '(LeRF − MoRF) / 2 with noisy linear imputation; higher is better'],
] as const;

/** "0.41 [0.35, 0.47]": the value and its interval when there is one (two images or more). */
function withInterval(e: Estimate | null | undefined): string {
  if (!e || e.low === null || e.high === null) return fixed(e?.value);
  return `${fixed(e.value)} [${fixed(e.low)}, ${fixed(e.high)}]`;
}

/** Drops per AU of one class, largest first: "AU12 0.61 · AU6 0.20". */
function auDrops(f: EvalFaithfulness, cls: Expression): string {
  const drops = Object.entries(f.auOcclusion?.auReliance[cls] ?? {}).sort((a, b) => b[1].value - a[1].value);
  return drops.map(([au, e]) => `${au} ${fixed(e.value)}`).join(' · ');
}

const classCell = (s: ClassSummary | undefined, cls: Expression): HTMLTableCellElement => {
  const cell = s?.perClass[cls];
  const skipped = Object.entries(cell?.skipped ?? {}).map(([reason, n]) => `${n} ${reason}`).join(', ');
  const title = `${cell?.estimate?.n ?? 0} images${skipped ? `; not scored: ${skipped}` : ''}`;
  return h('td', { class: 'num', title }, fixed(cell?.estimate?.value));
};

/** `textColumns`: how many columns at the end hold text, not numbers (left-aligned headers). */
function table(caption: string, columns: readonly string[], rows: readonly HTMLTableRowElement[],
  textColumns = 0): HTMLTableElement {
  const numeric = (i: number): boolean => i > 0 && i < columns.length - textColumns;
  const head = h('tr', {}, ...columns.map((c, i) => h('th', { scope: 'col', class: numeric(i) ? 'num' : null }, c)));
  return h('table', { class: 'matrix' }, h('caption', { class: 'sr-only' }, caption), h('thead', {}, head),
    h('tbody', {}, ...rows));
}

function occlusion(f: EvalFaithfulness, labels: readonly Expression[]): HTMLElement[] {
  const o = f.auOcclusion;
  if (!o) return [];
  const rows = labels.map((cls) => h('tr', {}, h('th', { scope: 'row' }, cls), classCell(o.auSelectivity, cls),
    classCell(o.controlDrop, cls), h('td', {}, auDrops(f, cls))));
  const average = h('tr', { class: 'average' }, h('th', { scope: 'row' }, 'Average'),
    h('td', { class: 'num' }, withInterval(o.auSelectivity.average)),
    h('td', { class: 'num' }, withInterval(o.controlDrop.average)), h('td', {}));
  return [
    h('h3', {}, 'AU occlusion'),
    h('p', { class: 'muted' }, `Drop of the true class's probability when its AUs are hidden under a blur ` +
      `(σ ${f.settings.blurSigma.toFixed(1)} px); AU selectivity is the mean AU drop minus the drop for ` +
      `${f.settings.controlDraws} equal-area regions of facial skin outside every AU (higher: the decision depends ` +
      `on the AUs).${o.noControl > 0 ? ` ${o.noControl} faces had no room for a control region.` : ''}`),
    table('AU occlusion per class', ['class', 'AU selectivity', 'control drop', 'drop per AU'],
      [...rows, average], 1),
  ];
}

function metricTable(f: EvalFaithfulness, labels: readonly Expression[],
  [metric, title, hint]: (typeof METRICS)[number]): HTMLElement[] {
  const maps = Object.values(f.maps).filter((m) => m[metric]);
  if (maps.length === 0) return [];
  const summary = (m: MapSummary): ClassSummary | undefined => m[metric];
  const rows = maps.map((m) => h('tr', {}, h('th', { scope: 'row' }, m.title),
    h('td', { class: 'num' }, withInterval(summary(m)?.average)), ...labels.map((c) => classCell(summary(m), c))));
  return [h('h3', {}, title), h('p', { class: 'muted' }, hint),
    table(`${title} per map and class`, ['map', 'Average', ...labels], rows)];
}

function sanity(f: EvalFaithfulness): HTMLElement[] {
  if (f.sanity === null) return [];
  if ('unavailable' in f.sanity) return [h('h3', {}, 'Sanity check'), h('p', { class: 'muted' }, f.sanity.unavailable)];
  const checked = Object.values(f.maps).filter((m) => m.sanity);
  const rows = checked.map((m) => h('tr', { class: m.sanity!.flagged ? 'flagged' : null },
    h('th', { scope: 'row' }, m.title), h('td', { class: 'num' }, withInterval(m.sanity!.rho)),
    h('td', {}, m.sanity!.flagged ? '⚠ barely changes' : 'changes')));
  return [
    h('h3', {}, 'Sanity check'),
    h('p', { class: 'muted' }, `Spearman ρ of each map with the same map after re-drawing ${f.sanity.fromLayer} ` +
      `and the head; a map with mean ρ ≥ ${f.sanity.threshold} barely depends on what the model learned.`),
    table('Sanity check per map', ['map', 'ρ', 'verdict'], rows, 1),
  ];
}

/** The section's content; empty when the evaluation has no faithfulness. */
export function faithfulnessSection(f: EvalFaithfulness | undefined, labels: readonly Expression[]): HTMLElement[] {
  if (!f) return [];
  return [...occlusion(f, labels), ...METRICS.flatMap((m) => metricTable(f, labels, m)), ...sanity(f)];
}
