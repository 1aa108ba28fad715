/**
 * The first two steps of a training run (trainRun.ts): prepare — check the options, open the run folder, load and
 * split the data, prepare its samples — and resume — the model state a run starts from: its last checkpoint, the
 * model it fine-tunes, or random weights. Nothing is written before the options, the folder and a resume's
 * settings have been checked.
 */
import { mkdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { CachedSet } from '../data/cache/buildCache';
import { prepareCached } from '../data/cache/buildCache';
import { manifestHash, skippedCount, writeManifest } from '../io/manifest';
import type { PresetInfo } from '../models/modelInfo';
import type { ModelName } from '../models/modelNames';
import { initParams, paramSpecs } from '../models/params';
import { checkLayers, presetInfo } from '../models/presets';
import type { LayoutName } from '../io/layouts/types';
import type { Expression } from '../science/labels';
import { classWeightVector, ClassWeightsError } from '../science/classWeights';
import type { SplitMode } from '../science/split';
import type { Checkpoint } from './checkpoint';
import { CheckpointMismatchError, loadCheckpoint } from './checkpoint';
import { assertCompatible } from './checkpointCompat';
import type { SplitDataset, SplitSettings } from './dataSplit';
import { loadSplitDataset } from './dataSplit';
import { initialWeights } from './initWeights';
import { isOnnxInit, loadOnnxInit, OnnxInitError } from './onnxInit';
import { ModelState } from './modelState';
import type { TrainEvent, TrainHooks, TrainOptions, TrainOutcome } from './options';
import { TrainingError } from './options';
import { loadModelCheckpoint } from './pretrained';
import { newRunFolderProblem } from './runFiles';
import { resumeDifferences } from './runSettings';

/** A run ready for its first step: its folder checked, its data split and prepared. */
export interface PreparedRun {
  readonly info: PresetInfo;
  /** The aligned layers. */
  readonly layers: readonly string[];
  readonly lastPath: string;
  readonly bestPath: string;
  /** The run folder's last checkpoint, when resuming. */
  readonly resumed: Checkpoint | undefined;
  /** The model a new run fine-tunes (TrainOptions.init). */
  readonly init: Checkpoint | undefined;
  readonly labels: readonly Expression[];
  /** The data manifest's hash, which a resume must find again. */
  readonly hash: string;
  /** How the data was read and split, for the checkpoint. */
  readonly layout: LayoutName;
  readonly splitMode: SplitMode;
  /** The cross-entropy's weight of each label, in label order; undefined: none. */
  readonly classWeights: readonly number[] | undefined;
  /** Prepared samples, in the shard cache; the run closes their stores. */
  readonly trainSet: CachedSet;
  readonly valSet: CachedSet;
}

export type Emit = (event: TrainEvent) => void;

export async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}

function checkOptions(options: TrainOptions): void {
  if (!Number.isInteger(options.batch) || options.batch < 2) {
    throw new TrainingError('the batch size must be an integer of at least 2 (BatchNorm needs more than one sample), ' +
      `got ${options.batch}`);
  }
  if (!Number.isInteger(options.epochs) || options.epochs < 1) {
    throw new TrainingError(`the number of epochs must be a positive integer, got ${options.epochs}`);
  }
  if (!(options.lr > 0) || !Number.isFinite(options.lr)) {
    throw new TrainingError(`the learning rate must be a positive number, got ${options.lr}`);
  }
}

/**
 * The run folder's checkpoint to resume from, or undefined for a new run. Refuses, before anything is written,
 * a new run where one exists (best.ckpt alone counts: the first epoch would overwrite it) and a resume with
 * nothing to resume.
 */
async function openRunFolder(
  options: TrainOptions,
  lastPath: string,
  bestPath: string,
): Promise<Checkpoint | undefined> {
  // The run lock made the folder (runLock.ts), refusing a file in its place.
  const folder = await stat(options.out).catch(() => undefined);
  if (!options.resume) {
    for (const file of folder ? [lastPath, bestPath] : []) {
      if (await exists(file)) {
        throw new TrainingError(
          `${options.out} already holds a run (${path.basename(file)}); ` +
            'pass --resume to continue it or choose another --out. Nothing was changed',
        );
      }
    }
    const problem = await newRunFolderProblem(options.out, options.data);
    if (problem) throw new TrainingError(`${problem}. Nothing was changed`);
    return undefined;
  }
  if (!(await exists(lastPath))) throw new TrainingError(`nothing to resume in ${options.out}: it has no last.ckpt`);
  try {
    return await loadCheckpoint(lastPath);
  } catch (err) {
    throw new TrainingError(`cannot resume the run in ${options.out}: ${(err as Error).message}`, { cause: err });
  }
}

/** The model a new run starts from, checked to be the run's model before any data is prepared. */
async function openInit(ref: string, preset: ModelName): Promise<Checkpoint> {
  let source: Checkpoint;
  try {
    source = isOnnxInit(ref) ? await loadOnnxInit(ref, preset) : await loadModelCheckpoint(ref);
  } catch (err) {
    const problem = err instanceof OnnxInitError ? err.problem : (err as Error).message;
    throw new TrainingError(`cannot start from ${ref}: ${problem}`, { cause: err });
  }
  if (source.model.preset !== preset) {
    throw new TrainingError(`cannot start a ${preset} run from ${ref}, which is a ${source.model.preset} model`);
  }
  return source;
}

/** The outcome of a run cancelled before its first step: whatever the folder held is as it was. */
async function cancelledBeforeStart(
  resumed: Checkpoint | undefined, lastPath: string, bestPath: string, emit: Emit,
): Promise<{ readonly cancelled: TrainOutcome }> {
  const last = resumed ? lastPath : null;
  emit({ type: 'stopped', reason: 'cancelled', path: last });
  const best = (await exists(bestPath)) ? bestPath : null;
  const bestEpoch = resumed?.optimizer.best?.epoch ?? null;
  return { cancelled: { status: 'cancelled', last, best, bestEpoch, epochs: resumed?.epoch ?? 0 } };
}

/** The split mode a resumed run recorded; undefined for a new run, or a run from before split modes (by subject). */
function recordedSplit(resumed: Checkpoint | undefined): SplitMode | undefined {
  const stored = resumed?.optimizer.settings?.['split'];
  return stored === 'official' || stored === 'subjects' ? stored : undefined;
}

/** Reads and splits the run's data, checked against a resumed run's. */
async function loadRunData(
  options: TrainOptions, hooks: TrainHooks, emit: Emit, resumed: Checkpoint | undefined,
): Promise<{ data: SplitDataset; hash: string }> {
  const split = options.split ?? recordedSplit(resumed);
  const settings: SplitSettings = {
    seed: options.seed,
    fractions: options.fractions,
    ...(options.classes !== undefined && { classes: options.classes }),
    ...(options.subjectPattern !== undefined && { subjectPattern: options.subjectPattern }),
    ...(split !== undefined && { split }),
    ...(hooks.signal !== undefined && { signal: hooks.signal }),
  };
  const data = await loadSplitDataset(options.data, settings);
  const { labels } = data;
  const hash = manifestHash(data.dataset);
  emit({
    type: 'data', images: data.dataset.samples.length, layout: data.dataset.layout, labels, splitMode: data.mode,
    split: { train: data.split.train.length, val: data.split.val.length, test: data.split.test.length },
    skipped: skippedCount(data.dataset), warnings: data.dataset.warnings,
  });
  if (resumed) {
    if (resumed.dataManifestHash !== hash) {
      throw new TrainingError(`the data in ${options.data} changed since the run in ${options.out} started ` +
        '(manifest hash differs); start a new run');
    }
    if (resumed.labels.join() !== labels.join()) {
      throw new TrainingError(`the classes differ from the run's: ${resumed.labels.join(', ')}`);
    }
  }
  return { data, hash };
}

/** The class weights of the run's labels, from its training split; a table without some class is refused. */
function runClassWeights(options: TrainOptions, data: SplitDataset): number[] | undefined {
  const counts: Partial<Record<Expression, number>> = {};
  for (const i of data.split.train) {
    const { label } = data.dataset.samples[i]!;
    counts[label] = (counts[label] ?? 0) + 1;
  }
  try {
    return classWeightVector(options.classWeights ?? { kind: 'none' }, data.labels, counts);
  } catch (err) {
    if (!(err instanceof ClassWeightsError)) throw err;
    throw new TrainingError(`cannot weight the classes: ${err.message}. Nothing was written`, { cause: err });
  }
}

/**
 * Checks the options and the run folder, loads and splits the data, writes the manifest and prepares the train
 * and validation samples: only those, so an official test part is never read while training. A cancel while
 * reading or preparing ends the run here, with its outcome.
 */
export async function prepareRun(
  options: TrainOptions, hooks: TrainHooks, emit: Emit,
): Promise<PreparedRun | { readonly cancelled: TrainOutcome }> {
  checkOptions(options);
  const info = presetInfo(options.preset);
  const layers = options.layers && options.layers.length > 0 ? options.layers : [info.defaultLayer];
  checkLayers(options.preset, layers);
  const lastPath = path.join(options.out, 'last.ckpt');
  const bestPath = path.join(options.out, 'best.ckpt');

  const resumed = await openRunFolder(options, lastPath, bestPath);
  if (resumed) {
    const differences = resumeDifferences(resumed, options, layers);
    if (differences.length > 0) {
      throw new TrainingError(
        `cannot resume the run in ${options.out} with other settings (${differences.join('; ')}); ` +
          "resume with the run's settings or start a new run in another --out",
      );
    }
  }
  const init = resumed || options.init === undefined ? undefined : await openInit(options.init, options.preset);

  let loaded: Awaited<ReturnType<typeof loadRunData>>;
  try {
    loaded = await loadRunData(options, hooks, emit, resumed);
  } catch (err) {
    if (!hooks.signal?.aborted) throw err;
    return cancelledBeforeStart(resumed, lastPath, bestPath, emit);
  }
  const { data, hash } = loaded;
  const { labels } = data;
  const classWeights = runClassWeights(options, data);
  await mkdir(options.out, { recursive: true });
  await writeManifest(data.dataset, data.split, data.mode, path.join(options.out, 'manifest.json'));

  const prepare = (set: 'train' | 'val'): Promise<CachedSet> => {
    const samples = data.split[set].map((i) => data.dataset.samples[i]!);
    return prepareCached(samples, {
      labels, inputSize: info.inputSize, crop: info.crop, codebook: options.codebook, detector: hooks.detector,
      ...(options.cacheDir !== undefined && { cacheDir: options.cacheDir }),
      ...(options.dataWorkers !== undefined && { workers: options.dataWorkers }),
      ...(hooks.signal !== undefined && { signal: hooks.signal }),
      onProgress: (p) => emit({
        type: 'prepare', set, phase: p.phase, done: p.done, total: p.total, imagesPerSecond: p.perSecond,
        etaSeconds: p.etaSeconds,
      }),
    });
  };
  let trainSet: CachedSet | undefined;
  let valSet: CachedSet;
  try {
    trainSet = await prepare('train');
    valSet = await prepare('val');
  } catch (err) {
    trainSet?.store.close();
    if (!hooks.signal?.aborted) throw err;
    return cancelledBeforeStart(resumed, lastPath, bestPath, emit);
  }
  const corrupt = [...trainSet.report.corrupt, ...valSet.report.corrupt];
  emit({
    type: 'prepared', corrupt, noFace: trainSet.report.noFace.length + valSet.report.noFace.length,
    auValid: trainSet.report.auValid + valSet.report.auValid,
    auInvalid: trainSet.report.auInvalid + valSet.report.auInvalid,
    cache: {
      dirs: [trainSet.report.cacheDir, valSet.report.cacheDir],
      bytes: trainSet.report.bytes + valSet.report.bytes,
      decoded: trainSet.report.decoded + valSet.report.decoded,
    },
  });
  if (trainSet.store.length < options.batch) {
    trainSet.store.close();
    valSet.store.close();
    const unreadable = trainSet.report.corrupt.length > 0 ? ` (${trainSet.report.corrupt.length} unreadable)` : '';
    throw new TrainingError(`the training split has ${trainSet.store.length} usable image(s)${unreadable}, ` +
      `fewer than one batch of ${options.batch}; lower --batch or add images`);
  }
  return {
    info, layers, lastPath, bestPath, resumed, init, labels, hash, layout: data.dataset.layout, splitMode: data.mode,
    classWeights, trainSet, valSet,
  };
}

/** The weights and momentum a run starts from: its last checkpoint, the model it fine-tunes, or random. */
export function startState(run: PreparedRun, options: TrainOptions, emit: Emit): ModelState {
  const specs = paramSpecs(options.preset, run.labels.length);
  if (run.resumed) {
    assertCompatible(run.resumed, specs, options.preset);
    const model = new Map(run.resumed.tensors.model.map((t) => [t.name, t.data]));
    return ModelState.fromParams(specs, model, new Map(run.resumed.tensors.momentum.map((t) => [t.name, t.data])));
  }
  if (run.init) {
    let start: ReturnType<typeof initialWeights>;
    try {
      start = initialWeights(run.init, options.preset, run.labels, options.seed);
    } catch (err) {
      if (!(err instanceof CheckpointMismatchError)) throw err;
      throw new TrainingError(`cannot start from ${options.init}: ${err.message}`, { cause: err });
    }
    const { params, head } = start;
    emit({ type: 'init', source: options.init!, head, from: run.init.labels });
    return ModelState.fromParams(specs, params);
  }
  return ModelState.fromParams(specs, initParams(specs, options.seed));
}
