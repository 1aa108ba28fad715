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
 * Drawn with our seeded PRNG, one stream per parameter name, as the CNN presets (params.ts initParams).
 *
 * Weight decay follows timm's optimiser groups (optim_factory.param_groups_weight_decay, which DeiT's recipe uses):
 * cls_token, pos_embed and every 1-D tensor (biases, LayerNorm γ and β) are not decayed (ParamSpec.decay false).
 */
import type { VitArch } from './vitArch';
import { checkVitArch, vitTokens } from './vitArch';
import type { ParamInit, ParamSpec } from './types';

const TRUNC_NORMAL: ParamInit = { kind: 'truncNormal', std: 0.02, bound: 2 };
const ZEROS: ParamInit = { kind: 'zeros' };

/** A timm Linear (out, in): weight trunc-normal, bias zero and not decayed. */
function linear(name: string, outF: number, inF: number, head = false): ParamSpec[] {
  return [
    { name: `${name}.weight`, shape: [outF, inF], role: head ? 'fc_weight' : 'linear_weight', init: TRUNC_NORMAL },
    { name: `${name}.bias`, shape: [outF], role: head ? 'fc_bias' : 'linear_bias', init: ZEROS, decay: false },
  ];
}

function layerNorm(name: string, c: number): ParamSpec[] {
  return [
    { name: `${name}.weight`, shape: [c], role: 'ln_weight', init: { kind: 'ones' }, decay: false },
    { name: `${name}.bias`, shape: [c], role: 'ln_bias', init: ZEROS, decay: false },
  ];
}

/** Every parameter of the ViT (all trainable: a ViT has no running statistics), in timm's state_dict order. */
export function vitParamSpecs(arch: VitArch, numClasses: number): ParamSpec[] {
  checkVitArch(arch);
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new RangeError(`numClasses must be an integer ≥ 2, got ${numClasses}`);
  }
  const c = arch.width;
  const hidden = c * arch.mlpRatio;
  const fanIn = 3 * arch.patch ** 2;
  const patchInit: ParamInit = { kind: 'uniform', bound: 1 / Math.sqrt(fanIn) };
  const specs: ParamSpec[] = [
    { name: 'cls_token', shape: [1, 1, c], role: 'embedding', init: { kind: 'normal', std: 1e-6 }, decay: false },
    { name: 'pos_embed', shape: [1, vitTokens(arch), c], role: 'embedding', init: TRUNC_NORMAL, decay: false },
    { name: 'patch_embed.proj.weight', shape: [c, 3, arch.patch, arch.patch], role: 'conv', init: patchInit },
    { name: 'patch_embed.proj.bias', shape: [c], role: 'conv_bias', init: patchInit, decay: false },
  ];
  for (let i = 0; i < arch.depth; i++) {
    const b = `blocks.${i}`;
    specs.push(
      ...layerNorm(`${b}.norm1`, c), ...linear(`${b}.attn.qkv`, 3 * c, c), ...linear(`${b}.attn.proj`, c, c),
      ...layerNorm(`${b}.norm2`, c), ...linear(`${b}.mlp.fc1`, hidden, c), ...linear(`${b}.mlp.fc2`, c, hidden),
    );
  }
  specs.push(...layerNorm('norm', c), ...linear('head', numClasses, c, true));
  return specs;
}
