/**
 * Parameter specs and initialisation. Names are exactly the PyTorch state_dict keys of the peer's modules
 * (SmallResNet: 'stem.0.weight', 'stages.1.0.downsample.0.weight'…; torchvision nets without the peer's 'net.'
 * prefix: 'conv1.weight', 'layer1.0.bn1.running_var'…; no num_batches_tracked), so weights move between the
 * two worlds by name.
 */
import { deriveSeed, gaussian, mulberry32, nameHash, uniform } from '../science/random';
import { faceApiParamSpecs } from './faceApiExpression';
import type { ModelName } from './modelNames';
import { isFaceApiModel } from './modelNames';
import { modelLayout } from './layout';
import { resnetParamSpecs } from './resnet';
import type { ParamSpec, ParamStore } from './types';

/** Running statistics are state updated by the forward pass, not trained by the optimiser. */
export function isTrainable(spec: ParamSpec): boolean {
  return spec.role !== 'bn_running_mean' && spec.role !== 'bn_running_var';
}

/** All parameters and running statistics of a model, in state_dict order (network order for face-api's). */
export function paramSpecs(preset: ModelName | string, numClasses: number): ParamSpec[] {
  return isFaceApiModel(preset) ? faceApiParamSpecs(numClasses) : resnetParamSpecs(preset, numClasses);
}

/**
 * torchvision's ResNet initialisation: convs kaiming_normal_(mode='fan_out', nonlinearity='relu'), i.e.
 * N(0, 2 / (cout·k·k)); BatchNorm γ = 1, β = 0, running mean 0, running var 1; the Linear head keeps PyTorch's
 * default, U(±1/√in) for weight and bias (kaiming_uniform_ with a = √5). Drawn with our seeded PRNG, one stream
 * per parameter name.
 */
export function initParams(specs: readonly ParamSpec[], seed: number): ParamStore {
  const store: ParamStore = new Map();
  const fcIn = specs.find((s) => s.role === 'fc_weight')?.shape[1];
  for (const spec of specs) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const random = mulberry32(deriveSeed(seed, nameHash(spec.name)));
    switch (spec.role) {
      case 'conv': {
        const [cout, , kh, kw] = spec.shape as [number, number, number, number];
        const std = Math.sqrt(2 / (cout * kh * kw));
        for (let i = 0; i < n; i++) data[i] = gaussian(random, 0, std);
        break;
      }
      case 'bn_weight':
      case 'bn_running_var':
        data.fill(1);
        break;
      case 'fc_weight':
      case 'fc_bias': {
        if (fcIn === undefined) throw new Error(`"${spec.name}" needs the fc weight's input size for its bound`);
        const bound = 1 / Math.sqrt(fcIn);
        for (let i = 0; i < n; i++) data[i] = uniform(random, -bound, bound);
        break;
      }
      default:
        break; // β, running means and conv biases start at zero
    }
    store.set(spec.name, data);
  }
  return store;
}

/** The state_dict prefix of the first parameter of `layer` (an attention layer of the model). */
function layerPrefix(preset: ModelName | string, numClasses: number, layer: string): string {
  if (isFaceApiModel(preset)) return `${layer}.`;
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
