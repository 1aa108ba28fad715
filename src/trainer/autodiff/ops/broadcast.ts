/**
 * Broadcasting ops (numpy rules): the positional embedding (1, T, C) added to every image's tokens (N, T, C),
 * and the class token (1, 1, C) expanded over the batch. The gradient of a broadcast input is dy summed over
 * the axes it was repeated along.
 */
import type { Graph, Tensor } from '../../onnx/graph';
import { sameShape } from '../../onnx/graph';
import { add, expand, reduceSum, reshape } from '../../onnx/ops';
import type { DiffOp } from '../tape';

/** dy of the broadcast result, summed back to `shape`: over leading axes `shape` lacks and axes where it has 1. */
export function unbroadcast(g: Graph, dy: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(dy.shape, shape)) return dy;
  const lead = dy.shape.length - shape.length;
  const axes = dy.shape.flatMap((d, i) => (i < lead || (shape[i - lead] === 1 && d !== 1) ? [i] : []));
  const summed = axes.length > 0 ? reduceSum(g, dy, axes, true) : dy;
  return reshape(g, summed, shape);
}

/** y = a + b, shapes broadcast against each other. */
export const BroadcastAdd: DiffOp = {
  name: 'BroadcastAdd',
  forward: (g, [a, b]) => ({ outputs: [add(g, a!, b!)], saved: undefined }),
  backward: (g, { inputs: [a, b] }, [dy], needed) => [
    needed[0] ? unbroadcast(g, dy!, a!.shape) : undefined,
    needed[1] ? unbroadcast(g, dy!, b!.shape) : undefined,
  ],
};

/** y = x repeated to `shape` (x's axes are 1 or equal to shape's). */
export const Expand: DiffOp<readonly number[]> = {
  name: 'Expand',
  forward: (g, [x], shape) => {
    const y = expand(g, x!, shape);
    if (!sameShape(y.shape, shape)) {
      throw new RangeError(`Expand of [${x!.shape}] to [${shape}] would give [${y.shape}]`);
    }
    return { outputs: [y], saved: undefined };
  },
  backward: (g, { inputs: [x] }, [dy]) => [unbroadcast(g, dy!, x!.shape)],
};
