/**
 * `au-lens eval`: a checkpoint (or a pretrained model by name) on a dataset. On the data it was trained on, the
 * default is the run's test split, re-derived from the split mode, seed and fractions stored in the checkpoint:
 * the official test part, or the held-out subjects. On other data, its official test part when it has one, else
 * every image. Data without some of the model's classes (CK+48 has no neutral) is
 * scored over the classes it has: the head is cut to their rows, so the argmax runs over those outputs alone.
 */
import { unreadable } from '../explain/modelFile';
import { evaluateOnnxModel } from '../import/evaluateImported';
import { manifestHash } from '../io/manifest';
import { checkModelTrust } from '../io/modelTrust';
import { isModelName } from '../models/modelNames';
import { headWeightName, paramSpecs } from '../models/params';
import { presetInfo } from '../models/presets';
import { extraLocalisedLayers } from '../models/vitPresets';
import { CAM_METHOD_NAMES } from '../science/camMethods';
import type { Checkpoint } from '../train/checkpoint';
import { assertCompatible } from '../train/checkpointCompat';
import type { SplitDataset, SplitSettings } from '../train/dataSplit';
import { DEFAULT_FRACTIONS, readRunDataset, samplesOf, splitDataset } from '../train/dataSplit';
import { restrictClasses } from '../train/initWeights';
import { ModelState } from '../train/modelState';
import { isPretrainedModel, loadModelCheckpoint } from '../train/pretrained';
import { checkpointFaithfulness } from './checkpointFaithfulness';
import { evaluationBatches } from './chunkedBatches';
import { Evaluator } from './evaluator';
import { evaluationOf } from './faithfulnessEvaluator';
import { ModelRunner, evaluateBatches } from './modelRunner';
import type { CheckpointEvaluation, EvaluateOptions, EvaluationHooks } from './types';

function splitSettings(ckpt: Checkpoint): SplitSettings {
  const s = ckpt.optimizer.settings ?? {};
  const fractions = (s['fractions'] as SplitSettings['fractions'] | undefined) ?? DEFAULT_FRACTIONS;
  const subjectPattern = s['subjectPattern'] as string | undefined;
  const split = s['split'] === 'official' || s['split'] === 'subjects' ? s['split'] : undefined;
  return {
    seed: ckpt.optimizer.seed,
    fractions,
    classes: ckpt.labels,
    ...(subjectPattern !== undefined && { subjectPattern }),
    ...(split !== undefined && { split }),
  };
}

/**
 * The data split as the run split it when it is the run's data; other data by its official split when it has one
 * (a RAF-DB model scored on FER2013's test part), else by subject with the run's seed.
 */
async function evaluationData(
  data: string,
  stored: Checkpoint,
  signal: AbortSignal | undefined,
): Promise<{ data: SplitDataset; sameData: boolean }> {
  const settings = splitSettings(stored);
  const dataset = await readRunDataset(data, { ...settings, ...(signal !== undefined && { signal }) });
  const sameData = manifestHash(dataset) === stored.dataManifestHash;
  if (sameData) return { data: splitDataset(dataset, settings), sameData };
  return { data: splitDataset(dataset, { ...settings, split: undefined }), sameData };
}

export async function evaluateCheckpoint(
  options: EvaluateOptions,
  hooks: EvaluationHooks,
): Promise<CheckpointEvaluation> {
  // Anything but a checkpoint, by content (an ONNX model exported or trained elsewhere, with its sidecar), runs
  // image by image through its open session, once the trust rule allows it.
  const file = options.checkpoint;
  const kind = isPretrainedModel(file)
    ? 'checkpoint'
    : await checkModelTrust(file, options).catch((error: unknown) => unreadable(file, error));
  if (kind === 'other') return evaluateOnnxModel(options, hooks);
  const stored = await loadModelCheckpoint(options.checkpoint);
  const preset = stored.model.preset;
  if (!isModelName(preset)) throw new Error(`${options.checkpoint}: unknown model preset "${preset}"`);
  assertCompatible(stored, paramSpecs(preset, stored.labels.length), preset);

  const { data, sameData } = await evaluationData(options.data, stored, hooks.signal);
  const split = options.split ?? (sameData || data.mode === 'official' ? 'test' : 'all');
  const warnings = [...data.dataset.warnings];
  if (stored.note !== undefined) warnings.push(`${options.checkpoint}: ${stored.note}`);
  if (split !== 'all' && !sameData && data.mode === 'subjects') {
    warnings.push(
      `${options.data} is not the data this model was trained on, so its "${split}" split is not held out from ` +
        `training`,
    );
  }
  const absent = stored.labels.filter((l) => !data.labels.includes(l));
  if (absent.length > 0) {
    warnings.push(
      `${options.data} has no ${absent.join(', ')} images: the model is scored over its ${data.labels.length} other ` +
        `classes (argmax over their outputs only)`,
    );
  }
  const ckpt = absent.length > 0 ? restrictClasses(stored, data.labels) : stored;
  const specs = paramSpecs(preset, ckpt.labels.length);
  const info = presetInfo(preset);
  const batches = evaluationBatches(samplesOf(data, split).slice(0, options.maxImages), split, {
    labels: ckpt.labels, inputSize: info.inputSize, crop: info.crop, codebook: ckpt.codebook,
    normalisation: ckpt.normalisation,
  }, options, hooks);
  const state = ModelState.fromParams(specs, new Map(ckpt.tensors.model.map((t) => [t.name, t.data])));
  const aligned = ckpt.layers[0];
  const camLayer =
    aligned !== undefined && (info.camLayers ?? info.layers).includes(aligned) ? aligned : info.defaultLayer;
  const methods = options.methods ?? CAM_METHOD_NAMES;
  const runner = await ModelRunner.create(
    { preset, numClasses: ckpt.labels.length, batch: options.batch, ...(methods.length > 0 && { camLayer }) },
    { threads: options.threads },
  );
  const faithfulness = options.faithfulness && await checkpointFaithfulness({
    checkpoint: ckpt, file: options.checkpoint, preset, camLayer, methods, runner, threads: options.threads,
    options: options.faithfulness, ...(hooks.signal && { signal: hooks.signal }),
  }).catch(async (error: unknown) => {
    await runner.release();
    throw error;
  });
  try {
    const evaluator = new Evaluator({
      labels: ckpt.labels, layers: info.layers, camLayer, methods,
      localisedLayers: extraLocalisedLayers(info.layers, camLayer),
    });
    const fcWeight = state.params().get(headWeightName(preset, ckpt.labels.length));
    await evaluateBatches(runner, batches, state.model, evaluator, fcWeight, hooks.signal, faithfulness?.onBatch);
    // evaluateBatches stops early on cancel; a part of the data must not pass for the whole.
    hooks.signal?.throwIfAborted();
    return evaluationOf(options, split, warnings, batches.corrupt, evaluator, faithfulness?.evaluator);
  } finally {
    await faithfulness?.release();
    await runner.release();
  }
}
