/**
 * An evaluation's faithfulness as text (`au-lens eval --faithfulness`): AU occlusion per class, then one class ×
 * map table per metric with the "Average" row over the six expressions (as ATT-COS) and its 95 % bootstrap
 * interval, then the sanity check per map.
 */
import type { Expression } from '../science/labels';
import type { Estimate } from '../science/metrics/bootstrap';
import type { ClassSummary } from '../science/metrics/faithfulness/summary';
import type { EvalFaithfulness, MapSummary } from '../science/report';
import { table } from './textTable';

const fixed = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : v.toFixed(3));

/** "0.412 [0.35, 0.47]", or "—". */
export function withInterval(e: Estimate | null | undefined): string {
  if (!e) return '—';
  if (e.low === null || e.high === null) return fixed(e.value);
  return `${fixed(e.value)} [${e.low.toFixed(2)}, ${e.high.toFixed(2)}]`;
}

const classMean = (s: ClassSummary | undefined, c: Expression): string => fixed(s?.perClass[c]?.estimate?.value);

const METRIC_TITLES = {
  deletion: 'Deletion AUC (lower is better)',
  insertion: 'Insertion AUC (higher is better)',
  road: 'ROAD combined, (LeRF − MoRF)/2 (higher is better)',
} as const;

function skippedText(s: ClassSummary | undefined): string {
  const counts = new Map<string, number>();
  for (const cell of Object.values(s?.perClass ?? {})) {
    for (const [reason, n] of Object.entries(cell?.skipped ?? {})) counts.set(reason, (counts.get(reason) ?? 0) + n);
  }
  return [...counts].map(([reason, n]) => `${n} ${reason}`).join(', ');
}

export function formatEvalFaithfulness(f: EvalFaithfulness, labels: readonly Expression[]): string[] {
  const lines: string[] = [];
  const { settings } = f;
  lines.push('', `Faithfulness (docs/faithfulness.md; blur σ ${settings.blurSigma.toFixed(1)} px, seed ` +
    `${settings.seed}; Average = mean over the six expressions [95 % bootstrap interval]):`);
  if (f.auOcclusion) {
    const { auSelectivity, controlDrop, auReliance } = f.auOcclusion;
    const drops = (c: Expression): string => Object.entries(auReliance[c] ?? {})
      .sort((a, b) => b[1].value - a[1].value).map(([au, e]) => `${au} ${e.value.toFixed(2)}`).join('  ');
    lines.push('', `AU occlusion (${settings.controlDraws} control regions of facial skin per face):`);
    lines.push(table(['class', 'AU selectivity', 'control drop', 'drop per AU'], [
      ...labels.map((c) => [c, classMean(auSelectivity, c), classMean(controlDrop, c), drops(c)]),
      ['Average', withInterval(auSelectivity.average), withInterval(controlDrop.average), ''],
    ]));
    const noControl = f.auOcclusion.noControl ? [`${f.auOcclusion.noControl} without a control region`] : [];
    const skipped = [skippedText(auSelectivity), ...noControl].filter((t) => t !== '').join(', ');
    if (skipped) lines.push(`(not scored: ${skipped})`);
  }
  const maps = Object.entries(f.maps);
  for (const metric of ['deletion', 'insertion', 'road'] as const) {
    if (!maps.some(([, m]) => m[metric])) continue;
    const summary = (m: MapSummary): ClassSummary | undefined => m[metric];
    lines.push('', `${METRIC_TITLES[metric]}:`);
    lines.push(table(['class', ...maps.map(([, m]) => m.title)], [
      ...labels.map((c) => [c, ...maps.map(([, m]) => classMean(summary(m), c))]),
      ['Average', ...maps.map(([, m]) => withInterval(summary(m)?.average))],
    ]));
  }
  if (f.sanity && 'unavailable' in f.sanity) lines.push('', `Sanity check: ${f.sanity.unavailable}`);
  else if (f.sanity) {
    lines.push('', `Sanity check (Spearman ρ of each map with the map after re-drawing ${f.sanity.fromLayer} to the ` +
      `head; flagged at mean ρ ≥ ${f.sanity.threshold}):`);
    lines.push(table(['map', 'ρ', 'verdict'], maps.flatMap(([, m]) => (m.sanity
      ? [[m.title, withInterval(m.sanity.rho), m.sanity.flagged ? 'FLAGGED: barely changes' : 'changes']] : []))));
  }
  return lines;
}
