/**
 * What a transformer's attention probabilities (N, heads, T, T) — the Softmax of each block, row = query token —
 * say about space, as maps on the patch grid: the class token's row over the patches, and the attention rollout of
 * all blocks. The first `skip` tokens are not patches (the class token, first, and a distillation token); the rest
 * fill the grid row by row, as timm and torchvision lay them out. The vit64/DeiT presets (vit.ts) and imported ViTs
 * (import/importedRollout.ts) build their maps here.
 */
import { ChannelMean } from '../autodiff/ops/attention';
import { BroadcastAdd, Expand } from '../autodiff/ops/broadcast';
import { BatchMatMul } from '../autodiff/ops/matmul';
import { Reshape, Slice } from '../autodiff/ops/shape';
import type { Tape } from '../autodiff/tape';
import type { Tensor } from '../onnx/graph';

/** The patch grid [H, W] and how many tokens precede the patches. */
export interface PatchGrid {
  readonly grid: readonly [number, number];
  readonly skip: number;
}

/** The tokens T of a layout: the ones before the patches, then one per patch. */
export function tokenCount(patches: PatchGrid): number {
  return patches.skip + patches.grid[0] * patches.grid[1];
}

/** (N, H, T, T) → the class token's row over the patches, (N, H, gh, gw). */
export function classRow(tape: Tape, probs: Tensor, patches: PatchGrid): Tensor {
  const [n, h, t] = probs.shape as [number, number, number];
  const [gh, gw] = patches.grid;
  const row = tape.apply1(Slice, [probs], { starts: [0, patches.skip], ends: [1, t], axes: [2, 3] });
  return tape.apply1(Reshape, [row], [n, h, gh, gw]);
}

/**
 * Attention rollout (Abnar & Zuidema 2020, "Quantifying Attention Flow in Transformers", eq. 1 with the residual
 * as identity): Ã_l = ½·mean_heads(A_l) + ½·I, rows summing to one; R = Ã_L·…·Ã_1; the class token's row over the
 * patches, (N, 1, gh, gw). Heads fused by their mean and no attention discarded (vit-explain's discard_ratio 0). It
 * is differentiable, so it can be aligned with the AU maps like any layer. `probs` are the blocks' (N, heads, T, T)
 * in block order.
 */
export function attentionRollout(tape: Tape, probs: readonly Tensor[], patches: PatchGrid): Tensor {
  const [n, , t] = probs[0]!.shape as [number, number, number];
  const eye = new Float32Array(t * t);
  for (let i = 0; i < t; i++) eye[i * t + i] = 1;
  const identity = tape.graph.constant(eye, [1, t, t]);
  let r = tape.apply1(Expand, [identity], [n, t, t]);
  for (const p of probs) {
    const mixed = tape.apply1(BroadcastAdd, [tape.apply1(ChannelMean, [p], undefined), identity], undefined);
    r = tape.apply1(BatchMatMul, [mixed, r], { alpha: 0.5 });
  }
  return classRow(tape, tape.apply1(Reshape, [r], [n, 1, t, t]), patches);
}
