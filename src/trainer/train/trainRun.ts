/**
 * A training run: data → split by subject → prepared samples → one ONNX training step per batch → validation
 * each epoch → atomic checkpoints (`last.ckpt` every epoch, `best.ckpt` on the best validation accuracy).
 * The same loop serves the CLI, the editor's worker and tests: progress goes through `onEvent`, cancellation
 * through an AbortSignal, and nothing a run wrote before is lost on cancel, divergence or a failed save.
 */
import { mkdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { BatchLoader } from '../data/loader';
import { prepareSamples } from '../data/prepare';
import { Evaluator } from '../eval/evaluator';
import { ModelRunner, evaluateBatches } from '../eval/modelRunner';
import { manifestHash, writeManifest } from '../io/dataset';
import type { FaceLandmarker } from '../io/landmarks';
import type { ModelName } from '../models/modelNames';
import { initParams, paramSpecs } from '../models/params';
import { checkLayers, presetInfo } from '../models/presets';
import type { Codebook } from '../science/codebook';
import type { Expression } from '../science/labels';
import { argmax } from '../science/metrics/scores';
import type { SplitFractions } from '../science/split';
import type { Checkpoint, CheckpointFs } from './checkpoint';
import type { JsonValue } from './checkpoint';
import { assertCompatible, CheckpointMismatchError, loadCheckpoint, saveCheckpoint } from './checkpoint';
import type { SplitSettings } from './dataSplit';
import { loadSplitDataset, samplesOf } from './dataSplit';
import type { HeadAdaptation } from './initWeights';
import { initialWeights } from './initWeights';
import { ModelState } from './modelState';
import { loadModelCheckpoint } from './pretrained';
import { resumeDifferences, settingsRecord } from './runSettings';
import type { StepSchedule } from './schedule';
import { learningRate } from './schedule';
import { TrainStepper } from './stepper';

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
  readonly subjectPattern?: string;
  readonly cacheDir?: string;
  /** Continue the run in `out` from its last.ckpt. */
  readonly resume: boolean;
}

export type TrainEvent =
  | { readonly type: 'data'; readonly images: number; readonly labels: readonly Expression[]; readonly split: Record<'train' | 'val' | 'test', number>; readonly skipped: number; readonly warnings: readonly string[] }
  /** A new run starting from `source` (TrainOptions.init); `head` says how its classifier met the run's classes. */
  | { readonly type: 'init'; readonly source: string; readonly head: HeadAdaptation; readonly from: readonly Expression[] }
  | { readonly type: 'prepare'; readonly done: number; readonly total: number }
  | { readonly type: 'prepared'; readonly corrupt: readonly { path: string; reason: string }[]; readonly noFace: number; readonly auValid: number; readonly auInvalid: number }
  | { readonly type: 'step'; readonly epoch: number; readonly batch: number; readonly batches: number; readonly step: number; readonly loss: number; readonly ce: number; readonly align: number; readonly lr: number; readonly imagesPerSecond: number }
  | { readonly type: 'epoch'; readonly epoch: number; readonly epochs: number; readonly train: EpochTrainMetrics; readonly val: ValidationMetrics | null; readonly best: boolean; readonly seconds: number }
  | { readonly type: 'checkpoint'; readonly kind: 'last' | 'best'; readonly path: string; readonly bytes: number }
  /** `path`: the checkpoint to resume from; null when cancelled before a new run saved anything. */
  | { readonly type: 'stopped'; readonly reason: 'cancelled'; readonly path: string | null };

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
  readonly checkpointFs?: CheckpointFs;
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

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}

function correctPredictions(logits: Float32Array, labels: BigInt64Array, classes: number): number {
  let correct = 0;
  for (let n = 0; n < labels.length; n++) if (BigInt(argmax(logits.subarray(n * classes, (n + 1) * classes))) === labels[n]) correct++;
  return correct;
}

function checkOptions(options: TrainOptions): void {
  if (!Number.isInteger(options.batch) || options.batch < 2) throw new TrainingError(`the batch size must be an integer of at least 2 (BatchNorm needs more than one sample), got ${options.batch}`);
  if (!Number.isInteger(options.epochs) || options.epochs < 1) throw new TrainingError(`the number of epochs must be a positive integer, got ${options.epochs}`);
  if (!(options.lr > 0) || !Number.isFinite(options.lr)) throw new TrainingError(`the learning rate must be a positive number, got ${options.lr}`);
}

/**
 * The run folder's checkpoint to resume from, or undefined for a new run. Refuses, before anything is written,
 * a new run where one exists (best.ckpt alone counts: the first epoch would overwrite it) and a resume with
 * nothing to resume.
 */
async function openRunFolder(options: TrainOptions, lastPath: string, bestPath: string): Promise<Checkpoint | undefined> {
  const folder = await stat(options.out).catch(() => undefined);
  if (folder && !folder.isDirectory()) throw new TrainingError(`--out ${options.out} is a file; give a folder for the run`);
  if (!options.resume) {
    for (const file of folder ? [lastPath, bestPath] : []) {
      if (await exists(file)) {
        throw new TrainingError(`${options.out} already holds a run (${path.basename(file)}); pass --resume to continue it or choose another --out. Nothing was changed`);
      }
    }
    return undefined;
  }
  if (!(await exists(lastPath))) throw new TrainingError(`nothing to resume in ${options.out}: it has no last.ckpt`);
  try {
    return await loadCheckpoint(lastPath);
  } catch (err) {
    throw new TrainingError(`cannot resume the run in ${options.out}: ${(err as Error).message}`, { cause: err });
  }
}

function divergedMessage(what: string, epoch: number, step: number, lr: number, lastSaved: boolean, lastPath: string): string {
  return `${what} at epoch ${epoch + 1}, step ${step} (lr ${lr}); the model diverged — lower --lr or --lambda. ` +
    (lastSaved ? `The last good checkpoint ${lastPath} is unchanged.` : 'No checkpoint was written yet.');
}

/** Sums over the steps of the current epoch; kept in a mid-epoch checkpoint so a resumed epoch reports the same means. */
interface EpochSums {
  loss: number;
  ce: number;
  align: number;
  correct: number;
  images: number;
  steps: number;
}

function emptySums(): EpochSums {
  return { loss: 0, ce: 0, align: 0, correct: 0, images: 0, steps: 0 };
}

function storedSums(value: JsonValue | undefined): EpochSums {
  const sums = emptySums();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return sums;
  const record = value as { readonly [key: string]: JsonValue };
  for (const key of Object.keys(sums) as (keyof EpochSums)[]) {
    const v = record[key];
    if (typeof v === 'number') sums[key] = v;
  }
  return sums;
}

/** The model a new run starts from, checked to be the run's model before any data is prepared. */
async function openInit(ref: string, preset: ModelName): Promise<Checkpoint> {
  let source: Checkpoint;
  try {
    source = await loadModelCheckpoint(ref);
  } catch (err) {
    throw new TrainingError(`cannot start from ${ref}: ${(err as Error).message}`, { cause: err });
  }
  if (source.model.preset !== preset) throw new TrainingError(`cannot start a ${preset} run from ${ref}, which is a ${source.model.preset} model`);
  return source;
}

export async function train(options: TrainOptions, hooks: TrainHooks): Promise<TrainOutcome> {
  const emit = hooks.onEvent ?? ((): void => undefined);
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
      throw new TrainingError(`cannot resume the run in ${options.out} with other settings (${differences.join('; ')}); ` +
        'resume with the run\'s settings or start a new run in another --out');
    }
  }
  const init = resumed || options.init === undefined ? undefined : await openInit(options.init, options.preset);

  const settings: SplitSettings = {
    seed: options.seed,
    fractions: options.fractions,
    ...(options.classes !== undefined && { classes: options.classes }),
    ...(options.subjectPattern !== undefined && { subjectPattern: options.subjectPattern }),
  };
  const data = await loadSplitDataset(options.data, settings);
  const { labels } = data;
  const hash = manifestHash(data.dataset);
  emit({
    type: 'data', images: data.dataset.samples.length, labels,
    split: { train: data.split.train.length, val: data.split.val.length, test: data.split.test.length },
    skipped: data.dataset.skipped.length, warnings: data.dataset.warnings,
  });
  if (resumed) {
    if (resumed.dataManifestHash !== hash) throw new TrainingError(`the data in ${options.data} changed since the run in ${options.out} started (manifest hash differs); start a new run`);
    if (resumed.labels.join() !== labels.join()) throw new TrainingError(`the classes differ from the run's: ${resumed.labels.join(', ')}`);
  }
  await mkdir(options.out, { recursive: true });
  await writeManifest(data.dataset, data.split, path.join(options.out, 'manifest.json'));

  const prepare = (which: 'train' | 'val'): ReturnType<typeof prepareSamples> =>
    prepareSamples(samplesOf(data, which), {
      labels, inputSize: info.inputSize, crop: info.crop, codebook: options.codebook, detector: hooks.detector,
      ...(options.cacheDir !== undefined && { cacheDir: options.cacheDir }),
      ...(hooks.signal !== undefined && { signal: hooks.signal }),
      onProgress: (done, total) => emit({ type: 'prepare', done, total }),
    });
  let trainSet: Awaited<ReturnType<typeof prepareSamples>>;
  let valSet: Awaited<ReturnType<typeof prepareSamples>>;
  try {
    trainSet = await prepare('train');
    valSet = await prepare('val');
  } catch (err) {
    if (!hooks.signal?.aborted) throw err;
    // Cancelled before the first step: whatever the folder held is as it was.
    const last = resumed ? lastPath : null;
    emit({ type: 'stopped', reason: 'cancelled', path: last });
    return { status: 'cancelled', last, best: (await exists(bestPath)) ? bestPath : null, bestEpoch: resumed?.optimizer.best?.epoch ?? null, epochs: resumed?.epoch ?? 0 };
  }
  const corrupt = [...trainSet.report.corrupt, ...valSet.report.corrupt];
  emit({
    type: 'prepared', corrupt, noFace: trainSet.report.noFace.length + valSet.report.noFace.length,
    auValid: trainSet.report.auValid + valSet.report.auValid, auInvalid: trainSet.report.auInvalid + valSet.report.auInvalid,
  });
  if (trainSet.samples.length < options.batch) {
    throw new TrainingError(`the training split has ${trainSet.samples.length} usable image(s)` +
      `${trainSet.report.corrupt.length > 0 ? ` (${trainSet.report.corrupt.length} unreadable)` : ''}, fewer than one batch of ${options.batch}; lower --batch or add images`);
  }

  const specs = paramSpecs(options.preset, labels.length);
  let state: ModelState;
  if (resumed) {
    assertCompatible(resumed, specs, options.preset);
    state = ModelState.fromParams(specs, new Map(resumed.tensors.model.map((t) => [t.name, t.data])), new Map(resumed.tensors.momentum.map((t) => [t.name, t.data])));
  } else if (init) {
    let start: ReturnType<typeof initialWeights>;
    try {
      start = initialWeights(init, options.preset, labels, options.seed);
    } catch (err) {
      if (!(err instanceof CheckpointMismatchError)) throw err;
      throw new TrainingError(`cannot start from ${options.init}: ${err.message}`, { cause: err });
    }
    const { params, head } = start;
    emit({ type: 'init', source: options.init!, head, from: init.labels });
    state = ModelState.fromParams(specs, params);
  } else {
    state = ModelState.fromParams(specs, initParams(specs, options.seed));
  }

  const engine = { threads: options.threads };
  const stepper = await TrainStepper.create({
    preset: options.preset, numClasses: labels.length, batch: options.batch, lambda: options.lambda, layers,
    momentum: options.momentum, nesterov: true, weightDecay: options.weightDecay,
  }, engine);
  const runner = valSet.samples.length > 0 ? await ModelRunner.create({ preset: options.preset, numClasses: labels.length, batch: options.batch }, engine) : undefined;
  const { normalisation } = info;
  const trainLoader = new BatchLoader(trainSet.samples, { batchSize: options.batch, inputSize: info.inputSize, mode: 'train', seed: options.seed, normalisation });
  const valLoader = new BatchLoader(valSet.samples, { batchSize: options.batch, inputSize: info.inputSize, mode: 'eval', normalisation });
  const schedule: StepSchedule = { baseLr: options.lr, stepEpochs: options.lrStepEpochs, gamma: options.lrGamma, minLr: 1e-7 };

  const metrics: { [key: string]: JsonValue }[] = resumed ? [...resumed.metrics] : [];
  let best = resumed?.optimizer.best ?? null;
  let step = resumed?.step ?? 0;
  let startBatch = resumed?.optimizer.batchInEpoch ?? 0;
  let startSums = startBatch > 0 ? storedSums(resumed?.optimizer.settings?.['epochSums']) : emptySums();
  const startEpoch = resumed?.epoch ?? 0;
  let lastSaved = resumed !== undefined;

  const checkpoint = (epoch: number, batchInEpoch: number, lr: number, sums?: EpochSums): Checkpoint => ({
    model: { preset: options.preset, numClasses: labels.length, inputSize: info.inputSize },
    labels, codebook: options.codebook, lambda: options.lambda, layers, normalisation,
    dataManifestHash: hash, epoch, step,
    optimizer: {
      lr, scheduleStep: epoch, seed: options.seed, batchInEpoch, best,
      settings: { ...settingsRecord(options, labels), ...(sums && batchInEpoch > 0 && { epochSums: { ...sums } }) },
    },
    metrics, createdAt: '', tensors: state.checkpointTensors(),
  });
  const save = async (kind: 'last' | 'best', file: string, ckpt: Checkpoint): Promise<void> => {
    try {
      emit({ type: 'checkpoint', kind, path: file, bytes: await saveCheckpoint(file, ckpt, hooks.checkpointFs) });
    } catch (err) {
      throw new TrainingError(`could not save ${file}: ${(err as Error).message}; ` +
        ((await exists(file)) ? 'the previous checkpoint there is intact' : 'no checkpoint was written there'), { cause: err });
    }
    if (kind === 'last') lastSaved = true;
  };
  // A step whose loss is finite can still leave non-finite weights (its update overflowed); they must never
  // replace a good checkpoint, so they are looked for before every save.
  const assertFinite = (epoch: number, lr: number): void => {
    const bad = state.firstNonFinite();
    if (bad) throw new TrainingError(divergedMessage(`"${bad}" became non-finite`, epoch, step, lr, lastSaved, lastPath));
  };

  try {
    for (let epoch = startEpoch; epoch < options.epochs; epoch++) {
      const lr = learningRate(schedule, epoch);
      const started = performance.now();
      const sums = startSums;
      startSums = emptySums();
      const batches = trainLoader.epoch(epoch, { startBatch });
      let batchIndex = startBatch;
      startBatch = 0;
      let last = performance.now();
      for await (const batch of batches) {
        if (hooks.signal?.aborted) {
          assertFinite(epoch, lr);
          await save('last', lastPath, checkpoint(epoch, batchIndex, lr, sums));
          emit({ type: 'stopped', reason: 'cancelled', path: lastPath });
          return { status: 'cancelled', last: lastPath, best: (await exists(bestPath)) ? bestPath : null, bestEpoch: best?.epoch ?? null, epochs: epoch };
        }
        const result = await stepper.step(batch, lr, state);
        if (!Number.isFinite(result.loss)) throw new TrainingError(divergedMessage(`the loss became ${result.loss}`, epoch, step + 1, lr, lastSaved, lastPath));
        step++;
        batchIndex++;
        const now = performance.now();
        sums.loss += result.loss; sums.ce += result.ce; sums.align += result.align; sums.steps++;
        sums.correct += correctPredictions(result.logits, batch.labels, labels.length);
        sums.images += batch.count;
        emit({ type: 'step', epoch: epoch + 1, batch: batchIndex, batches: trainLoader.batchesPerEpoch, step, loss: result.loss, ce: result.ce, align: result.align, lr, imagesPerSecond: batch.count / ((now - last) / 1000) });
        last = now;
      }
      assertFinite(epoch, lr);
      const trainMetrics: EpochTrainMetrics = { loss: sums.loss / sums.steps, ce: sums.ce / sums.steps, align: sums.align / sums.steps, accuracy: sums.correct / Math.max(1, sums.images), lr };
      let val: ValidationMetrics | null = null;
      if (runner) {
        const evaluator = new Evaluator({ labels, layers: info.layers, camLayer: layers[0]!, methods: [] });
        await evaluateBatches(runner, valLoader.epoch(0), state.model, evaluator);
        const report = evaluator.result();
        val = {
          accuracy: report.accuracy, balancedAccuracy: report.balancedAccuracy,
          attCos: Object.fromEntries(info.layers.map((l) => [l, report.attCos.byKey[l]?.average ?? null])),
        };
      }
      // Model selection on validation subjects only, never on the test split; the earliest of equal scores wins.
      const score = val?.accuracy ?? trainMetrics.accuracy;
      const isBest = best === null || score > best.value;
      if (isBest) best = { metric: val ? 'val.accuracy' : 'train.accuracy', value: score, epoch: epoch + 1, step };
      metrics.push({
        epoch: epoch + 1, step, lr, trainLoss: trainMetrics.loss, trainCe: trainMetrics.ce, trainAlign: trainMetrics.align, trainAccuracy: trainMetrics.accuracy,
        valAccuracy: val?.accuracy ?? null, valBalancedAccuracy: val?.balancedAccuracy ?? null, valAttCos: val?.attCos[layers[0]!] ?? null,
      });
      const ckpt = checkpoint(epoch + 1, 0, lr);
      await save('last', lastPath, ckpt);
      if (isBest) await save('best', bestPath, ckpt);
      emit({ type: 'epoch', epoch: epoch + 1, epochs: options.epochs, train: trainMetrics, val, best: isBest, seconds: (performance.now() - started) / 1000 });
    }
  } finally {
    await stepper.release();
    await runner?.release();
  }
  return { status: 'completed', last: lastPath, best: (await exists(bestPath)) ? bestPath : null, bestEpoch: best?.epoch ?? null, epochs: options.epochs };
}
