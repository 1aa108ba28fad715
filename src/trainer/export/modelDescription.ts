/**
 * What a model is, independent of the file it comes in: an AU Lens checkpoint or an exported ONNX model both
 * reduce to a ModelDescription plus weights (checkpoint) or a ready graph (ONNX). Loading checks everything a
 * later step would trip over (unknown preset, tensors that do not fit it), so the messages name the file.
 */
import type { Normalisation } from '../models/modelInfo';
import type { ModelName } from '../models/modelNames';
import { isModelName, MODEL_NAMES } from '../models/modelNames';
import { paramSpecs } from '../models/params';
import { checkLayers, presetInfo } from '../models/presets';
import type { ParamStore } from '../models/types';
import type { Codebook } from '../science/codebook';
import type { Expression } from '../science/labels';
import type { Checkpoint } from '../train/checkpoint';
import { CheckpointMismatchError } from '../train/checkpoint';
import { assertCompatible } from '../train/checkpointCompat';

export interface ModelDescription {
  readonly preset: ModelName;
  /** Class order: output k of the network is labels[k]. */
  readonly labels: readonly Expression[];
  readonly inputSize: number;
  readonly normalisation: Normalisation;
  readonly codebook: Codebook;
  /** The layers whose attention was aligned with the AU maps during training. */
  readonly alignedLayers: readonly string[];
  /** Every layer with an attention output ('stem', 'stage1', …), in network order. */
  readonly attentionLayers: readonly string[];
  /** The last stage: the 'features' output, the input of the linear head and the layer CAMs are computed on. */
  readonly featureLayer: string;
  /** Weight of the alignment loss the model was trained with. */
  readonly lambda: number;
}

/** A model file that cannot be used; `problem` is the sentence after the file name. */
export class ModelFileError extends Error {
  override readonly name: string = 'ModelFileError';

  constructor(readonly file: string, readonly problem: string, cause?: unknown) {
    super(`${file}: ${problem}`, cause === undefined ? undefined : { cause });
  }
}

/** The preset, checked, with the list of known ones in the message. */
export function knownPreset(file: string, preset: string): ModelName {
  if (!isModelName(preset)) {
    throw new ModelFileError(
      file,
      `unknown model preset "${preset}" (this AU Lens knows ${MODEL_NAMES.join(', ')}); use the AU Lens version ` +
        `that wrote it`,
    );
  }
  return preset;
}

/**
 * A checkpoint's description and weights, after checking that its tensors fit its preset and its layers exist.
 * `file` only names the checkpoint in messages.
 */
export function checkpointModel(
  checkpoint: Checkpoint,
  file: string,
): { description: ModelDescription; params: ParamStore } {
  const preset = knownPreset(file, checkpoint.model.preset);
  const info = presetInfo(preset);
  const numClasses = checkpoint.labels.length;
  if (checkpoint.model.numClasses !== numClasses) {
    throw new ModelFileError(file, `the model has ${checkpoint.model.numClasses} outputs but ${numClasses} labels`);
  }
  if (checkpoint.model.inputSize !== info.inputSize) {
    throw new ModelFileError(
      file,
      `input size ${checkpoint.model.inputSize} does not match preset ${preset} (${info.inputSize})`,
    );
  }
  try {
    assertCompatible(checkpoint, paramSpecs(preset, numClasses), preset);
    checkLayers(preset, checkpoint.layers);
  } catch (error) {
    if (error instanceof CheckpointMismatchError || error instanceof RangeError) {
      throw new ModelFileError(file, error.message, error);
    }
    throw error;
  }
  const description: ModelDescription = {
    preset,
    labels: [...checkpoint.labels],
    inputSize: info.inputSize,
    normalisation: checkpoint.normalisation,
    codebook: checkpoint.codebook,
    alignedLayers: [...checkpoint.layers],
    attentionLayers: [...info.layers],
    featureLayer: info.defaultLayer,
    lambda: checkpoint.lambda,
  };
  return { description, params: new Map(checkpoint.tensors.model.map((t) => [t.name, t.data])) };
}
