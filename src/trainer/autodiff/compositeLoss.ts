/**
 * The paper's training loss (§5) as the PyTorch peer computes it (`composite_loss` in bench.py):
 * CE + λ·mean over the guided layers of the cosine misalignment between each layer's attention and the AU map
 * resized to that layer's size.
 */
import type { Tensor } from '../onnx/graph';
import { add, mul, reshape } from '../onnx/ops';
import { ChannelMean } from './ops/attention';
import { CosineAlignment, SoftmaxCrossEntropy } from './ops/loss';
import { ResizeBilinear } from './ops/resize';
import type { DiffOp, Tape } from './tape';

export interface CompositeLossInputs {
  /** (N, K) class scores. */
  readonly logits: Tensor;
  /** (N) int64 class indices. */
  readonly labels: Tensor;
  /** Stage outputs (N, C, H, W) whose channel means are aligned with the AU maps. */
  readonly attentions: readonly Tensor[];
  /** (N, 1, S, S) AU maps at input resolution; a constant (gets no gradient). */
  readonly auMaps: Tensor;
  /** (N) float 1 where a sample has an AU map (the peer: label ≠ neutral), else 0. */
  readonly auValid: Tensor;
  /** Weight of the alignment term (the peer's default is 4). */
  readonly lambda: number;
  /** (N) float per-sample weights of the cross-entropy, summing to 1 (class weights); default: the plain mean. */
  readonly ceWeights?: Tensor;
}

export interface CompositeLoss {
  readonly total: Tensor;
  readonly ce: Tensor;
  /** The alignment term, before λ; computed even when λ = 0, for logging. */
  readonly align: Tensor;
}

/** y = Σ_k w_k·x_k over scalars. */
const WeightedSum: DiffOp<{ readonly weights: readonly number[] }> = {
  name: 'WeightedSum',
  forward: (g, xs, { weights }) => {
    const terms = xs.map((x, k) => mul(g, x, g.scalar(weights[k]!)));
    return { outputs: [terms.slice(1).reduce((a, b) => add(g, a, b), terms[0]!)], saved: undefined };
  },
  backward: (g, { params: { weights } }, [dy], needed) =>
    weights.map((w, k) => (needed[k] ? mul(g, dy!, g.scalar(w)) : undefined)),
};

export function compositeLoss(tape: Tape, inputs: CompositeLossInputs): CompositeLoss {
  const { logits, labels, attentions, auMaps, auValid, lambda, ceWeights } = inputs;
  const g = tape.graph;
  if (attentions.length === 0) throw new RangeError('compositeLoss needs at least one attention layer');
  const [n, , s1, s2] = auMaps.shape as [number, number, number, number];
  const maps = reshape(g, auMaps, [n, s1, s2]);
  // One resize per distinct layer size; align_corners=False as the peer's F.interpolate.
  const resized = new Map<string, Tensor>();
  const targetFor = (h: number, w: number): Tensor => {
    const key = `${h}x${w}`;
    const cached = resized.get(key);
    if (cached) return cached;
    const t = tape.apply1(ResizeBilinear, [maps], { height: h, width: w, alignCorners: false });
    resized.set(key, t);
    return t;
  };
  const aligns = attentions.map((f) => {
    const attention = tape.apply1(ChannelMean, [f], undefined);
    const [h, w] = attention.shape.slice(1) as [number, number];
    return tape.apply1(CosineAlignment, [attention, targetFor(h, w), auValid], undefined);
  });
  const align =
    aligns.length === 1
      ? aligns[0]!
      : tape.apply1(WeightedSum, aligns, { weights: aligns.map(() => 1 / aligns.length) });
  const ce = tape.apply1(SoftmaxCrossEntropy, ceWeights ? [logits, labels, ceWeights] : [logits, labels], undefined);
  // λ = 0 still gets its own tensor, so total and ce can both be graph outputs.
  const total = lambda === 0
    ? tape.apply1(WeightedSum, [ce], { weights: [1] })
    : tape.apply1(WeightedSum, [ce, align], { weights: [1, lambda] });
  return { total, ce, align };
}
