/**
 * Layer normalisation over the last axis with PyTorch's nn.LayerNorm semantics (biased variance, ε inside the
 * square root), forward through ONNX's LayerNormalization (opset 17), which also returns each row's mean and
 * 1/σ for the backward.
 */
import type { Tensor } from '../../onnx/graph';
import { mul, reduceMean, reduceSum, sub } from '../../onnx/ops';
import type { DiffOp } from '../tape';

export interface LayerNormParams {
  /** nn.LayerNorm's default is 1e-5; timm's ViTs use 1e-6. */
  readonly epsilon: number;
}

export interface LayerNormSaved {
  /** (…, 1) row means and 1/sqrt(variance + ε). */
  readonly mean: Tensor;
  readonly invstd: Tensor;
}

/**
 * Inputs [x (…, C), γ (C), β (C)] → y = x̂·γ + β with x̂ = (x − μ)·invstd per row. Closed-form backward
 * with g = dy·γ: dx = invstd·(g − mean(g) − x̂·mean(g·x̂)), dγ = Σ_rows dy·x̂, dβ = Σ_rows dy.
 */
export const LayerNorm: DiffOp<LayerNormParams, LayerNormSaved> = {
  name: 'LayerNorm',
  forward: (g, [x, gamma, beta], { epsilon }) => {
    const c = x!.shape[x!.shape.length - 1];
    if (x!.shape.length < 2 || gamma!.shape.join() !== String(c) || beta!.shape.join() !== String(c)) {
      const shapes = `[${x!.shape}], [${gamma!.shape}], [${beta!.shape}]`;
      throw new RangeError(`LayerNorm needs x (…, C) and γ, β (C), got ${shapes}`);
    }
    const stat = { dtype: 'float32' as const, shape: [...x!.shape.slice(0, -1), 1] };
    const outs = [{ dtype: 'float32' as const, shape: x!.shape }, stat, stat];
    const [y, mean, invstd] = g.node('LayerNormalization', [x, gamma, beta], outs, {
      axis: { i: -1 }, epsilon: { f: epsilon },
    });
    return { outputs: [y!], saved: { mean: mean!, invstd: invstd! } };
  },
  backward: (g, { inputs: [x, gamma], saved: { mean, invstd } }, [dy], needed) => {
    const last = x!.shape.length - 1;
    const rows = [...x!.shape.keys()].slice(0, -1);
    const xhat = mul(g, sub(g, x!, mean), invstd);
    let dx: Tensor | undefined;
    if (needed[0]) {
      const gy = mul(g, dy!, gamma!);
      const centred = sub(g, gy, reduceMean(g, gy, [last]));
      dx = mul(g, sub(g, centred, mul(g, xhat, reduceMean(g, mul(g, gy, xhat), [last]))), invstd);
    }
    return [
      dx,
      needed[1] ? reduceSum(g, mul(g, dy!, xhat), rows, false) : undefined,
      needed[2] ? reduceSum(g, dy!, rows, false) : undefined,
    ];
  },
};
