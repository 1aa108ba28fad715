/**
 * Quality gates (`auLens.qualityGates.*`) checked against an evaluation: each failing value becomes one failure
 * that names the class, the layer or method, the value, the threshold and the setting, and points at the value in
 * the eval file (a key path), so the Problems view can jump to it. Pure: no vscode, no file system.
 */
import type { EvalRunResult } from '../../trainer/eval/evalFile';
import type { ScoreSummary } from '../../trainer/science/metrics/aggregate';

/** A threshold for every key (layer or method), or one per key; null or absent: no gate. */
export type KeyedThreshold = number | Readonly<Record<string, number>>;

export interface QualityGates {
  readonly minAccuracy?: number | null;
  readonly minClassAccuracy?: number | null;
  readonly minAttCos?: KeyedThreshold | null;
  readonly minCamCos?: KeyedThreshold | null;
  /** Checked only on evaluations with faithfulness (AU occlusion). */
  readonly minAuSelectivity?: number | null;
}

export type GateSetting = keyof QualityGates;

export interface GateFailure {
  readonly setting: `auLens.qualityGates.${GateSetting}`;
  /** Where the failing value sits in the eval file, as object keys from its root. */
  readonly path: readonly string[];
  readonly value: number;
  readonly threshold: number;
  /** The class whose value fails; absent for the overall accuracy. */
  readonly className?: string;
  readonly message: string;
}

const f2 = (v: number): string => v.toFixed(2);

function thresholdFor(gate: KeyedThreshold | null | undefined, key: string): number | undefined {
  if (gate === null || gate === undefined) return undefined;
  if (typeof gate === 'number') return gate;
  const v = gate[key] ?? gate['*'];
  return typeof v === 'number' ? v : undefined;
}

/** Per class and key of a cosine summary (the classes the paper averages over: no neutral). */
function cosineFailures(summary: ScoreSummary, gate: KeyedThreshold | null | undefined, what: 'attCos' | 'camCos',
  setting: 'minAttCos' | 'minCamCos', title: (key: string) => string): GateFailure[] {
  const failures: GateFailure[] = [];
  for (const key of summary.keys) {
    const threshold = thresholdFor(gate, key);
    if (threshold === undefined) continue;
    for (const cls of summary.averagedClasses) {
      const mean = summary.byKey[key]?.perClass[cls]?.mean;
      if (typeof mean !== 'number' || mean >= threshold) continue;
      failures.push({
        setting: `auLens.qualityGates.${setting}`, path: ['report', what, 'byKey', key, 'perClass', cls, 'mean'],
        value: mean, threshold, className: cls,
        message: `${cls}: ${title(key)} ${f2(mean)} < ${f2(threshold)} (auLens.qualityGates.${setting})`,
      });
    }
  }
  return failures;
}

/** Per averaged class of the AU occlusion summary: the mean AU selectivity. */
function selectivityFailures(result: EvalRunResult, threshold: number | null | undefined): GateFailure[] {
  const summary = result.report.faithfulness?.auOcclusion?.auSelectivity;
  if (typeof threshold !== 'number' || !summary) return [];
  return summary.averagedOver.flatMap((cls) => {
    const value = summary.perClass[cls]?.estimate?.value;
    if (typeof value !== 'number' || value >= threshold) return [];
    return [{
      setting: 'auLens.qualityGates.minAuSelectivity' as const, value, threshold, className: cls,
      path: ['report', 'faithfulness', 'auOcclusion', 'auSelectivity', 'perClass', cls, 'estimate', 'value'],
      message: `${cls}: AU selectivity ${f2(value)} < ${f2(threshold)} (auLens.qualityGates.minAuSelectivity)`,
    }];
  });
}

/** Every gate the evaluation fails, in file order: accuracy, per-class accuracy, ATT-COS, CAM-COS, AU selectivity. */
export function checkGates(result: EvalRunResult, gates: QualityGates): GateFailure[] {
  const { report } = result;
  const failures: GateFailure[] = [];
  const minAccuracy = gates.minAccuracy;
  if (typeof minAccuracy === 'number' && report.accuracy !== null && report.accuracy < minAccuracy) {
    failures.push({
      setting: 'auLens.qualityGates.minAccuracy', path: ['report', 'accuracy'], value: report.accuracy,
      threshold: minAccuracy,
      message: `accuracy ${f2(report.accuracy)} < ${f2(minAccuracy)} (auLens.qualityGates.minAccuracy)`,
    });
  }
  const minClass = gates.minClassAccuracy;
  if (typeof minClass === 'number') {
    for (const cls of report.labels) {
      const v = report.perClassAccuracy[cls];
      if (typeof v !== 'number' || v >= minClass) continue;
      failures.push({
        setting: 'auLens.qualityGates.minClassAccuracy', path: ['report', 'perClassAccuracy', cls], value: v,
        threshold: minClass, className: cls,
        message: `${cls}: accuracy ${f2(v)} < ${f2(minClass)} (auLens.qualityGates.minClassAccuracy)`,
      });
    }
  }
  failures.push(...cosineFailures(report.attCos, gates.minAttCos, 'attCos',
    'minAttCos', (layer) => `${layer} ATT-COS`));
  failures.push(...cosineFailures(report.camCos, gates.minCamCos, 'camCos',
    'minCamCos', (method) => `${method} CAM-COS`));
  failures.push(...selectivityFailures(result, gates.minAuSelectivity));
  return failures;
}

/** The images of a failing class, worst first: misclassified ones, then by ATT-COS at the CAM layer, lowest first. */
export function failingImages(result: EvalRunResult, className: string): EvalRunResult['images'] {
  const layer = result.report.camLayer;
  return worstImages(result.images.filter((r) => r.label === className), layer);
}

/** Misclassified first, then by ATT-COS at `layer`, lowest first; images without a score last within each group. */
export function worstImages(images: EvalRunResult['images'], layer: string): EvalRunResult['images'] {
  const score = (r: EvalRunResult['images'][number]): number => r.attCos[layer] ?? Number.POSITIVE_INFINITY;
  return [...images].sort((a, b) => {
    const wrong = Number(b.prediction !== b.label) - Number(a.prediction !== a.label);
    return wrong || score(a) - score(b) || a.path.localeCompare(b.path);
  });
}
