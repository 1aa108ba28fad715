/**
 * Ops over class scores and labels: (log-)softmax and one-hot rows. On WebGPU they take forms its provider has
 * (it lacks LogSoftmax and OneHot, and leaves int64 arithmetic to the CPU); the CPU keeps the single ops.
 */
import type { Graph, Tensor } from './graph';
import { cast, compare, reduceMax, reduceSum, sub, unary, unsqueeze } from './ops';

export function softmax(g: Graph, x: Tensor, axis = -1, log = false): Tensor {
  if (log && g.device === 'webgpu') {
    // x − max − log Σ exp(x − max), as ONNX defines LogSoftmax, for a provider without that kernel. The CPU keeps
    // LogSoftmax: a few µs faster per step, measured on (32, 7) logits.
    const shifted = sub(g, x, reduceMax(g, x, [axis]));
    return sub(g, shifted, unary(g, 'Log', reduceSum(g, unary(g, 'Exp', shifted), [axis])));
  }
  return g.node(log ? 'LogSoftmax' : 'Softmax', [x], [{ dtype: x.dtype, shape: x.shape }], { axis: { i: axis } })[0]!;
}

/** (…) int64 class indices in [0, depth) → (…, depth) float32 one-hot rows. */
export function oneHot(g: Graph, labels: Tensor, depth: number): Tensor {
  if (g.device === 'webgpu') {
    // Equal(label, k) in float32 for a provider without OneHot that leaves int64 arithmetic to the CPU: only the
    // cast of the labels, one value per image, stays there.
    const classes = g.constant(Float32Array.from({ length: depth }, (_, k) => k), [depth]);
    return cast(g, compare(g, 'Equal', unsqueeze(g, cast(g, labels, 'float32'), [-1]), classes), 'float32');
  }
  return g.node(
    'OneHot',
    [labels, g.constant([depth], [], 'int64'), g.constant([0, 1], [2])],
    [{ dtype: 'float32', shape: [...labels.shape, depth] }],
    { axis: { i: -1 } },
  )[0]!;
}
