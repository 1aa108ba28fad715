/**
 * What a training run is asked (TrainOptions), what it reports while it runs (TrainEvent) and how it ends
 * (TrainOutcome, TrainingError). The run (trainRun.ts), its settings record (runSettings.ts), the run log, the
 * worker's protocol and the editor share these.
 */
import type { LayoutName } from '../io/layouts/types';
import type { FaceLandmarker } from '../io/landmarks';
import type { ModelName } from '../models/modelNames';
import type { Device } from '../onnx/deviceNames';
import type { ClassWeightsSpec } from '../science/classWeights';
import type { Codebook } from '../science/codebook';
import type { Expression } from '../science/labels';
import type { SplitFractions, SplitMode } from '../science/split';
import type { AtomicFs } from '../io/atomicFile';
import type { HeadAdaptation } from './initWeights';
import type { RunLock } from './runLock';

export interface TrainOptions {
  readonly data: string;
  /** The run folder: run.json, manifest.json, last.ckpt, best.ckpt. */
  readonly out: string;
  readonly preset: ModelName;
  /**
   * Start from this model instead of random weights (fine-tuning): a pretrained model's name
   * ('faceapi-expression') or a checkpoint file of the same model. Ignored on resume.
   */
  readonly init?: string;
  /** Weight of the AU alignment term; 0 trains the cross-entropy baseline. */
  readonly lambda: number;
  /** Aligned layers; default: the preset's last stage (the paper's choice). */
  readonly layers?: readonly string[];
  readonly epochs: number;
  readonly batch: number;
  readonly seed: number;
  readonly threads: number;
  readonly lr: number;
  readonly weightDecay: number;
  readonly lrStepEpochs: number;
  readonly lrGamma: number;
  readonly momentum: number;
  readonly codebook: Codebook;
  readonly classes?: readonly Expression[];
  readonly fractions: SplitFractions;
  /** 'official': the dataset's own train / test parts; 'subjects': by subject. Default: official when there is one. */
  readonly split?: SplitMode;
  readonly subjectPattern?: string;
  /** Class weights of the cross-entropy; default none (the paper's). */
  readonly classWeights?: ClassWeightsSpec;
  /** The recipe the settings came from (train/recipes.ts), recorded with the run. */
  readonly recipe?: string;
  /** Landmark cache folder; prepared samples go to its `prepared/` folder (data/cache/cacheKey.ts). */
  readonly cacheDir?: string;
  /**
   * Worker threads for preparing samples and for building batches (0: none, all on the main thread); default: one
   * per core for preparation and one for batches, none for sets too small to gain from them.
   */
  readonly dataWorkers?: number;
  /** Continue the run in `out` from its last.ckpt. */
  readonly resume: boolean;
}

export type TrainEvent =
  | {
      readonly type: 'data';
      readonly images: number;
      /** How the data was read. */
      readonly layout: LayoutName;
      readonly labels: readonly Expression[];
      readonly splitMode: SplitMode;
      readonly split: Record<'train' | 'val' | 'test', number>;
      /** Samples the reader left out, every kind together. */
      readonly skipped: number;
      readonly warnings: readonly string[];
    }
  /** A new run starting from `source` (TrainOptions.init); `head` says how its classifier met the run's classes. */
  | {
      readonly type: 'init';
      readonly source: string;
      readonly head: HeadAdaptation;
      readonly from: readonly Expression[];
    }
  /**
   * Preparing the training then the validation samples: `phase` 'landmarks' when faces are detected before the
   * samples are prepared, `etaSeconds` null until it can be estimated.
   */
  | {
      readonly type: 'prepare';
      readonly set: 'train' | 'val';
      readonly phase: 'landmarks' | 'prepare';
      readonly done: number;
      readonly total: number;
      readonly imagesPerSecond: number;
      readonly etaSeconds: number | null;
    }
  /** Where the run trains, once its sessions are made: "WebGPU · NVIDIA H200" (onnx/deviceInfo.ts). */
  | { readonly type: 'device'; readonly device: Device; readonly label: string }
  | {
      readonly type: 'prepared';
      readonly corrupt: readonly { path: string; reason: string }[];
      readonly noFace: number;
      readonly auValid: number;
      readonly auInvalid: number;
      /** The prepared-sample caches (training, validation), their size, and how many samples were prepared now. */
      readonly cache: { readonly dirs: readonly string[]; readonly bytes: number; readonly decoded: number };
    }
  | {
      readonly type: 'step';
      readonly epoch: number;
      readonly batch: number;
      readonly batches: number;
      readonly step: number;
      readonly loss: number;
      readonly ce: number;
      readonly align: number;
      readonly lr: number;
      readonly imagesPerSecond: number;
      /** Seconds the engine waited for this batch (0 when it was built ahead, as it should be). */
      readonly dataWaitSeconds: number;
    }
  | {
      readonly type: 'epoch';
      readonly epoch: number;
      readonly epochs: number;
      readonly train: EpochTrainMetrics;
      readonly val: ValidationMetrics | null;
      readonly best: boolean;
      readonly seconds: number;
    }
  | { readonly type: 'checkpoint'; readonly kind: 'last' | 'best'; readonly path: string; readonly bytes: number }
  /** `path`: the checkpoint to resume from; null when cancelled before a new run saved anything. */
  | { readonly type: 'stopped'; readonly reason: 'cancelled'; readonly path: string | null }
  /**
   * Something the user should know that does not stop the run: a stale run lock taken over, a status or progress
   * write that failed (the run goes on).
   */
  | { readonly type: 'note'; readonly message: string };

export interface EpochTrainMetrics {
  readonly loss: number;
  readonly ce: number;
  readonly align: number;
  readonly accuracy: number;
  readonly lr: number;
}

export interface ValidationMetrics {
  readonly accuracy: number | null;
  readonly balancedAccuracy: number | null;
  /** Six-class average ATT-COS per layer. */
  readonly attCos: Readonly<Record<string, number | null>>;
}

export interface TrainHooks {
  readonly onEvent?: (event: TrainEvent) => void;
  readonly signal?: AbortSignal;
  readonly detector: FaceLandmarker;
  /** Where checkpoints are written (default node:fs/promises); tests inject a failing disk through it. */
  readonly checkpointFs?: AtomicFs;
  /**
   * The run lock of `out` when the caller holds it already (the worker's job, which writes run.json before the run
   * starts); train() takes one otherwise, and releases only the one it took.
   */
  readonly runLock?: RunLock;
}

export interface TrainOutcome {
  readonly status: 'completed' | 'cancelled';
  /** null only when a new run was cancelled before its first checkpoint. */
  readonly last: string | null;
  readonly best: string | null;
  readonly bestEpoch: number | null;
  readonly epochs: number;
}

/** A run that cannot go on; the message says why and what survived. */
export class TrainingError extends Error {
  override readonly name = 'TrainingError';
}
