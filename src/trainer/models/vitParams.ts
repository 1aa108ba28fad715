/**
 * A ViT's parameters under timm's state_dict names and order ('cls_token', 'pos_embed', 'patch_embed.proj.*',
 * 'blocks.0.norm1.*', 'blocks.0.attn.qkv.*', …, 'norm.*', 'head.*'), so weights move to and from timm by name,
 * and timm's initialisation (VisionTransformer.init_weights, mode ''):
 * - pos_embed and every Linear weight (qkv, proj, fc1, fc2, head): trunc_normal_(std=0.02). timm truncates at
 *   ±2 absolute, i.e. 100σ, so in effect a plain normal; drawn here by rejection all the same.
 * - cls_token: normal_(std=1e-6).
 * - Linear biases 0; LayerNorm γ = 1, β = 0.
 * - the patch embedding (a Conv2d, which init_weights_vit_timm leaves alone) keeps PyTorch's default:
 *   weight and bias U(±1/√fan_in), fan_in = 3·patch² (kaiming_uniform_ with a = √5).
 * Drawn with our seeded PRNG, one stream per parameter name, as the CNN presets (params.ts).
 */
import { numel } from '../onnx/graph';
import { deriveSeed, gaussian, mulberry32, nameHash, uniform } from '../science/random';
import type { VitArch } from './vitArch';
import { checkVitArch, vitTokens } from './vitArch';

export type VitInit =
  | { readonly kind: 'truncNormal'; readonly std: number; readonly bound: number }
  | { readonly kind: 'normal'; readonly std: number }
  | { readonly kind: 'uniform'; readonly bound: number }
  | { readonly kind: 'ones' }
  | { readonly kind: 'zeros' };

export interface VitParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: VitInit;
}

const TRUNC_NORMAL: VitInit = { kind: 'truncNormal', std: 0.02, bound: 2 };
const ZEROS: VitInit = { kind: 'zeros' };

/** A timm Linear (out, in): weight trunc-normal, bias zero. */
function linear(name: string, outF: number, inF: number): VitParamSpec[] {
  return [
    { name: `${name}.weight`, shape: [outF, inF], init: TRUNC_NORMAL },
    { name: `${name}.bias`, shape: [outF], init: ZEROS },
  ];
}

function layerNorm(name: string, c: number): VitParamSpec[] {
  return [
    { name: `${name}.weight`, shape: [c], init: { kind: 'ones' } },
    { name: `${name}.bias`, shape: [c], init: ZEROS },
  ];
}

/** Every parameter of the ViT (all trainable: a ViT has no running statistics), in timm's state_dict order. */
export function vitParamSpecs(arch: VitArch, numClasses: number): VitParamSpec[] {
  checkVitArch(arch);
  const c = arch.width;
  const hidden = c * arch.mlpRatio;
  const fanIn = 3 * arch.patch ** 2;
  const patchInit: VitInit = { kind: 'uniform', bound: 1 / Math.sqrt(fanIn) };
  const specs: VitParamSpec[] = [
    { name: 'cls_token', shape: [1, 1, c], init: { kind: 'normal', std: 1e-6 } },
    { name: 'pos_embed', shape: [1, vitTokens(arch), c], init: TRUNC_NORMAL },
    { name: 'patch_embed.proj.weight', shape: [c, 3, arch.patch, arch.patch], init: patchInit },
    { name: 'patch_embed.proj.bias', shape: [c], init: patchInit },
  ];
  for (let i = 0; i < arch.depth; i++) {
    const b = `blocks.${i}`;
    specs.push(
      ...layerNorm(`${b}.norm1`, c), ...linear(`${b}.attn.qkv`, 3 * c, c), ...linear(`${b}.attn.proj`, c, c),
      ...layerNorm(`${b}.norm2`, c), ...linear(`${b}.mlp.fc1`, hidden, c), ...linear(`${b}.mlp.fc2`, c, hidden),
    );
  }
  specs.push(...layerNorm('norm', c), ...linear('head', numClasses, c));
  return specs;
}

function draw(init: VitInit, n: number, seed: number): Float32Array {
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

/** Initial weights by name; the same seed gives the same weights whatever else the model holds. */
export function initVitParams(specs: readonly VitParamSpec[], seed: number): Map<string, Float32Array> {
  return new Map(specs.map((s) => [s.name, draw(s.init, numel(s.shape), deriveSeed(seed, nameHash(s.name)))]));
}
