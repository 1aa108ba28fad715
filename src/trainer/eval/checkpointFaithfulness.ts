/**
 * The faithfulness pass of a checkpoint's evaluation: its batched classifier, and for the sanity check the same
 * evaluation session fed the weights with the CAM layer's stage and the head re-drawn (weights are graph inputs
 * there, so no second graph is built).
 */
import { FAITHFULNESS_SEED } from '../explain/explanationFaithfulness';
import { checkpointClassifier } from '../explain/modelFile';
import type { ModelName } from '../models/modelNames';
import { headWeightName, paramSpecs, redrawFromLayer } from '../models/params';
import type { CamMethodName } from '../science/camMethods';
import { deriveSeed } from '../science/random';
import type { Checkpoint } from '../train/checkpoint';
import { ModelState } from '../train/modelState';
import type { PreparedBatch } from './chunkedBatches';
import type { EvalBatch } from './evaluator';
import { FaithfulnessEvaluator } from './faithfulnessEvaluator';
import type { ModelRunner } from './modelRunner';
import type { FaithfulnessEvalOptions } from './types';

const REDRAW_STREAM = 5;

export interface CheckpointFaithfulness {
  readonly evaluator: FaithfulnessEvaluator;
  /** Scores one evaluated batch (evaluateBatches' onBatch). */
  readonly onBatch: (batch: PreparedBatch, evalBatch: EvalBatch) => Promise<void>;
  release(): Promise<void>;
}

export interface CheckpointFaithfulnessContext {
  readonly checkpoint: Checkpoint;
  readonly file: string;
  readonly preset: ModelName;
  readonly camLayer: string;
  readonly methods: readonly CamMethodName[];
  readonly runner: ModelRunner;
  readonly threads: number;
  readonly options: FaithfulnessEvalOptions;
  readonly signal?: AbortSignal;
}

export async function checkpointFaithfulness(ctx: CheckpointFaithfulnessContext): Promise<CheckpointFaithfulness> {
  const { checkpoint, preset, camLayer, runner, options } = ctx;
  const numClasses = checkpoint.labels.length;
  const { classifier, release } = await checkpointClassifier(checkpoint, ctx.file, { threads: ctx.threads });
  const params = new Map(checkpoint.tensors.model.map((t) => [t.name, t.data]));
  const seed = deriveSeed(options.seed ?? FAITHFULNESS_SEED, REDRAW_STREAM);
  const redraw = options.sanity ? redrawFromLayer(preset, numClasses, params, camLayer, seed) : undefined;
  const randomised = redraw && ModelState.fromParams(paramSpecs(preset, numClasses), redraw.params);
  const evaluator = new FaithfulnessEvaluator({
    labels: checkpoint.labels,
    codebook: checkpoint.codebook,
    inputSize: checkpoint.model.inputSize,
    camLayer,
    methods: ctx.methods,
    classifier,
    options,
    sanity: redraw ? { fromLayer: camLayer, redrawn: redraw.redrawn } : { unavailable: 'not asked for' },
  });
  const fc = redraw?.params.get(headWeightName(preset, numClasses));
  return {
    evaluator,
    async onBatch(batch, evalBatch) {
      const twin = randomised && runner.toEvalBatch(batch, await runner.run(batch, randomised.model), fc);
      await evaluator.addBatch(batch, evalBatch, batch.samples, twin, ctx.signal ? { signal: ctx.signal } : {});
    },
    release,
  };
}
