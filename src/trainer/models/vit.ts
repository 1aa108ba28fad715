/**
 * The forward pass of a vision transformer (vitArch.ts) through the tape, so one builder serves training,
 * evaluation and explanation; a ViT has no BatchNorm, dropout or stochastic depth here, so its train and eval
 * graphs are the same. The residual stream is kept as one (N·T, C) matrix, which the LayerNorms, the Linear
 * layers (one Gemm each) and the attention's reshapes take without a copy.
 *
 * Per block it offers what the AU loss and the CAM methods align or weigh, each in the (N, C, H, W) layout of
 * a CNN stage so the composite loss and the CAMs take it as they take a stage (layer names: vitPresets.ts):
 * - 'blockK', the token grid: the block's patch tokens reshaped to the grid, (N, C, g, g) (TS-CAM's and
 *   pytorch-grad-cam's reshape); its channel mean is the block's "attention" map, as a CNN stage's;
 * - 'blockK.cls', the class token's attention to the patches, (N, heads, g, g); its channel mean is the head mean.
 * Both are emitted on first request (Forward.stage): ONNX Runtime keeps nodes whose outputs nothing reads, and a
 * grid costs a transposed copy of the block's tokens.
 */
import { BroadcastAdd, Expand } from '../autodiff/ops/broadcast';
import { Add } from '../autodiff/ops/elementwise';
import { Gelu } from '../autodiff/ops/gelu';
import { LayerNorm } from '../autodiff/ops/layerNorm';
import { Linear } from '../autodiff/ops/linear';
import { selfAttention } from '../autodiff/ops/selfAttention';
import { Concat, Gather, Reshape, Slice, SpaceToDepth, Transpose } from '../autodiff/ops/shape';
import type { Tape } from '../autodiff/tape';
import type { Tensor } from '../onnx/graph';
import { sameShape } from '../onnx/graph';
import type { VitArch } from './vitArch';
import type { Forward, GradientSource } from './types';
import type { PatchGrid } from './attentionRollout';
import { attentionRollout, classRow } from './attentionRollout';
import { checkVitArch, vitBlockName, vitGrid, vitTokens } from './vitArch';
import { classAttentionBlock, classAttentionLayer, ROLLOUT_LAYER } from './vitPresets';

/**
 * (N, 3, S, S) → (N·g², p²·3): each patch a row, in SpaceToDepth's (row, column, channel) order, which
 * `patchKernel` gives the conv weight too.
 */
function patchRows(tape: Tape, image: Tensor, arch: VitArch): Tensor {
  const [n] = image.shape as [number];
  const g = vitGrid(arch);
  const depth = 3 * arch.patch ** 2;
  if (tape.graph.device === 'webgpu') {
    // WebGPU has no SpaceToDepth (ORT would copy the images to the CPU and back): the same order by one 6-D
    // Transpose, which the CPU runs slower than SpaceToDepth and a 3-D Transpose.
    const blocks = tape.apply1(Reshape, [image], [n, 3, g, arch.patch, g, arch.patch]);
    return tape.apply1(Reshape, [tape.apply1(Transpose, [blocks], [0, 2, 4, 3, 5, 1])], [n * g * g, depth]);
  }
  const pixels = tape.apply1(Reshape, [tape.apply1(SpaceToDepth, [image], { block: arch.patch })], [n, depth, g * g]);
  return tape.apply1(Reshape, [tape.apply1(Transpose, [pixels], [0, 2, 1])], [n * g * g, depth]);
}

/** The patch conv's weight (C, 3, p, p) as (C, p²·3), the order of patchRows. */
function patchKernel(tape: Tape, weight: Tensor): Tensor {
  const [c, cin, p] = weight.shape as [number, number, number];
  return tape.apply1(Reshape, [tape.apply1(Transpose, [weight], [0, 2, 3, 1])], [c, p * p * cin]);
}

/** Rows (N·T, C) of the residual stream → the patch tokens as (N, C, g, g). */
function tokenGrid(tape: Tape, x: Tensor, n: number, arch: VitArch): Tensor {
  const t = vitTokens(arch);
  const g = vitGrid(arch);
  const rows = tape.apply1(Reshape, [x], [n, t, arch.width]);
  const patches = tape.apply1(Slice, [rows], { starts: [1], ends: [t], axes: [1] });
  return tape.apply1(Reshape, [tape.apply1(Transpose, [patches], [0, 2, 1])], [n, arch.width, g, g]);
}

/** The forward of `arch` on normalised images (N, 3, S, S), with the weights of vitParamSpecs by name. */
export function buildVitForward(
  tape: Tape, arch: VitArch, image: Tensor, params: ReadonlyMap<string, Tensor>,
): Forward {
  checkVitArch(arch);
  const s = arch.imageSize;
  if (image.shape.length !== 4 || !sameShape(image.shape.slice(1), [3, s, s])) {
    throw new RangeError(`this ViT needs images (N, 3, ${s}, ${s}), got [${image.shape.join(', ')}]`);
  }
  const param = (name: string): Tensor => {
    const t = params.get(name);
    if (!t) throw new Error(`missing parameter "${name}"`);
    return t;
  };
  const linear = (x: Tensor, name: string): Tensor =>
    tape.apply1(Linear, [x, param(`${name}.weight`), param(`${name}.bias`)], undefined);
  const norm = (x: Tensor, name: string): Tensor =>
    tape.apply1(LayerNorm, [x, param(`${name}.weight`), param(`${name}.bias`)], { epsilon: arch.epsilon });
  const [n] = image.shape as [number];
  const c = arch.width;
  const t = vitTokens(arch);
  const patchGrid: PatchGrid = { grid: [vitGrid(arch), vitGrid(arch)], skip: 1 };

  // The patch embedding is a stride-p conv; as patches × weight it is one Gemm, and its rows are already tokens.
  const kernel = patchKernel(tape, param('patch_embed.proj.weight'));
  const patchPixels = patchRows(tape, image, arch);
  const patches = tape.apply1(Linear, [patchPixels, kernel, param('patch_embed.proj.bias')], undefined);
  const cls = tape.apply1(Expand, [param('cls_token')], [n, 1, c]);
  const tokens = tape.apply1(Concat, [cls, tape.apply1(Reshape, [patches], [n, t - 1, c])], { axis: 1 });
  let x = tape.apply1(Reshape, [tape.apply1(BroadcastAdd, [tokens, param('pos_embed')], undefined)], [n * t, c]);

  const outputs = new Map<string, Tensor>();
  const attention = new Map<string, Tensor>();
  const softmaxes = new Map<string, Tensor>();
  for (let i = 0; i < arch.depth; i++) {
    const b = `blocks.${i}`;
    const attn = selfAttention(tape, norm(x, `${b}.norm1`), n, arch.heads, {
      qkvWeight: param(`${b}.attn.qkv.weight`), qkvBias: param(`${b}.attn.qkv.bias`),
      projWeight: param(`${b}.attn.proj.weight`), projBias: param(`${b}.attn.proj.bias`),
    });
    x = tape.apply1(Add, [x, attn.output], undefined);
    const hidden = tape.apply1(Gelu, [linear(norm(x, `${b}.norm2`), `${b}.mlp.fc1`)], { approximate: arch.gelu });
    x = tape.apply1(Add, [x, linear(hidden, `${b}.mlp.fc2`)], undefined);
    outputs.set(vitBlockName(i + 1), x);
    attention.set(vitBlockName(i + 1), attn.probs);
    softmaxes.set(vitBlockName(i + 1), attn.softmax);
  }
  // timm normalises every token and then takes the class token; LayerNorm is per token, so norm(x[:, 0]) is the same.
  const classToken = tape.apply1(Gather, [tape.apply1(Reshape, [x], [n, t, c])], { axis: 1, index: 0 });
  const logits = linear(norm(classToken, 'norm'), 'head');
  const layers = [...outputs.keys(), ...[...outputs.keys()].map(classAttentionLayer), ROLLOUT_LAYER];
  const gradientSource = (layer: string): GradientSource => {
    if (layer === ROLLOUT_LAYER) {
      throw new RangeError(
        `"${ROLLOUT_LAYER}" is computed beside the network from its attention, so no class score has a gradient ` +
          'there; take the gradient CAMs at a block layer',
      );
    }
    const block = classAttentionBlock(layer) ?? layer;
    const x = outputs.get(block);
    const softmax = softmaxes.get(block);
    if (!x || !softmax || !layers.includes(layer)) {
      throw new RangeError(`this ViT has no layer "${layer}"; its layers: ${layers.join(', ')}`);
    }
    const perHead = (probs: Tensor): Tensor => tape.apply1(Reshape, [probs], [n, arch.heads, t, t]);
    return block === layer
      ? { tensor: x, view: (rows) => tokenGrid(tape, rows, n, arch) }
      : { tensor: softmax, view: (probs) => classRow(tape, perHead(probs), patchGrid) };
  };
  const built = new Map<string, Tensor>();
  const stage = (layer: string): Tensor => {
    if (!built.has(layer)) {
      const make = (): Tensor => {
        if (layer === ROLLOUT_LAYER) return attentionRollout(tape, [...attention.values()], patchGrid);
        const source = gradientSource(layer);
        return source.view(source.tensor);
      };
      built.set(layer, make());
    }
    return built.get(layer)!;
  };
  return { logits, layers, stage, bnStats: [], attention, gradientSource };
}
