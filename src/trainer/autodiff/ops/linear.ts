import { gemm, reduceSum } from '../../onnx/ops';
import type { DiffOp } from '../tape';

/**
 * y = x·wᵀ + b with inputs x (N, in), w (out, in), b (out): PyTorch's nn.Linear layout, so weights load
 * from and compare with the reference directly.
 */
export const Linear: DiffOp = {
  name: 'Linear',
  forward: (g, [x, w, b]) => {
    const [, inF] = x!.shape;
    const [outF, wIn] = w!.shape;
    if (
      x!.shape.length !== 2 ||
      w!.shape.length !== 2 ||
      wIn !== inF ||
      b!.shape.length !== 1 ||
      b!.shape[0] !== outF
    ) {
      throw new RangeError(
        `Linear needs x (N,in), w (out,in), b (out), got [${x!.shape}], [${w!.shape}], [${b!.shape}]`,
      );
    }
    return { outputs: [gemm(g, x!, w!, b!, { transB: true })], saved: undefined };
  },
  backward: (g, { inputs: [x, w] }, [dy], needed) => [
    needed[0] ? gemm(g, dy!, w!, undefined) : undefined,
    needed[1] ? gemm(g, dy!, x!, undefined, { transA: true }) : undefined,
    needed[2] ? reduceSum(g, dy!, [0], false) : undefined,
  ],
};
