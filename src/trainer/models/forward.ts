/**
 * The forward pass of any model of MODEL_NAMES, by family: the ResNet presets (resnet.ts) and face-api's network
 * (faceApiExpression.ts), which has no BatchNorm, so its train and eval modes are one graph.
 */
import type { Tape } from '../autodiff/tape';
import type { Tensor } from '../onnx/graph';
import { buildFaceApiForward } from './faceApiExpression';
import { isFaceApiModel } from './modelNames';
import { buildResNetForward } from './resnet';
import type { Forward, ModelConfig } from './types';

export function buildForward(
  tape: Tape, config: ModelConfig, image: Tensor, params: ReadonlyMap<string, Tensor>, mode: 'train' | 'eval',
): Forward {
  if (isFaceApiModel(config.preset)) return buildFaceApiForward(tape, image, params);
  return buildResNetForward(tape, config, image, params, mode);
}
