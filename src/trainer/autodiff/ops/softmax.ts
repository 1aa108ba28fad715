import { softmax } from '../../onnx/classScores';
import { mul, reduceSum, sub } from '../../onnx/ops';
import type { DiffOp } from '../tape';

/**
 * y = softmax(x) over the last axis (attention weights). The backward is the closed form
 * dx = y·(dy − Σ_last dy·y), from the saved output, so nothing is exponentiated twice.
 */
export const Softmax: DiffOp = {
  name: 'Softmax',
  forward: (g, [x]) => ({ outputs: [softmax(g, x!, -1)], saved: undefined }),
  backward: (g, { outputs: [y] }, [dy]) => {
    const last = y!.shape.length - 1;
    return [mul(g, y!, sub(g, dy!, reduceSum(g, mul(g, dy!, y!), [last])))];
  },
};
