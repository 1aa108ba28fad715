/**
 * Models that come with AU Lens's dependencies and work before anything is trained: usable by name wherever a
 * checkpoint file is (explain, eval, export, train --init). Each becomes an in-memory Checkpoint, so the rest of
 * the code sees one kind of model.
 *
 * faceapi-expression: @vladmandic/face-api's faceExpressionNet (MIT). Its training data is not published (it may
 * include public FER sets such as CK+), so its scores on those sets are optimistic.
 */
import { faceApiVersion, readFaceApiExpressionWeights } from '../io/faceApiWeights';
import { FACEAPI_EXPRESSION_LABELS } from '../models/faceApiInfo';
import { FACEAPI_EXPRESSION } from '../models/modelNames';
import { paramSpecs } from '../models/params';
import { presetInfo } from '../models/presets';
import type { Codebook } from '../science/codebook';
import { codebookPreset } from '../science/codebook';
import type { Checkpoint, LoadedCheckpoint } from './checkpoint';
import { loadCheckpoint } from './checkpoint';

export const PRETRAINED_MODELS = [FACEAPI_EXPRESSION] as const;
export type PretrainedModelName = (typeof PRETRAINED_MODELS)[number];

/** The model used when none is chosen. */
export const DEFAULT_MODEL: PretrainedModelName = FACEAPI_EXPRESSION;

export function isPretrainedModel(ref: string): ref is PretrainedModelName {
  return (PRETRAINED_MODELS as readonly string[]).includes(ref);
}

export interface PretrainedOptions {
  /** The AU codebook its explanations are scored with (default: the paper's). */
  readonly codebook?: Codebook;
  /** The package's model folder (tests point it at altered manifests). */
  readonly modelDir?: string;
}

/**
 * A pretrained model as a checkpoint: no aligned layers and λ = 0 (it was not trained with the AU loss), no data
 * manifest (so evaluation scores every image), no optimiser state.
 */
export async function pretrainedCheckpoint(
  name: PretrainedModelName,
  options: PretrainedOptions = {},
): Promise<Checkpoint> {
  const { params, manifest } = await readFaceApiExpressionWeights(options.modelDir);
  const labels = FACEAPI_EXPRESSION_LABELS;
  const info = presetInfo(name);
  return {
    model: { preset: name, numClasses: labels.length, inputSize: info.inputSize },
    labels,
    codebook: options.codebook ?? codebookPreset(),
    lambda: 0,
    layers: [],
    normalisation: info.normalisation,
    dataManifestHash: '',
    epoch: 0,
    step: 0,
    optimizer: {
      lr: 0,
      scheduleStep: 0,
      seed: 0,
      batchInEpoch: 0,
      best: null,
      settings: { source: `${faceApiVersion()} ${manifest}`, licence: 'MIT' },
    },
    metrics: [],
    createdAt: '',
    tensors: {
      model: paramSpecs(name, labels.length).map((s) => ({ name: s.name, shape: s.shape, data: params.get(s.name)! })),
      momentum: [],
    },
  };
}

/**
 * A pretrained model's name, or the path of a checkpoint file (a path never counts as a name:
 * "./faceapi-expression").
 */
export function loadModelCheckpoint(ref: string, options: PretrainedOptions = {}): Promise<LoadedCheckpoint> {
  return isPretrainedModel(ref) ? pretrainedCheckpoint(ref, options) : loadCheckpoint(ref);
}
