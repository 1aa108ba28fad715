/**
 * How the sweep page words its numbers: metric keys as column labels ("test.attCos.stage3" → "test ATT-COS
 * stage3"), shares as percentages and cosines with three decimals, spreads as "mean ± sd", setting values as the
 * sweep file gives them.
 */
import type { Spread, SweepSettingValue } from '../../trainer/science/metrics/sweepStats';

const WORDS: Readonly<Record<string, string>> = {
  accuracy: 'accuracy', balancedAccuracy: 'bal. accuracy', attCos: 'ATT-COS', camCos: 'CAM-COS',
  faithfulness: '', auSelectivity: 'AU selectivity', controlDrop: 'control drop',
};

/** "val.accuracy" → "val accuracy"; "test.faithfulness.gradcam.auSelectivity" → "test gradcam AU selectivity". */
export function metricLabel(key: string): string {
  return key.split('.').map((part) => WORDS[part] ?? part).filter((w) => w !== '').join(' ');
}

/** Accuracies are shares of images: shown as percentages. */
export const isShare = (key: string): boolean => /(^|\.)(accuracy|balancedAccuracy)$/.test(key);

export function formatValue(key: string, v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return isShare(key) ? `${(100 * v).toFixed(1)} %` : v.toFixed(3);
}

/** "81.2 ± 3.1 %", "0.512 ± 0.021", or the mean alone for one run. */
export function formatSpread(key: string, s: Spread | undefined): string {
  if (!s) return '–';
  if (s.sd === null) return formatValue(key, s.mean);
  return isShare(key) ? `${(100 * s.mean).toFixed(1)} ± ${(100 * s.sd).toFixed(1)} %`
    : `${s.mean.toFixed(3)} ± ${s.sd.toFixed(3)}`;
}

export const settingText = (v: SweepSettingValue | undefined): string =>
  (v === undefined ? '–' : Array.isArray(v) ? v.join('+') : String(v));
