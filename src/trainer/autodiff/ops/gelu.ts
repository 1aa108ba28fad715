/**
 * GELU, y = x·Φ(x), in PyTorch's two forms (F.gelu's `approximate`): 'none' with the exact normal CDF
 * Φ(x) = ½(1 + erf(x/√2)), and 'tanh' with Φ(x) ≈ ½(1 + tanh(√(2/π)·(x + 0.044715·x³))). ONNX's Gelu op is
 * opset 20, past our opset 17, so both are built from Erf or Tanh in the shape ONNX Runtime fuses back into one
 * Gelu or FastGelu kernel; the backward recomputes from x, leaving the forward's intermediates to that fusion.
 */
import type { Graph, Tensor } from '../../onnx/graph';
import { add, mul, sub, unary } from '../../onnx/ops';
import type { DiffOp } from '../tape';

export interface GeluParams {
  readonly approximate: 'none' | 'tanh';
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const CUBIC = 0.044715;

function elementwise(g: Graph, op: 'Erf' | 'Tanh', x: Tensor): Tensor {
  return g.node(op, [x], [{ dtype: x.dtype, shape: x.shape }])[0]!;
}

/** erf(x/√2) or tanh(√(2/π)·(x + 0.044715·x³)): the bracket's odd part, shared by forward and backward. */
function core(g: Graph, x: Tensor, approximate: GeluParams['approximate']): Tensor {
  if (approximate === 'none') return elementwise(g, 'Erf', mul(g, x, g.scalar(Math.SQRT1_2)));
  const cube = mul(g, mul(g, x, x), x);
  return elementwise(g, 'Tanh', mul(g, add(g, x, mul(g, cube, g.scalar(CUBIC))), g.scalar(SQRT_2_OVER_PI)));
}

/**
 * dy/dx = Φ(x) + x·Φ'(x): exact, Φ' = exp(−x²/2)/√(2π); tanh form, with t the tanh,
 * Φ' = ½(1 − t²)·√(2/π)·(1 + 3·0.044715·x²).
 */
export const Gelu: DiffOp<GeluParams> = {
  name: 'Gelu',
  forward: (g, [x], { approximate }) => {
    // x·½·(1 + core): the operand order of PyTorch's ONNX export, which ORT's Gelu and FastGelu fusions match.
    const y = mul(g, mul(g, x!, g.scalar(0.5)), add(g, core(g, x!, approximate), g.scalar(1)));
    return { outputs: [y], saved: undefined };
  },
  backward: (g, { inputs: [x], params: { approximate } }, [dy]) => {
    const t = core(g, x!, approximate);
    const cdf = mul(g, add(g, t, g.scalar(1)), g.scalar(0.5));
    const x2 = mul(g, x!, x!);
    let pdf: Tensor;
    if (approximate === 'none') {
      pdf = mul(g, unary(g, 'Exp', mul(g, x2, g.scalar(-0.5))), g.scalar(1 / Math.sqrt(2 * Math.PI)));
    } else {
      const slope = add(g, mul(g, x2, g.scalar(3 * CUBIC * SQRT_2_OVER_PI)), g.scalar(SQRT_2_OVER_PI));
      pdf = mul(g, mul(g, sub(g, g.scalar(1), mul(g, t, t)), slope), g.scalar(0.5));
    }
    return [mul(g, dy!, add(g, cdf, mul(g, x!, pdf)))];
  },
};
