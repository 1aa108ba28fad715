/**
 * An evaluation's report as it travels: what the evaluator (eval/evaluator.ts) returns, the eval file stores and
 * the evaluation page shows. Plain JSON and pure types, so the worker, the extension and the webview share one
 * definition.
 */
import type { CamMethodName } from './camMethods';
import type { Expression } from './labels';
import type { KeyScores, SampleScore, ScoreSummary } from './metrics/aggregate';

/** What is kept of each sample: enough to list the worst images later, never the maps. */
export interface SampleRecord {
  /** Position in evaluation order, counting real samples only. */
  readonly index: number;
  readonly path: string | null;
  readonly label: Expression;
  readonly prediction: Expression;
  /** Softmax probability of the prediction. */
  readonly confidence: number;
  readonly attCos: Readonly<Record<string, SampleScore>>;
  readonly camCos: Readonly<Record<string, SampleScore>>;
}

export const LOCALISATION_METRICS = [
  'energyPointingGame',
  'pointingGame',
  'relevanceMassAccuracy',
  'relevanceRankAccuracy',
  'rocAuc',
] as const;
export type LocalisationMetric = (typeof LOCALISATION_METRICS)[number];

/**
 * Localisation per map (the CAM layer's name for its attention, a method name for a CAM) and metric. A sample's
 * score is left out, and counted under `invalid`, when its AU map is invalid or the metric is undefined for it
 * (no AU pixel above τ, a constant map, no energy). The pointing game enters as 1 (hit) or 0.
 */
export interface LocalisationSummary {
  readonly threshold: number;
  readonly maps: readonly string[];
  readonly metrics: readonly LocalisationMetric[];
  /** byMap[map][metric]; a metric is absent until a sample has been added, as in `ScoreSummary.byKey`. */
  readonly byMap: Readonly<Record<string, Readonly<Partial<Record<LocalisationMetric, KeyScores>>>>>;
}

/** Plain JSON (nulls, no NaN or typed arrays), so it can be written next to a checkpoint and compared later. */
export interface EvalReport {
  readonly samples: number;
  readonly labels: readonly Expression[];
  readonly layers: readonly string[];
  readonly camLayer: string;
  readonly methods: readonly CamMethodName[];
  readonly accuracy: number | null;
  readonly balancedAccuracy: number | null;
  /** matrix[t][p]: samples of class labels[t] predicted as labels[p]. */
  readonly confusion: { readonly labels: readonly Expression[]; readonly matrix: readonly (readonly number[])[] };
  /** Recall per class; null for a class with no sample. */
  readonly perClassAccuracy: Readonly<Partial<Record<Expression, number | null>>>;
  /** Keys are the layers. */
  readonly attCos: ScoreSummary;
  /** Keys are the methods. */
  readonly camCos: ScoreSummary;
  readonly localisation: LocalisationSummary;
  readonly invalidAuSamples: number;
  readonly tau: number;
  /** The valid samples with the lowest ATT-COS at the CAM layer, lowest first (at most 10). */
  readonly worst: readonly SampleRecord[];
}
