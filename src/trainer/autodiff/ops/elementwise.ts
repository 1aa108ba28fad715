import type { Tensor } from '../../onnx/graph';
import { add, cast, compare, mul, unary } from '../../onnx/ops';
import { unbroadcast } from './broadcast';
import type { DiffOp } from '../tape';

/**
 * y = max(x, 0); the backward passes dy where y > 0, as dy times the 0/1 mask: ONNX Runtime's Where is twice as
 * slow as that Mul (12–20 % of a BatchNorm-ReLU block's forward and backward). Unlike PyTorch's
 * threshold_backward, a non-finite dy where y ≤ 0 gives NaN rather than 0; such a step has a non-finite loss or
 * weights anyway, and the training loop keeps its last good state.
 */
export const Relu: DiffOp = {
  name: 'Relu',
  forward: (g, [x]) => ({ outputs: [unary(g, 'Relu', x!)], saved: undefined }),
  backward: (g, { outputs: [y] }, [dy]) => [mul(g, dy!, cast(g, compare(g, 'Greater', y!, g.scalar(0)), 'float32'))],
};

/** y = a + b for tensors of one shape (residual connections). */
export const Add: DiffOp = {
  name: 'Add',
  forward: (g, [a, b]) => {
    if (a!.shape.join() !== b!.shape.join()) {
      throw new RangeError(`Add needs equal shapes, got [${a!.shape}] and [${b!.shape}]`);
    }
    return { outputs: [add(g, a!, b!)], saved: undefined };
  },
  backward: (_g, _ctx, [dy]) => [dy as Tensor, dy as Tensor],
};

/** y = a·b, shapes broadcast (numpy rules): the products and scales of an imported GELU or attention. */
export const Mul: DiffOp = {
  name: 'Mul',
  forward: (g, [a, b]) => ({ outputs: [mul(g, a!, b!)], saved: undefined }),
  backward: (g, { inputs: [a, b] }, [dy], needed) => [
    needed[0] ? unbroadcast(g, mul(g, dy!, b!), a!.shape) : undefined,
    needed[1] ? unbroadcast(g, mul(g, dy!, a!), b!.shape) : undefined,
  ],
};

/** y = erf(x) (an imported exact GELU); dy/dx = 2/√π·exp(−x²). */
export const Erf: DiffOp = {
  name: 'Erf',
  forward: (g, [x]) => ({
    outputs: [g.node('Erf', [x!], [{ dtype: x!.dtype, shape: x!.shape }])[0]!],
    saved: undefined,
  }),
  backward: (g, { inputs: [x] }, [dy]) => [
    mul(g, dy!, mul(g, unary(g, 'Exp', mul(g, mul(g, x!, x!), g.scalar(-1))), g.scalar(2 / Math.sqrt(Math.PI)))),
  ],
};
