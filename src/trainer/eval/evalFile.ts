/**
 * The evaluation file `eval-<dataset folder>.json`: what 'eval/run' answers and writes into the run folder of the
 * evaluated checkpoint. The runs view, the quality gates, the results panel and the comparison panel read it, so
 * this module holds only types and plain functions (no node APIs, no engine): the extension bundles it.
 */
import { jsonProblem } from '../io/jsonProblem';
import type { Expression } from '../science/labels';
import type { EvalReport, SampleFaithfulness } from '../science/report';
import type { SplitName } from '../science/split';

export const EVAL_FILE_FORMAT = 'au-lens-eval';
export const EVAL_FILE_VERSION = 1;

/** Which images: every image of the data, or the test split recorded in the checkpoint (official, or by subject). */
export type EvalImages = 'all' | 'test';
/** fast: AU occlusion and deletion/insertion; all: also ROAD and the sanity check (evalRun.ts FAITHFULNESS_MODES). */
export type EvalFaithfulnessMode = 'fast' | 'all';

export interface EvalRunRequest {
  /** A checkpoint file or a built-in model's name (train/pretrained.ts). */
  readonly model: string;
  /** Image folders per class. */
  readonly data: string;
  readonly images: EvalImages;
  /** Landmark cache folder. */
  readonly cacheDir?: string;
  /** Folder of the eval file; default: the checkpoint's folder. A built-in model without one is not written. */
  readonly outDir?: string;
  /** Also the faithfulness metrics (slower); absent: none. */
  readonly faithfulness?: EvalFaithfulnessMode;
}

/** One image: enough to pair two models' records by path and to list the worst images, never the maps. */
export interface EvalImageRecord {
  readonly path: string;
  readonly label: Expression;
  readonly prediction: Expression;
  /** Softmax probability of the prediction. */
  readonly confidence: number;
  /** ATT-COS per layer; null where the image has no AU map (neutral, no face). */
  readonly attCos: Readonly<Record<string, number | null>>;
  /** CAM-COS per CAM method; null where the image has no AU map. */
  readonly camCos: Readonly<Record<string, number | null>>;
  /** When the evaluation measured it: AU selectivity and each map's AUCs, for image-by-image comparisons. */
  readonly faithfulness?: SampleFaithfulness;
}

export interface EvalRunProgress {
  readonly stage: 'prepare' | 'evaluate';
  readonly done: number;
  readonly total: number;
}

export interface EvalRunResult {
  readonly format: typeof EVAL_FILE_FORMAT;
  readonly version: number;
  readonly model: string;
  readonly data: string;
  /** The data folder's name, as in the file name. */
  readonly dataset: string;
  readonly split: SplitName | 'all';
  /** ISO 8601. */
  readonly createdAt: string;
  readonly warnings: readonly string[];
  readonly skipped: readonly { readonly path: string; readonly reason: string }[];
  readonly report: EvalReport;
  readonly images: readonly EvalImageRecord[];
  /** Where the result was written; null when it was not (a built-in model without an outDir). */
  readonly file: string | null;
}

/** A file that is not an evaluation AU Lens can read; the message names the file and the problem. */
export class EvalFileError extends Error {
  override readonly name = 'EvalFileError';
}

/** `eval-<folder name>.json`, with characters a file name cannot hold replaced. */
export function evalFileName(dataFolder: string): string {
  const name = dataFolder.replace(/[\\/]+$/, '').split(/[\\/]/).pop() || 'data';
  return `eval-${name.replace(/[^\w.-]+/g, '_')}.json`;
}

export function isEvalFileName(name: string): boolean {
  return /^eval-.+\.json$/.test(name);
}

/** The evaluation in `text` (the content of `file`), checked enough that the panels and the gates can trust it. */
export function parseEvalFile(text: string, file: string): EvalRunResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new EvalFileError(`${file}: ${jsonProblem(err)}`);
  }
  const v = value as Partial<EvalRunResult> | null;
  if (typeof v !== 'object' || v === null || v.format !== EVAL_FILE_FORMAT) {
    throw new EvalFileError(`${file}: not an AU Lens evaluation (no "format": "${EVAL_FILE_FORMAT}")`);
  }
  if (v.version !== EVAL_FILE_VERSION) {
    throw new EvalFileError(
      `${file}: evaluation format version ${String(v.version)}; this AU Lens reads version ${EVAL_FILE_VERSION}`,
    );
  }
  const r = v.report;
  if (
    !r ||
    !Array.isArray(r.labels) ||
    !Array.isArray(r.layers) ||
    !Array.isArray(r.confusion?.matrix) ||
    !r.attCos?.byKey ||
    !r.camCos?.byKey ||
    !Array.isArray(v.images)
  ) {
    throw new EvalFileError(`${file}: the evaluation is incomplete (report or images missing); evaluate again`);
  }
  return v as EvalRunResult;
}
