/**
 * What an evaluation is asked and answers, whatever runs the model: a checkpoint (evaluateCheckpoint.ts) or an
 * ONNX model (import/evaluateImported.ts), which the first hands over to.
 */
import type { FaceLandmarker } from '../io/landmarks';
import type { CamMethodName } from '../science/camMethods';
import type { EvalReport, SampleRecord } from '../science/report';
import type { SplitName } from '../science/split';
import type { FaithfulnessSettings } from '../explain/faceFaithfulness';

export interface EvaluateOptions {
  /**
   * A checkpoint file, a pretrained model's name (train/pretrained.ts) or an ONNX model
   * (import/evaluateImported.ts).
   */
  readonly checkpoint: string;
  /** Whether a model file other than a checkpoint may be parsed (io/modelTrust.ts): the CLI trusts its user's. */
  readonly trusted: boolean;
  readonly data: string;
  /**
   * Default: 'test' on the run's own data (its official test part, or its held-out subjects); elsewhere the
   * data's official test part when it has one, else 'all'.
   */
  readonly split?: SplitName | 'all';
  readonly batch: number;
  readonly threads: number;
  readonly methods?: readonly CamMethodName[];
  readonly cacheDir?: string;
  /** Only the first this many images of the split (benchmarks at small sizes). */
  readonly maxImages?: number;
  /**
   * Images prepared and held in memory at once (default: sized from the model's input, eval/chunkedBatches.ts).
   * The results do not depend on it.
   */
  readonly chunkImages?: number;
  /** Also compute the faithfulness metrics (docs/faithfulness.md); slow: many forward passes per image. */
  readonly faithfulness?: FaithfulnessEvalOptions;
}

export interface FaithfulnessEvalOptions {
  readonly settings: FaithfulnessSettings;
  /** Run the model-randomisation check (the CAM layer's stage and the head re-drawn). */
  readonly sanity: boolean;
  readonly seed?: number;
}

export interface CheckpointEvaluation {
  readonly checkpoint: string;
  readonly data: string;
  readonly split: SplitName | 'all';
  readonly warnings: readonly string[];
  readonly skipped: readonly { path: string; reason: string }[];
  readonly report: EvalReport;
  /** Every evaluated image's record, in evaluation order. */
  readonly samples: readonly SampleRecord[];
}

/** How far an evaluation is: images prepared (landmarks, AU maps), then images run through the model. */
export type EvaluationProgress = (done: number, total: number, stage: 'prepare' | 'evaluate') => void;

export interface EvaluationHooks {
  readonly detector: FaceLandmarker;
  readonly onProgress?: EvaluationProgress;
  readonly signal?: AbortSignal;
}
