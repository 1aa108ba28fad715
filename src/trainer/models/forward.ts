/**
 * The forward pass of any model of MODEL_NAMES, by family: the ResNet presets (resnet.ts), the vision transformers
 * (vit.ts) and face-api's network (faceApiExpression.ts); the last two have no BatchNorm, so their train and eval
 * modes are one graph.
 */
import type { Tape } from '../autodiff/tape';
import type { Tensor } from '../onnx/graph';
import { buildFaceApiForward } from './faceApiExpression';
import { isFaceApiModel, isVitName } from './modelNames';
import { buildResNetForward } from './resnet';
import type { Forward, ModelConfig } from './types';
import { buildVitForward } from './vit';
import { vitArch } from './vitPresets';

export function buildForward(
  tape: Tape, config: ModelConfig, image: Tensor, params: ReadonlyMap<string, Tensor>, mode: 'train' | 'eval',
): Forward {
  if (isFaceApiModel(config.preset)) return buildFaceApiForward(tape, image, params);
  if (isVitName(config.preset)) return buildVitForward(tape, vitArch(config.preset), image, params);
  return buildResNetForward(tape, config, image, params, mode);
}
