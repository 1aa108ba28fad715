/**
 * Batch normalisation over (N, C, H, W) with PyTorch's BatchNorm2d semantics: training normalises with the
 * biased batch variance and reports the unbiased one for the running statistics; evaluation uses the running
 * statistics. Both backwards are closed forms, so no reduction graph is differentiated node by node.
 */
import type { Graph, Tensor } from '../../onnx/graph';
import { add, batchNormInference, mul, reduceMean, reduceSum, reshape, sub, unary } from '../../onnx/ops';
import type { DiffOp } from '../tape';

/** The reduction axes of a per-channel statistic. */
const STAT_AXES = [0, 2, 3];

export interface BatchNormParams {
  readonly epsilon: number;
}

export interface BatchNormTrainSaved {
  /** (N, C, H, W) x − batch mean. */
  readonly centred: Tensor;
  /** (1, C, 1, 1) 1 / sqrt(biased variance + ε). */
  readonly invstd: Tensor;
}

/** A (C) vector as (1, C, 1, 1), to broadcast against (N, C, H, W). */
function perChannel(g: Graph, v: Tensor): Tensor {
  return reshape(g, v, [1, v.shape[0]!, 1, 1]);
}

/** (1, C, 1, 1) → (C). */
function channelVector(g: Graph, v: Tensor): Tensor {
  return reshape(g, v, [v.shape[1]!]);
}

/**
 * y = x·scale + bias per channel in one pass, through ONNX BatchNormalization with mean 0, variance 1 and ε 0
 * (ORT folds those into the same scale and bias): one kernel instead of a Mul and an Add over the whole tensor.
 */
function channelAffine(g: Graph, x: Tensor, scale: Tensor, bias: Tensor): Tensor {
  const c = x.shape[1]!;
  const mean = g.constant(new Float32Array(c), [c]);
  const variance = g.constant(new Float32Array(c).fill(1), [c]);
  return g.node('BatchNormalization', [x, scale, bias, mean, variance], [{ dtype: 'float32', shape: x.shape }], {
    epsilon: { f: 0 },
  })[0]!;
}

function invStd(g: Graph, variance: Tensor, epsilon: number): Tensor {
  return unary(g, 'Reciprocal', unary(g, 'Sqrt', add(g, variance, g.scalar(epsilon))));
}

function checkInput(name: string, x: Tensor, gamma: Tensor): void {
  if (x.shape.length !== 4 || gamma.shape.length !== 1 || gamma.shape[0] !== x.shape[1]) {
    throw new RangeError(
      `${name} needs x (N,C,H,W) and per-channel parameters (C), got [${x.shape}] and [${gamma.shape}]`,
    );
  }
}

/**
 * Inputs [x (N,C,H,W), γ (C), β (C)] → [y, batch mean (C), unbiased batch variance (C)]. The statistics only
 * feed the running-statistics update (`runningStatUpdate`) and get no gradient.
 */
export const BatchNormTrain: DiffOp<BatchNormParams, BatchNormTrainSaved> = {
  name: 'BatchNormTrain',
  // Written for few passes over the (N, C, H, W) tensors, which dominate its cost: the forward stores x − μ and y
  // only (x̂ = (x − μ)·invstd never exists; the backward folds invstd into per-channel factors). ReduceSumSquare
  // for the variance would save another pass, but ORT's sums it less accurately than ReduceMean of the squares
  // (the golden test's step-2 running mean moved from 4e-5 to 1.7e-4 relative).
  forward: (g, [x, gamma, beta], { epsilon }) => {
    checkInput('BatchNormTrain', x!, gamma!);
    const [n, , h, w] = x!.shape as [number, number, number, number];
    const m = n * h * w;
    // torch raises "Expected more than 1 value per channel when training" here too: the unbiased variance is undefined.
    if (m < 2) throw new RangeError(`BatchNormTrain needs more than one value per channel, got [${x!.shape}]`);
    const mean = reduceMean(g, x!, STAT_AXES);
    const centred = sub(g, x!, mean);
    // PyTorch normalises with the biased variance …
    const variance = reduceMean(g, mul(g, centred, centred), STAT_AXES);
    const invstd = invStd(g, variance, epsilon);
    // y = (x − μ)·(γ·invstd) + β
    const y = channelAffine(g, centred, channelVector(g, mul(g, perChannel(g, gamma!), invstd)), beta!);
    // … but updates running_var with the unbiased one.
    const unbiased = mul(g, channelVector(g, variance), g.scalar(m / (m - 1)));
    return { outputs: [y, channelVector(g, mean), unbiased], saved: { centred, invstd } };
  },
  backward: (g, { inputs: [, gamma], saved: { centred, invstd } }, [dy], needed) => {
    if (!dy) return [undefined, undefined, undefined];
    const [n, , h, w] = centred.shape as [number, number, number, number];
    const m = n * h * w;
    const sumDy = needed[0] || needed[2] ? reduceSum(g, dy, STAT_AXES) : undefined;
    // Σ(dy·x̂) = invstd·Σ(dy·(x − μ)): dγ, and the x̂ term of dx.
    const sumDyXhat = needed[0] || needed[1] ? mul(g, reduceSum(g, mul(g, dy, centred), STAT_AXES), invstd) : undefined;
    let dx: Tensor | undefined;
    if (needed[0]) {
      // dx = (γ·invstd/M)·(M·dy − Σdy − x̂·Σ(dy·x̂)) = dy·k1 + ((x − μ)·k2 + k3) with per-channel k's,
      // k2 = −(k1/M)·invstd·Σ(dy·x̂) and k3 = −(k1/M)·Σdy; the bracket is one affine pass.
      const k1 = mul(g, perChannel(g, gamma!), invstd);
      const k1OverM = mul(g, k1, g.scalar(-1 / m));
      const k2 = mul(g, mul(g, k1OverM, invstd), sumDyXhat!);
      const k3 = mul(g, k1OverM, sumDy!);
      dx = add(g, mul(g, dy, k1), channelAffine(g, centred, channelVector(g, k2), channelVector(g, k3)));
    }
    return [
      dx,
      sumDyXhat && needed[1] ? channelVector(g, sumDyXhat) : undefined,
      sumDy && needed[2] ? channelVector(g, sumDy) : undefined,
    ];
  },
};

/**
 * Inputs [x, γ, β, running mean, running variance] → y with the running statistics (eval mode). Grad-CAM
 * differentiates through it; the running statistics get no gradient.
 */
export const BatchNormEval: DiffOp<BatchNormParams> = {
  name: 'BatchNormEval',
  forward: (g, [x, gamma, beta, mean, variance], { epsilon }) => {
    checkInput('BatchNormEval', x!, gamma!);
    return { outputs: [batchNormInference(g, x!, gamma!, beta!, mean!, variance!, epsilon)], saved: undefined };
  },
  backward: (g, { inputs: [x, gamma, , mean, variance], params: { epsilon } }, [dy], needed) => {
    if (!dy) return [];
    const invstd = perChannel(g, invStd(g, variance!, epsilon));
    const dx = needed[0] ? mul(g, dy, mul(g, perChannel(g, gamma!), invstd)) : undefined;
    const dgamma = needed[1]
      ? reduceSum(g, mul(g, dy, mul(g, sub(g, x!, perChannel(g, mean!)), invstd)), STAT_AXES, false)
      : undefined;
    const dbeta = needed[2] ? reduceSum(g, dy, STAT_AXES, false) : undefined;
    return [dx, dgamma, dbeta, undefined, undefined];
  },
};

/** PyTorch's running-statistics update: running ← (1 − momentum)·running + momentum·batch statistic. */
export function runningStatUpdate(g: Graph, running: Tensor, batchStat: Tensor, momentum = 0.1): Tensor {
  return add(g, mul(g, running, g.scalar(1 - momentum)), mul(g, batchStat, g.scalar(momentum)));
}
