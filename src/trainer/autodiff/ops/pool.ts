/** Max pooling (the ResNet stem's 3×3 s2 p1) and global average pooling (before the classifier). */
import type { Tensor } from '../../onnx/graph';
import { numel } from '../../onnx/graph';
import type { PoolOptions } from '../../onnx/ops';
import { expand, globalAveragePool, maxPool, maxPoolWithIndices, mul, reshape, scatterElements } from '../../onnx/ops';
import type { DiffOp } from '../tape';

/**
 * y = MaxPool(x). The backward scatters dY into the positions of the maxima; ONNX's MaxPool indices are flat
 * over N·C·H·W, and a position that wins several overlapping windows receives the sum of their gradients
 * (ScatterElements with reduction 'add'), as PyTorch's max_pool2d backward does. Only the backward asks MaxPool
 * for the indices (one more pooling of x): ORT's WebGPU provider has no Indices output, so inference and
 * explanation graphs, which have no backward through the pool, then run there too.
 */
export const MaxPool2d: DiffOp<PoolOptions> = {
  name: 'MaxPool2d',
  forward: (g, [x], o) => {
    if (x!.shape.length !== 4) throw new RangeError(`MaxPool2d needs (N,C,H,W), got [${x!.shape}]`);
    return { outputs: [maxPool(g, x!, o)], saved: undefined };
  },
  backward: (g, { inputs: [x], params: o }, [dy]) => {
    const flat = (t: Tensor): Tensor => reshape(g, t, [numel(t.shape)]);
    const [, indices] = maxPoolWithIndices(g, x!, o);
    const zeros = expand(g, g.scalar(0), [numel(x!.shape)]);
    return [reshape(g, scatterElements(g, zeros, flat(indices), flat(dy!), 0, 'add'), x!.shape)];
  },
};

/** y = mean of x over H and W: (N, C, H, W) → (N, C). */
export const GlobalAvgPool: DiffOp = {
  name: 'GlobalAvgPool',
  forward: (g, [x]) => {
    if (x!.shape.length !== 4) throw new RangeError(`GlobalAvgPool needs (N,C,H,W), got [${x!.shape}]`);
    const [n, c] = x!.shape as [number, number];
    return { outputs: [reshape(g, globalAveragePool(g, x!), [n, c])], saved: undefined };
  },
  backward: (g, { inputs: [x] }, [dy]) => {
    const [n, c, h, w] = x!.shape as [number, number, number, number];
    // Scale the small (N, C) gradient before broadcasting it over H·W.
    return [expand(g, reshape(g, mul(g, dy!, g.scalar(1 / (h * w))), [n, c, 1, 1]), x!.shape)];
  },
};
