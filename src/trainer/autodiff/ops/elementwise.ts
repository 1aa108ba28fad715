import type { Tensor } from '../../onnx/graph';
import { add, compare, unary, where, zerosLike } from '../../onnx/ops';
import type { DiffOp } from '../tape';

/** y = max(x, 0); the backward passes dy where y > 0. */
export const Relu: DiffOp = {
  name: 'Relu',
  forward: (g, [x]) => ({ outputs: [unary(g, 'Relu', x!)], saved: undefined }),
  backward: (g, { outputs: [y] }, [dy]) => [where(g, compare(g, 'Greater', y!, g.scalar(0)), dy!, zerosLike(g, dy!))],
};

/** y = a + b for tensors of one shape (residual connections). */
export const Add: DiffOp = {
  name: 'Add',
  forward: (g, [a, b]) => {
    if (a!.shape.join() !== b!.shape.join()) throw new RangeError(`Add needs equal shapes, got [${a!.shape}] and [${b!.shape}]`);
    return { outputs: [add(g, a!, b!)], saved: undefined };
  },
  backward: (_g, _ctx, [dy]) => [dy as Tensor, dy as Tensor],
};
