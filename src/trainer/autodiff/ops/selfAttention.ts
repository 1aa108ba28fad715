/**
 * Multi-head self-attention as timm's `Attention` (qkv_bias=True, no q/k norm), composed from the differentiable
 * ops, so its backward is theirs. All heads run in one batched product each: the heads become a batch axis by
 * Reshape and Transpose, never by a loop.
 */
import type { Tensor } from '../../onnx/graph';
import type { Tape } from '../tape';
import { Linear } from './linear';
import { BatchMatMul } from './matmul';
import { Softmax } from './softmax';
import { Reshape, Split, Transpose } from './shape';

/** The attention's parameters in timm's layout: qkv (3C, C) with rows [q; k; v], each head a block of C/H rows. */
export interface AttentionWeights {
  readonly qkvWeight: Tensor;
  readonly qkvBias: Tensor;
  readonly projWeight: Tensor;
  readonly projBias: Tensor;
}

export interface SelfAttention {
  /** (N·T, C): the projected output, rows image-major as the input. */
  readonly output: Tensor;
  /** (N, H, T, T): each head's softmax weights, row = query token (attention rollout, class-token attention). */
  readonly probs: Tensor;
  /** (N·H, T, T): the same softmax on the path to the output, of which `probs` is a reshaped copy (gradients). */
  readonly softmax: Tensor;
}

/**
 * x (N·T, C), the tokens of `batch` images stacked image-major → softmax(q·kᵀ/√d)·v per head, then the output
 * projection. qkv (N·T, 3C) → (N, T, 3, H, d) → (3, N, H, T, d) → q, k, v as (N·H, T, d).
 */
export function selfAttention(tape: Tape, x: Tensor, batch: number, heads: number, w: AttentionWeights): SelfAttention {
  const [rows, c] = x.shape as [number, number];
  const tokens = rows / batch;
  const d = c / heads;
  if (x.shape.length !== 2 || !Number.isInteger(tokens) || !Number.isInteger(d)) {
    const what = `x (N·T, C) with C divisible by ${heads} heads and N = ${batch}`;
    throw new RangeError(`selfAttention needs ${what}, got [${x.shape}]`);
  }
  const qkv = tape.apply1(Linear, [x, w.qkvWeight, w.qkvBias], undefined);
  const split = tape.apply1(Transpose, [tape.apply1(Reshape, [qkv], [batch, tokens, 3, heads, d])], [2, 0, 3, 1, 4]);
  const parts = tape.apply(Split, [split], { axis: 0, parts: 3 });
  const [q, k, v] = parts.map((t) => tape.apply1(Reshape, [t], [batch * heads, tokens, d]));
  const scores = tape.apply1(BatchMatMul, [q!, k!], { transB: true, alpha: 1 / Math.sqrt(d) });
  const probs = tape.apply1(Softmax, [scores], undefined);
  const mixed = tape.apply1(BatchMatMul, [probs, v!], {});
  // (N·H, T, d) → (N, T, H, d) → (N·T, C): heads side by side again, as timm's transpose(1, 2).reshape.
  const merged = tape.apply1(Transpose, [tape.apply1(Reshape, [mixed], [batch, heads, tokens, d])], [0, 2, 1, 3]);
  const output = tape.apply1(Linear, [tape.apply1(Reshape, [merged], [rows, c]), w.projWeight, w.projBias], undefined);
  return { output, probs: tape.apply1(Reshape, [probs], [batch, heads, tokens, tokens]), softmax: probs };
}
