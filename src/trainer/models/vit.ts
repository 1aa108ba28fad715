/**
 * The forward pass of a vision transformer (vitArch.ts) through the tape, so one builder serves training,
 * evaluation and explanation; a ViT has no BatchNorm, dropout or stochastic depth here, so its train and eval
 * graphs are the same. The residual stream is kept as one (N·T, C) matrix, which the LayerNorms, the Linear
 * layers (one Gemm each) and the attention's reshapes take without a copy.
 *
 * Per block it offers what the AU loss and the CAM methods align or weigh, each in the (N, C, H, W) layout of
 * a CNN stage so the composite loss and the CAMs take it as they take a stage:
 * - the token grid: the block's patch tokens reshaped to the grid, (N, C, g, g) (TS-CAM's and pytorch-grad-cam's
 *   reshape); its channel mean is the block's "attention" map, as a CNN stage's;
 * - the class token's attention to the patches, (N, heads, g, g); its channel mean is the head mean.
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
import { checkVitArch, vitBlockName, vitGrid, vitTokens } from './vitArch';

export interface VitForward {
  /** (N, numClasses) */
  readonly logits: Tensor;
  /** block1…blockN, in order. */
  readonly layers: readonly string[];
  /**
   * The block's patch tokens as a grid (N, C, g, g), the CNN stages' analogue. Emitted on first request: ONNX
   * Runtime keeps nodes whose outputs nothing reads, and a grid costs a transposed copy of the block's tokens.
   */
  stage(layer: string): Tensor;
  /** The class token's attention to each patch, per head: (N, heads, g, g); emitted on first request. */
  classAttention(layer: string): Tensor;
  /** block1…blockN → the attention softmax (N, heads, T, T), row = query, token 0 the class token (rollout). */
  readonly attention: ReadonlyMap<string, Tensor>;
}

/**
 * (N, 3, S, S) → (N·g², p²·3): each patch a row, in SpaceToDepth's (row, column, channel) order, which
 * `patchKernel` gives the conv weight too.
 */
function patchRows(tape: Tape, image: Tensor, arch: VitArch): Tensor {
  const [n] = image.shape as [number];
  const g = vitGrid(arch);
  const depth = 3 * arch.patch ** 2;
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

/** (N, H, T, T) → the class token's row without itself, (N, H, g, g). */
function classRow(tape: Tape, probs: Tensor, arch: VitArch): Tensor {
  const [n, h, t] = probs.shape as [number, number, number];
  const g = vitGrid(arch);
  const row = tape.apply1(Slice, [probs], { starts: [0, 1], ends: [1, t], axes: [2, 3] });
  return tape.apply1(Reshape, [row], [n, h, g, g]);
}

/** The forward of `arch` on normalised images (N, 3, S, S), with the weights of vitParamSpecs by name. */
export function buildVitForward(
  tape: Tape, arch: VitArch, image: Tensor, params: ReadonlyMap<string, Tensor>,
): VitForward {
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

  // The patch embedding is a stride-p conv; as patches × weight it is one Gemm, and its rows are already tokens.
  const kernel = patchKernel(tape, param('patch_embed.proj.weight'));
  const patchPixels = patchRows(tape, image, arch);
  const patches = tape.apply1(Linear, [patchPixels, kernel, param('patch_embed.proj.bias')], undefined);
  const cls = tape.apply1(Expand, [param('cls_token')], [n, 1, c]);
  const tokens = tape.apply1(Concat, [cls, tape.apply1(Reshape, [patches], [n, t - 1, c])], { axis: 1 });
  let x = tape.apply1(Reshape, [tape.apply1(BroadcastAdd, [tokens, param('pos_embed')], undefined)], [n * t, c]);

  const outputs = new Map<string, Tensor>();
  const attention = new Map<string, Tensor>();
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
  }
  // timm normalises every token and then takes the class token; LayerNorm is per token, so norm(x[:, 0]) is the same.
  const classToken = tape.apply1(Gather, [tape.apply1(Reshape, [x], [n, t, c])], { axis: 1, index: 0 });
  const logits = linear(norm(classToken, 'norm'), 'head');
  const of = <T>(map: ReadonlyMap<string, T>, layer: string): T => {
    const v = map.get(layer);
    if (v === undefined) throw new RangeError(`this ViT has no layer "${layer}"; it has ${[...map.keys()].join(', ')}`);
    return v;
  };
  const grids = new Map<string, Tensor>();
  const rows = new Map<string, Tensor>();
  const memo = (cache: Map<string, Tensor>, layer: string, make: () => Tensor): Tensor => {
    if (!cache.has(layer)) cache.set(layer, make());
    return cache.get(layer)!;
  };
  return {
    logits,
    layers: [...outputs.keys()],
    stage: (layer) => memo(grids, layer, () => tokenGrid(tape, of(outputs, layer), n, arch)),
    classAttention: (layer) => memo(rows, layer, () => classRow(tape, of(attention, layer), arch)),
    attention,
  };
}
