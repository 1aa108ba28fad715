/**
 * The two terms of the paper's composite loss (§5), each a scalar with a closed-form backward: the
 * classification cross-entropy and the attention–AU-map cosine alignment, as the PyTorch peer computes them.
 */
import { oneHot, softmax } from '../../onnx/classScores';
import type { Graph, Tensor } from '../../onnx/graph';
import { binary, cast, compare, div, mul, reduceMean, reduceSum, reshape, sub, unary } from '../../onnx/ops';
import type { DiffOp } from '../tape';

export interface SoftmaxCrossEntropySaved {
  readonly logProbs: Tensor;
  readonly targets: Tensor;
  readonly weights?: Tensor;
}

/** A scalar gradient broadcast against a tensor of rank r, as a (1, …, 1) tensor. */
function scalarGrad(g: Graph, dl: Tensor, rank: number): Tensor {
  return reshape(g, dl, new Array<number>(rank).fill(1));
}

/**
 * Inputs [logits (N,K), labels int64 (N)] → mean cross-entropy, as F.cross_entropy (no smoothing). An optional
 * third input, per-sample weights (N) that sum to 1, gives Σ wᵢ·nllᵢ instead of the mean: F.cross_entropy with
 * class weights c is wᵢ = c[yᵢ] / Σⱼ c[yⱼ], which the caller computes from the batch's labels.
 */
export const SoftmaxCrossEntropy: DiffOp<void, SoftmaxCrossEntropySaved> = {
  name: 'SoftmaxCrossEntropy',
  forward: (g, [logits, labels, weights]) => {
    if (logits!.shape.length !== 2 || labels!.dtype !== 'int64' || labels!.shape.join() !== String(logits!.shape[0])) {
      throw new RangeError(
        `SoftmaxCrossEntropy needs logits (N,K) and int64 labels (N), got [${logits!.shape}] and ${labels!.dtype} ` +
          `[${labels!.shape}]`,
      );
    }
    const logProbs = softmax(g, logits!, 1, true);
    const targets = oneHot(g, labels!, logits!.shape[1]!);
    const nll = unary(g, 'Neg', reduceSum(g, mul(g, logProbs, targets), [1], false));
    if (weights === undefined) return { outputs: [reduceMean(g, nll, [0], false)], saved: { logProbs, targets } };
    if (weights.dtype !== 'float32' || weights.shape.join() !== String(logits!.shape[0])) {
      throw new RangeError(`SoftmaxCrossEntropy's weights must be float32 (N), got ${weights.dtype} ` +
        `[${weights.shape}]`);
    }
    return { outputs: [reduceSum(g, mul(g, nll, weights), [0], false)], saved: { logProbs, targets, weights } };
  },
  backward: (g, { saved: { logProbs, targets, weights } }, [dl]) => {
    const n = logProbs.shape[0]!;
    const perSample = weights === undefined ? g.scalar(1 / n) : reshape(g, weights, [n, 1]);
    const scale = mul(g, scalarGrad(g, dl!, 2), perSample);
    return [mul(g, sub(g, unary(g, 'Exp', logProbs), targets), scale), undefined, undefined];
  },
};

/** torch.nn.functional.cosine_similarity's default eps, which the peer keeps. */
const COS_EPS = 1e-8;

export interface CosineAlignmentSaved {
  /** (N, P) flattened attention and target. */
  readonly a: Tensor;
  readonly t: Tensor;
  /** (N, 1) ‖a‖, the clamped norms max(‖a‖, ε) and max(‖t‖, ε), and cos. */
  readonly normA: Tensor;
  readonly na: Tensor;
  readonly nt: Tensor;
  readonly cos: Tensor;
  /** (N, 1) valid and the scalar max(Σ valid, 1). */
  readonly v: Tensor;
  readonly denom: Tensor;
}

/**
 * Inputs [attention (N,H,W), target (N,H,W), valid (N) float 0/1] → Σ_i valid_i·(1 − cos_i) / max(Σ valid, 1),
 * the peer's `composite_loss` alignment term. cos_i is F.cosine_similarity(eps=1e-8) of torch 1.13, which the
 * peer runs: each norm is clamped on its own, ⟨a, t⟩ / (max(‖a‖, ε)·max(‖t‖, ε)) (measured there: a = 1e-5·e₁,
 * t = 1e-5·e₁ gives cos = 1, not the 0.01 that clamping the product would). Only attention gets a gradient.
 */
export const CosineAlignment: DiffOp<void, CosineAlignmentSaved> = {
  name: 'CosineAlignment',
  forward: (g, [attention, target, valid]) => {
    const [n] = attention!.shape as [number];
    if (attention!.shape.join() !== target!.shape.join() || valid!.shape.join() !== String(n)) {
      throw new RangeError(
        `CosineAlignment needs attention and target of one shape and valid (N), got [${attention!.shape}], ` +
          `[${target!.shape}], [${valid!.shape}]`,
      );
    }
    const p = attention!.shape.slice(1).reduce((x, y) => x * y, 1);
    const a = reshape(g, attention!, [n, p]);
    const t = reshape(g, target!, [n, p]);
    const eps = g.scalar(COS_EPS);
    const norm = (v: Tensor): Tensor => unary(g, 'Sqrt', reduceSum(g, mul(g, v, v), [1]));
    const normA = norm(a);
    const na = binary(g, 'Max', normA, eps);
    const nt = binary(g, 'Max', norm(t), eps);
    const cos = div(g, reduceSum(g, mul(g, a, t), [1]), mul(g, na, nt));
    const v = reshape(g, valid!, [n, 1]);
    const denom = binary(g, 'Max', reduceSum(g, valid!, [0], false), g.scalar(1));
    const loss = div(g, reduceSum(g, mul(g, sub(g, g.scalar(1), cos), v), [0, 1], false), denom);
    return { outputs: [loss], saved: { a, t, normA, na, nt, cos, v, denom } };
  },
  backward: (g, { inputs: [attention], saved: { a, t, normA, na, nt, cos, v, denom } }, [dl]) => {
    // ∂cos/∂a = t/(na·nt) − [‖a‖ > ε]·cos·a/na²: the clamp passes no gradient where it is active.
    const unclamped = cast(g, compare(g, 'Greater', normA, g.scalar(COS_EPS)), 'float32');
    const direct = div(g, t, mul(g, na, nt));
    const radial = mul(g, a, div(g, mul(g, cos, unclamped), mul(g, na, na)));
    // ∂loss/∂cos_i = −valid_i / max(Σ valid, 1).
    const coef = mul(g, unary(g, 'Neg', div(g, v, denom)), scalarGrad(g, dl!, 2));
    return [reshape(g, mul(g, sub(g, direct, radial), coef), attention!.shape), undefined, undefined];
  },
};
