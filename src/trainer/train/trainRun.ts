/**
 * A training run: data → split by subject → prepared samples → one ONNX training step per batch → validation
 * each epoch → atomic checkpoints (`last.ckpt` every epoch, `best.ckpt` on the best validation accuracy).
 * The same loop serves the CLI, the editor's worker and tests: progress goes through `onEvent`, cancellation
 * through an AbortSignal, and nothing a run wrote before is lost on cancel, divergence or a failed save.
 *
 * train() runs four steps: prepare (prepareRun.ts), resume or start the model state (startState), the epoch loop
 * (TrainLoop.runEpoch), and validate-and-save at the end of each epoch (TrainLoop.validateAndSave).
 */
import { BatchLoader } from '../data/loader';
import { Evaluator } from '../eval/evaluator';
import { evaluateBatches, ModelRunner } from '../eval/modelRunner';
import { describeDevice } from '../onnx/deviceInfo';
import { engineDevice } from '../onnx/session';
import type { Checkpoint, JsonValue } from './checkpoint';
import { saveCheckpoint } from './checkpoint';
import type { EpochSums } from './epochSums';
import { correctPredictions, emptySums, epochMeans, storedSums } from './epochSums';
import type { ModelState } from './modelState';
import type { EpochTrainMetrics, TrainHooks, TrainOptions, TrainOutcome, ValidationMetrics } from './options';
import { TrainingError } from './options';
import type { Emit, PreparedRun } from './prepareRun';
import { exists, prepareRun, startState } from './prepareRun';
import { acquireRunLock, RunLockedError, takeOverNote } from './runLock';
import { settingsRecord } from './runSettings';
import type { StepSchedule } from './schedule';
import { learningRate } from './schedule';
import { TrainStepper } from './stepper';

type Best = NonNullable<Checkpoint['optimizer']['best']>;

/**
 * Sets at least this large build their batches on a worker thread: the engine's step blocks the main thread, so
 * only another thread can build the next batch meanwhile. One worker keeps up with the engine on the presets
 * (docs/data-pipeline.md has the measurements); smaller sets are not worth a thread's start-up.
 */
const AUTO_LOADER_WORKERS_MIN = 256;

function divergedMessage(
  what: string,
  epoch: number,
  step: number,
  lr: number,
  lastSaved: boolean,
  lastPath: string,
): string {
  return (
    `${what} at epoch ${epoch + 1}, step ${step} (lr ${lr}); the model diverged — lower --lr or --lambda. ` +
    (lastSaved ? `The last good checkpoint ${lastPath} is unchanged.` : 'No checkpoint was written yet.')
  );
}

/** The epochs of a prepared run, with what it has reached so far: step count, metrics, best epoch. */
class TrainLoop {
  readonly startEpoch: number;
  private readonly metrics: { [key: string]: JsonValue }[];
  private best: Best | null;
  private step: number;
  /** Where the first (resumed) epoch starts, and its sums so far; zero for every later epoch. */
  private startBatch: number;
  private startSums: EpochSums;
  private lastSaved: boolean;
  private readonly trainLoader: BatchLoader;
  private readonly valLoader: BatchLoader;
  private readonly schedule: StepSchedule;

  private constructor(
    private readonly options: TrainOptions,
    private readonly hooks: TrainHooks,
    private readonly emit: Emit,
    private readonly run: PreparedRun,
    private readonly state: ModelState,
    private readonly stepper: TrainStepper,
    private readonly runner: ModelRunner | undefined,
  ) {
    const { resumed, info } = run;
    const { normalisation, inputSize } = info;
    const batchSize = options.batch;
    const workers = (n: number): number => options.dataWorkers ?? (n >= AUTO_LOADER_WORKERS_MIN ? 1 : 0);
    this.trainLoader = new BatchLoader(run.trainSet.store, {
      batchSize,
      inputSize,
      mode: 'train',
      seed: options.seed,
      normalisation,
      workers: workers(run.trainSet.store.length),
    });
    this.valLoader = new BatchLoader(run.valSet.store, {
      batchSize, inputSize, mode: 'eval', normalisation, workers: workers(run.valSet.store.length),
    });
    this.schedule = { baseLr: options.lr, stepEpochs: options.lrStepEpochs, gamma: options.lrGamma, minLr: 1e-7 };
    this.metrics = resumed ? [...resumed.metrics] : [];
    this.best = resumed?.optimizer.best ?? null;
    this.step = resumed?.step ?? 0;
    this.startBatch = resumed?.optimizer.batchInEpoch ?? 0;
    this.startSums = this.startBatch > 0 ? storedSums(resumed?.optimizer.settings?.['epochSums']) : emptySums();
    this.startEpoch = resumed?.epoch ?? 0;
    this.lastSaved = resumed !== undefined;
  }

  static async create(
    options: TrainOptions,
    hooks: TrainHooks,
    emit: Emit,
    run: PreparedRun,
    state: ModelState,
  ): Promise<TrainLoop> {
    const engine = { threads: options.threads };
    const numClasses = run.labels.length;
    const stepper = await TrainStepper.create(
      {
        preset: options.preset,
        numClasses,
        batch: options.batch,
        lambda: options.lambda,
        layers: run.layers,
        momentum: options.momentum,
        nesterov: true,
        weightDecay: options.weightDecay,
        ...(run.classWeights !== undefined && { classWeights: run.classWeights }),
      },
      engine,
    );
    const runner =
      run.valSet.store.length > 0
        ? await ModelRunner.create({ preset: options.preset, numClasses, batch: options.batch }, engine)
        : undefined;
    const device = describeDevice(engineDevice(engine));
    emit({ type: 'device', device: device.device, label: device.label });
    return new TrainLoop(options, hooks, emit, run, state, stepper, runner);
  }

  async release(): Promise<void> {
    await this.stepper.release();
    await this.runner?.release();
    await this.trainLoader.close();
    await this.valLoader.close();
  }

  async outcome(status: TrainOutcome['status'], epochs: number): Promise<TrainOutcome> {
    const { lastPath, bestPath } = this.run;
    return {
      status,
      last: lastPath,
      best: (await exists(bestPath)) ? bestPath : null,
      bestEpoch: this.best?.epoch ?? null,
      epochs,
    };
  }

  /** Trains one epoch, then validates and saves; a cancel saves last.ckpt mid-epoch and ends the run. */
  async runEpoch(epoch: number): Promise<TrainOutcome | undefined> {
    const { hooks, run, emit } = this;
    const lr = learningRate(this.schedule, epoch);
    const started = performance.now();
    const sums = this.startSums;
    this.startSums = emptySums();
    const batches = this.trainLoader.epoch(epoch, { startBatch: this.startBatch });
    let batchIndex = this.startBatch;
    this.startBatch = 0;
    let last = performance.now();
    for (;;) {
      const asked = performance.now();
      const next = await batches.next();
      if (next.done) break;
      const batch = next.value;
      const dataWaitSeconds = (performance.now() - asked) / 1000;
      if (hooks.signal?.aborted) {
        await this.assertFinite(epoch, lr);
        await this.save('last', run.lastPath, this.checkpoint(epoch, batchIndex, lr, sums));
        emit({ type: 'stopped', reason: 'cancelled', path: run.lastPath });
        return this.outcome('cancelled', epoch);
      }
      const result = await this.stepper.step(batch, lr, this.state);
      if (!Number.isFinite(result.loss)) {
        throw new TrainingError(this.diverged(`the loss became ${result.loss}`, epoch, this.step + 1, lr));
      }
      this.step++;
      batchIndex++;
      const now = performance.now();
      sums.loss += result.loss;
      sums.ce += result.ce;
      sums.align += result.align;
      sums.steps++;
      sums.correct += correctPredictions(result.logits, batch.labels, run.labels.length);
      sums.images += batch.count;
      emit({
        type: 'step',
        epoch: epoch + 1,
        batch: batchIndex,
        batches: this.trainLoader.batchesPerEpoch,
        step: this.step,
        loss: result.loss,
        ce: result.ce,
        align: result.align,
        lr,
        imagesPerSecond: batch.count / ((now - last) / 1000),
        dataWaitSeconds,
      });
      last = now;
    }
    await this.validateAndSave(epoch, lr, sums, started);
    return undefined;
  }

  /** Validates the epoch's model, records its metrics and saves last.ckpt, and best.ckpt when it is the best. */
  private async validateAndSave(epoch: number, lr: number, sums: EpochSums, started: number): Promise<void> {
    const { run, options } = this;
    await this.assertFinite(epoch, lr);
    const trainMetrics: EpochTrainMetrics = epochMeans(sums, lr);
    const val = await this.validate();
    // Model selection on validation subjects only, never on the test split; the earliest of equal scores wins.
    const score = val?.accuracy ?? trainMetrics.accuracy;
    const isBest = this.best === null || score > this.best.value;
    if (isBest) {
      this.best = { metric: val ? 'val.accuracy' : 'train.accuracy', value: score, epoch: epoch + 1, step: this.step };
    }
    this.metrics.push({
      epoch: epoch + 1,
      step: this.step,
      lr,
      trainLoss: trainMetrics.loss,
      trainCe: trainMetrics.ce,
      trainAlign: trainMetrics.align,
      trainAccuracy: trainMetrics.accuracy,
      valAccuracy: val?.accuracy ?? null,
      valBalancedAccuracy: val?.balancedAccuracy ?? null,
      valAttCos: val?.attCos[run.layers[0]!] ?? null,
    });
    const ckpt = this.checkpoint(epoch + 1, 0, lr);
    await this.save('last', run.lastPath, ckpt);
    if (isBest) await this.save('best', run.bestPath, ckpt);
    const seconds = (performance.now() - started) / 1000;
    this.emit({
      type: 'epoch',
      epoch: epoch + 1,
      epochs: options.epochs,
      train: trainMetrics,
      val,
      best: isBest,
      seconds,
    });
  }

  private async validate(): Promise<ValidationMetrics | null> {
    if (!this.runner) return null;
    const { labels, info, layers } = this.run;
    const evaluator = new Evaluator({ labels, layers: info.layers, camLayer: layers[0]!, methods: [] });
    await evaluateBatches(this.runner, this.valLoader.epoch(0), this.state.model, evaluator);
    const report = evaluator.result();
    return {
      accuracy: report.accuracy,
      balancedAccuracy: report.balancedAccuracy,
      attCos: Object.fromEntries(info.layers.map((l) => [l, report.attCos.byKey[l]?.average ?? null])),
    };
  }

  private checkpoint(epoch: number, batchInEpoch: number, lr: number, sums?: EpochSums): Checkpoint {
    const { options, run } = this;
    const epochSums = sums && batchInEpoch > 0 && { epochSums: { ...sums } };
    return {
      model: { preset: options.preset, numClasses: run.labels.length, inputSize: run.info.inputSize },
      labels: run.labels,
      codebook: options.codebook,
      lambda: options.lambda,
      layers: run.layers,
      normalisation: run.info.normalisation,
      dataManifestHash: run.hash,
      epoch,
      step: this.step,
      optimizer: {
        lr,
        scheduleStep: epoch,
        seed: options.seed,
        batchInEpoch,
        best: this.best,
        settings: { ...settingsRecord(options, run), ...epochSums },
      },
      metrics: this.metrics,
      createdAt: '',
      tensors: this.state.checkpointTensors(),
    };
  }

  private async save(kind: 'last' | 'best', file: string, ckpt: Checkpoint): Promise<void> {
    let bytes: number;
    try {
      bytes = await saveCheckpoint(file, ckpt, this.hooks.checkpointFs);
    } catch (err) {
      throw new TrainingError(
        `could not save ${file}: ${(err as Error).message}; ` +
          ((await exists(file)) ? 'the previous checkpoint there is intact' : 'no checkpoint was written there'),
        { cause: err },
      );
    }
    if (kind === 'last') this.lastSaved = true;
    // Outside the try: a listener's failure (a full disk under progress.jsonl) is not a failed save.
    this.emit({ type: 'checkpoint', kind, path: file, bytes });
  }

  private diverged(what: string, epoch: number, step: number, lr: number): string {
    return divergedMessage(what, epoch, step, lr, this.lastSaved, this.run.lastPath);
  }

  /**
   * A step whose loss is finite can still leave non-finite weights (its update overflowed); they must never
   * replace a good checkpoint, so they are looked for before every save (on a GPU, in the state brought home).
   */
  private async assertFinite(epoch: number, lr: number): Promise<void> {
    await this.state.toHost();
    const bad = this.state.firstNonFinite();
    if (bad) throw new TrainingError(this.diverged(`"${bad}" became non-finite`, epoch, this.step, lr));
  }
}

/**
 * Trains the run in options.out, holding its run lock (runLock.ts) throughout: a second training of the same folder
 * is refused with RunLockedError, and the lock goes on every way out.
 */
export async function train(options: TrainOptions, hooks: TrainHooks): Promise<TrainOutcome> {
  const emit = hooks.onEvent ?? ((): void => undefined);
  if (hooks.runLock) return trainLocked(options, hooks, emit);
  const lock = await acquireRunLock(options.out, options.resume ? 'resume' : 'train').catch((err: unknown) => {
    if (err instanceof RunLockedError) throw err;
    throw new TrainingError(`--out ${(err as Error).message}`, { cause: err });
  });
  try {
    const note = takeOverNote(lock);
    if (note !== undefined) emit({ type: 'note', message: note });
    return await trainLocked(options, hooks, emit);
  } finally {
    await lock.release();
  }
}

async function trainLocked(options: TrainOptions, hooks: TrainHooks, emit: Emit): Promise<TrainOutcome> {
  const run = await prepareRun(options, hooks, emit);
  if ('cancelled' in run) return run.cancelled;
  const state = startState(run, options, emit);
  const loop = await TrainLoop.create(options, hooks, emit, run, state);
  try {
    for (let epoch = loop.startEpoch; epoch < options.epochs; epoch++) {
      const stopped = await loop.runEpoch(epoch);
      if (stopped) return stopped;
    }
  } finally {
    await loop.release();
  }
  return loop.outcome('completed', options.epochs);
}
