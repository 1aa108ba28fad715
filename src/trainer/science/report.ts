/**
 * An evaluation's report as it travels: what the evaluator (eval/evaluator.ts) returns, the eval file stores and
 * the evaluation page shows. Plain JSON and pure types, so the worker, the extension and the webview share one
 * definition.
 */
import type { CamMethodName } from './camMethods';
import type { Expression } from './labels';
import type { KeyScores, SampleScore, ScoreSummary } from './metrics/aggregate';
import type { AuOcclusionSummary, ClassSummary } from './metrics/faithfulness/summary';
import type { SanityVerdict } from './metrics/faithfulness/sanity';
import type { SkipReason } from './metrics/faithfulness/types';

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
  /** Present when the evaluation computed the faithfulness metrics. */
  readonly faithfulness?: SampleFaithfulness;
}

/** A value of one image, or why the image has none. */
export type FaithfulnessValue = number | SkipReason;

/** One image's faithfulness numbers: enough to pair two models image by image, never the curves. */
export interface SampleFaithfulness {
  /** Mean AU drop − control drop; 'no-control' when no control region fits on the skin. */
  readonly auSelectivity: FaithfulnessValue | 'no-control';
  readonly controlDrop: number | null;
  /** Drop per AU of the class inside the crop, keyed by "AU12". */
  readonly auReliance: Readonly<Record<string, number>>;
  /** By map key (`attention:<layer>`, `cam:<method>`, `au`, `random`). */
  readonly maps: Readonly<Record<string, MapValues>>;
  /** Spearman ρ of each model map with its map under the randomised model; null for a constant map. */
  readonly sanity?: Readonly<Record<string, number | null>>;
}

export interface MapValues {
  readonly deletion?: FaithfulnessValue;
  readonly insertion?: FaithfulnessValue;
  /** ROAD: MoRF and LeRF means and the combined score. */
  readonly morf?: FaithfulnessValue;
  readonly lerf?: FaithfulnessValue;
  readonly road?: FaithfulnessValue;
}

/** A map's metrics per class and averaged over the six expressions, each with its bootstrap interval. */
export interface MapSummary {
  readonly title: string;
  readonly deletion?: ClassSummary;
  readonly insertion?: ClassSummary;
  readonly morf?: ClassSummary;
  readonly lerf?: ClassSummary;
  readonly road?: ClassSummary;
  /** Null where the sanity check was not run for this map. */
  readonly sanity?: SanityVerdict | null;
}

/** The data set's faithfulness (docs/faithfulness.md), aggregated as ATT-COS is. */
export interface EvalFaithfulness {
  /** Blur σ in input pixels (8 at 224 px, scaled), steps, percentiles, control draws and seed. */
  readonly settings: {
    readonly blurSigma: number;
    readonly steps: number | null;
    readonly percentiles: readonly number[] | null;
    readonly controlDraws: number;
    readonly seed: number;
  };
  /** Null when AU occlusion was not computed. */
  readonly auOcclusion: AuOcclusionSummary | null;
  /** By map key, in the order scored. */
  readonly maps: Readonly<Record<string, MapSummary>>;
  /** The model-randomisation check: which parameters were re-drawn, or why it was not run. */
  readonly sanity:
    | { readonly fromLayer: string; readonly redrawn: readonly string[]; readonly threshold: number }
    | { readonly unavailable: string }
    | null;
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
  /** Present when the evaluation computed the faithfulness metrics (`au-lens eval --faithfulness`). */
  readonly faithfulness?: EvalFaithfulness;
}
