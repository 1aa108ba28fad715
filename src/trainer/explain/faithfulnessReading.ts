/**
 * One face's faithfulness in words, for report.json, the terminal and the explanation panel: "the 'happy' score
 * falls 0.61 when AU12 (lip corner puller) is hidden, 0.04 for a control region of skin the same size", then the
 * deletion and insertion AUCs of one map beside the random map's. Every skipped metric says why, never NaN.
 */
import type { AuOcclusionResult } from '../science/metrics/faithfulness/auOcclusion';
import type { DeletionInsertionResult } from '../science/metrics/faithfulness/deletion';
import type { AuReliance } from '../science/faithfulnessReport';

/** A drop that shows as 0.00 is no change: "falls 0.00" or "rises 0.00" would claim a direction the text cannot
 * show. */
const shown = (drop: number): number => (Math.abs(drop) < 0.005 ? 0 : drop);

const change = (drop: number): string => {
  const d = shown(drop);
  if (d === 0) return 'does not change';
  return d > 0 ? `falls ${d.toFixed(2)}` : `rises ${(-d).toFixed(2)}`;
};

/** The occlusion sentence. */
export function occlusionReading(
  className: string,
  occlusion: AuOcclusionResult | null,
  aus: readonly AuReliance[],
): string | null {
  if (occlusion === null) return null;
  if (occlusion.status === 'skipped') return `no AU occlusion for '${className}': ${occlusion.detail}`;
  const top = aus.find((a) => a.drop !== null);
  if (!top) return null;
  const name = top.name ? ` (${top.name.toLowerCase()})` : '';
  const head = `the '${className}' score ${change(top.drop!)} when ${top.au}${name} is hidden`;
  if (occlusion.control === null) return `${head}; ${occlusion.note ?? 'no control region fits on the skin'}`;
  const control = shown(occlusion.control.drop);
  const controlText = control >= 0 ? `, ${control.toFixed(2)}` : ` and ${change(control)}`;
  return `${head}${controlText} for a control region of skin the same size`;
}

/** The deletion sentence of one map, beside the random map's AUC when there is one. */
export function deletionReading(
  title: string,
  result: DeletionInsertionResult | undefined,
  random: DeletionInsertionResult | undefined,
): string | null {
  if (!result) return null;
  if (result.status === 'skipped') return `no deletion curve for ${title}: ${result.detail}`;
  const floor = random?.status === 'ok' ? ` (random map ${random.deletion.auc.toFixed(2)})` : '';
  return `removing pixels in the order of ${title} gives a deletion AUC of ${result.deletion.auc.toFixed(2)}` +
    `${floor} and an insertion AUC of ${result.insertion.auc.toFixed(2)}`;
}

/** Both sentences, capitalised and joined. */
export function faithfulnessReading(parts: readonly (string | null)[]): string {
  const text = parts.filter((p): p is string => p !== null).map((p) => `${p[0]!.toUpperCase()}${p.slice(1)}.`);
  return text.length > 0 ? text.join(' ') : 'No faithfulness metric was computed.';
}
