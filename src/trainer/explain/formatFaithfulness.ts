/** One face's faithfulness as lines for a terminal (`au-lens explain`). */
import { table } from '../eval/textTable';
import type { FaithfulnessReport } from '../science/faithfulnessReport';

const fixed = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : v.toFixed(3));
const indent = (text: string): string[] => text.split('\n').map((l) => `    ${l}`);

export function formatFaithfulness(f: FaithfulnessReport): string[] {
  const lines = [`  ${f.reading}`];
  if (f.auOcclusion?.status === 'ok') {
    const control = f.auOcclusion.control;
    lines.push(`  AU occlusion (${f.class}, blur σ ${f.settings.blurSigma.toFixed(1)} px):`);
    lines.push(...indent(table(['AU', 'FACS name', 'drop', 'attention share'], [
      ...f.aus.map((a) => [a.au, a.name, fixed(a.drop), fixed(a.share)]),
      ['control', 'facial skin, same area', fixed(control?.drop ?? null), ''],
      ['selectivity', '', fixed(f.auOcclusion.auSelectivity), ''],
    ])));
  }
  const rho = f.sanity && 'rho' in f.sanity ? f.sanity.rho : undefined;
  const rows = Object.entries(f.maps).map(([key, m]) => {
    const d = m.deletion?.status === 'ok' ? m.deletion : undefined;
    const r = m.road?.status === 'ok' ? m.road : undefined;
    const skippedWhy = m.deletion?.status === 'skipped' ? m.deletion.reason : m.road?.status === 'skipped'
      ? m.road.reason : '';
    return [
      m.title, fixed(d?.deletion.auc), fixed(d?.insertion.auc), fixed(r?.morf.mean), fixed(r?.lerf.mean),
      fixed(r?.combined), rho && key in rho ? fixed(rho[key]) : '', skippedWhy,
    ];
  });
  if (rows.length > 0) {
    lines.push('  Maps (deletion: lower is better; insertion and ROAD combined: higher is better):');
    lines.push(...indent(table(
      ['map', 'deletion', 'insertion', 'ROAD MoRF', 'ROAD LeRF', 'ROAD', 'sanity ρ', ''], rows)));
  }
  if (f.sanity && 'unavailable' in f.sanity) lines.push(`  sanity check: ${f.sanity.unavailable}`);
  else if (f.sanity) {
    lines.push(`  sanity check: ρ between maps of the trained model and with ${f.sanity.fromLayer} to the head ` +
      `re-drawn (≥ ${f.sanity.threshold} flags a map that barely changes)`);
  }
  return lines;
}
