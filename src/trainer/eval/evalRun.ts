/**
 * The editor's evaluation ('eval/run'): the CLI's evaluation (evaluateCheckpoint) with a record per image, written
 * atomically as `eval-<dataset folder>.json` beside the evaluated checkpoint (its run folder).
 */
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomicFile';
import type { FaceLandmarker } from '../io/landmarks';
import type { Trust } from '../io/modelTrust';
import type { SampleScore } from '../science/metrics/aggregate';
import type { SampleRecord } from '../science/report';
import { isPretrainedModel } from '../train/pretrained';
import type {
  EvalFaithfulnessMode, EvalImageRecord, EvalRunProgress, EvalRunRequest, EvalRunResult,
} from './evalFile';
import { EVAL_FILE_FORMAT, EVAL_FILE_VERSION, evalFileName } from './evalFile';
import { evaluateCheckpoint } from './evaluateCheckpoint';
import type { FaithfulnessEvalOptions } from './types';

/**
 * What the editor's evaluation measures per faithfulness mode (auLens.evaluation.faithfulness), as `au-lens explain
 * --faithfulness` names them: fast = AU occlusion and the deletion/insertion curves; all = also ROAD (its imputation
 * is the costly part) and the sanity check, everything `au-lens eval --faithfulness` does.
 */
export const FAITHFULNESS_MODES: Readonly<Record<EvalFaithfulnessMode, FaithfulnessEvalOptions>> = {
  fast: { settings: { occlusion: true, deletion: true, road: false }, sanity: false },
  all: { settings: { occlusion: true, deletion: true, road: true }, sanity: true },
};

/** A request the user can fix (a missing folder, an unknown choice); the worker reports it as such. */
export class EvalRequestError extends Error {
  override readonly name = 'EvalRequestError';
}

export interface EvalRunHooks extends Trust {
  readonly detector: FaceLandmarker;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: EvalRunProgress) => void;
  /** Engine threads; default 2, so the editor keeps a core. */
  readonly threads?: number;
}

/** Where the eval file of `request` goes: its outDir, else the checkpoint's folder; null for a built-in model alone. */
export function evalFileFor(request: Pick<EvalRunRequest, 'model' | 'data' | 'outDir'>): string | null {
  const dir = request.outDir ?? (isPretrainedModel(request.model) ? null : path.dirname(request.model));
  return dir === null ? null : path.join(dir, evalFileName(request.data));
}

const scoreOrNull = (s: SampleScore): number | null => (s === 'invalid' ? null : s);

function mapScores(scores: Readonly<Record<string, SampleScore>>): Record<string, number | null> {
  return Object.fromEntries(Object.entries(scores).map(([k, s]) => [k, scoreOrNull(s)]));
}

export function imageRecord(sample: SampleRecord): EvalImageRecord {
  return {
    path: sample.path ?? '',
    label: sample.label,
    prediction: sample.prediction,
    confidence: sample.confidence,
    attCos: mapScores(sample.attCos),
    camCos: mapScores(sample.camCos),
    ...(sample.faithfulness && { faithfulness: sample.faithfulness }),
  };
}

export async function runEvaluation(request: EvalRunRequest, hooks: EvalRunHooks): Promise<EvalRunResult> {
  if (request.images !== 'all' && request.images !== 'test') {
    throw new EvalRequestError(`images must be "all" or "test", got "${String(request.images)}"`);
  }
  if (request.faithfulness !== undefined && !Object.hasOwn(FAITHFULNESS_MODES, request.faithfulness)) {
    throw new EvalRequestError(`faithfulness must be "fast" or "all", got "${String(request.faithfulness)}"`);
  }
  if (typeof request.model !== 'string' || request.model === '') {
    throw new EvalRequestError('no model given: a checkpoint file or a built-in model name');
  }
  if (typeof request.data !== 'string' || request.data === '') throw new EvalRequestError('no dataset folder given');
  const found = await stat(request.data).catch(() => null);
  if (!found?.isDirectory() && !(found?.isFile() && /\.csv$/i.test(request.data))) {
    throw new EvalRequestError(
      `${request.data} is not a folder or a CSV manifest: pick a dataset folder (one subfolder of images per ` +
        'class, RAF-DB, FER2013, AffectNet) or a CSV manifest (path,label[,subject][,split])',
    );
  }
  const evaluation = await evaluateCheckpoint(
    {
      checkpoint: request.model,
      trusted: hooks.trusted,
      data: request.data,
      split: request.images,
      batch: 16,
      threads: hooks.threads ?? 2,
      ...(request.cacheDir !== undefined && { cacheDir: request.cacheDir }),
      ...(request.faithfulness !== undefined && { faithfulness: FAITHFULNESS_MODES[request.faithfulness] }),
    },
    {
      detector: hooks.detector,
      ...(hooks.signal !== undefined && { signal: hooks.signal }),
      ...(hooks.onProgress !== undefined && {
        onProgress: (done: number, total: number, stage: EvalRunProgress['stage']) =>
          hooks.onProgress?.({ stage, done, total }),
      }),
    },
  );
  const file = evalFileFor(request);
  const result: EvalRunResult = {
    format: EVAL_FILE_FORMAT,
    version: EVAL_FILE_VERSION,
    model: request.model,
    data: request.data,
    dataset: path.basename(path.resolve(request.data)),
    split: evaluation.split,
    createdAt: new Date().toISOString(),
    warnings: evaluation.warnings,
    skipped: evaluation.skipped,
    report: evaluation.report,
    images: evaluation.samples.map(imageRecord),
    file,
  };
  // A cancel that arrives after the last batch still leaves the previous evaluation file as it was.
  hooks.signal?.throwIfAborted();
  if (file !== null) await writeFileAtomic(file, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
