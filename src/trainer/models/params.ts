/**
 * Parameter specs and initialisation. Names are exactly the PyTorch state_dict keys of the peer's modules
 * (SmallResNet: 'stem.0.weight', 'stages.1.0.downsample.0.weight'…; torchvision nets without the peer's 'net.'
 * prefix: 'conv1.weight', 'layer1.0.bn1.running_var'…; no num_batches_tracked) and of timm's ViTs ('cls_token',
 * 'blocks.0.attn.qkv.weight'…), so weights move between the two worlds by name.
 */
import { numel } from '../onnx/graph';
import { deriveSeed, gaussian, mulberry32, nameHash, uniform } from '../science/random';
import { faceApiParamSpecs } from './faceApiExpression';
import type { ModelName } from './modelNames';
import { isFaceApiModel, isVitName } from './modelNames';
import { modelLayout } from './layout';
import { resnetParamSpecs } from './resnet';
import type { ParamInit, ParamSpec, ParamStore } from './types';
import { vitParamSpecs } from './vitParams';
import { vitArch } from './vitPresets';

/** Running statistics are state updated by the forward pass, not trained by the optimiser. */
export function isTrainable(spec: ParamSpec): boolean {
  return spec.role !== 'bn_running_mean' && spec.role !== 'bn_running_var';
}

/** The linear head's weight (K, C), which CAM reads: 'fc.weight' in the CNNs, 'head.weight' in a ViT. */
export function headWeightName(preset: ModelName | string, numClasses: number): string {
  return paramSpecs(preset, numClasses).find((s) => s.role === 'fc_weight')!.name;
}

/** Whether the optimiser's weight decay applies (all CNN parameters, as the peer; a ViT's as timm groups them). */
export const isDecayed = (spec: ParamSpec): boolean => spec.decay !== false;

/** All parameters and running statistics of a model, in state_dict order (network order for face-api's). */
export function paramSpecs(preset: ModelName | string, numClasses: number): ParamSpec[] {
  if (isFaceApiModel(preset)) return faceApiParamSpecs(numClasses);
  if (isVitName(preset)) return vitParamSpecs(vitArch(preset), numClasses);
  return resnetParamSpecs(preset, numClasses);
}

function draw(init: ParamInit, n: number, seed: number): Float32Array {
  const data = new Float32Array(n);
  const random = mulberry32(seed);
  switch (init.kind) {
    case 'truncNormal':
      for (let i = 0; i < n; i++) {
        let v: number;
        do v = gaussian(random, 0, init.std);
        while (Math.abs(v) > init.bound);
        data[i] = v;
      }
      break;
    case 'normal':
      for (let i = 0; i < n; i++) data[i] = gaussian(random, 0, init.std);
      break;
    case 'uniform':
      for (let i = 0; i < n; i++) data[i] = uniform(random, -init.bound, init.bound);
      break;
    case 'ones':
      data.fill(1);
      break;
    case 'zeros':
      break;
  }
  return data;
}

/**
 * Initial weights by name, each drawn as its spec's `init` says (the family's own initialisation) from its own
 * random stream, so the same seed gives the same tensor whatever else the model holds.
 */
export function initParams(specs: readonly ParamSpec[], seed: number): ParamStore {
  return new Map(specs.map((s) => [s.name, draw(s.init, numel(s.shape), deriveSeed(seed, nameHash(s.name)))]));
}

/** The state_dict prefix of the first parameter of `layer` (an attention layer of the model). */
function layerPrefix(preset: ModelName | string, numClasses: number, layer: string): string {
  if (isFaceApiModel(preset)) return `${layer}.`;
  if (isVitName(preset)) {
    // blockK and blockK.cls are made by timm's blocks.{K−1}; the rollout has no block of its own.
    const block = /^block(\d+)(\.cls)?$/.exec(layer);
    if (!block) throw new RangeError(`preset "${preset}" has no block layer "${layer}"`);
    return `blocks.${Number(block[1]) - 1}.`;
  }
  const layout = modelLayout(preset, numClasses);
  const first = layer === 'stem' ? layout.stem : layout.stages.find((s) => s.name === layer)?.blocks[0]?.main[0];
  if (!first) throw new RangeError(`preset "${preset}" has no layer "${layer}"`);
  return `${first.conv}.`;
}

/** The parameters from `layer`'s first to the linear head's last, in network order: the model's top layers. */
export function paramsFromLayer(preset: ModelName | string, numClasses: number, layer: string): ParamSpec[] {
  const specs = paramSpecs(preset, numClasses);
  const prefix = layerPrefix(preset, numClasses, layer);
  const start = specs.findIndex((s) => s.name.startsWith(prefix));
  if (start < 0) throw new RangeError(`preset "${preset}" has no parameters under "${prefix}"`);
  return specs.slice(start);
}

/**
 * `params` with every parameter from `layer` to the head re-drawn as at initialisation (initParams, from `seed`):
 * the model-randomisation sanity check's model (Adebayo et al. 2018, cascading from the top).
 */
export function redrawFromLayer(
  preset: ModelName | string,
  numClasses: number,
  params: ParamStore,
  layer: string,
  seed: number,
): { params: ParamStore; redrawn: string[] } {
  const top = paramsFromLayer(preset, numClasses, layer);
  const fresh = initParams(top, seed);
  return { params: new Map([...params, ...fresh]), redrawn: top.map((s) => s.name) };
}
