/** Max pooling (the ResNet stem's 3×3 s2 p1) and global average pooling (before the classifier). */
import type { Graph, Tensor } from '../../onnx/graph';
import { numel } from '../../onnx/graph';
import type { PoolOptions } from '../../onnx/ops';
import {
  cast,
  compare,
  conv,
  convTranspose,
  cumSum,
  expand,
  globalAveragePool,
  maxPool,
  maxPoolWithIndices,
  mul,
  reshape,
  scatterElements,
} from '../../onnx/ops';
import type { DiffOp } from '../tape';

/**
 * dX through the maxima's flat indices (over N·C·H·W, from a second MaxPool that returns them): ScatterElements
 * with reduction 'add' gives a position that wins several overlapping windows the sum of their gradients. The CPU
 * keeps this form: forward and backward of resnet18's stem pool (batch 16, 64×56×56) took 26.5–29.3 ms of CPU
 * time against 32.7–34.2 for `routedGrad`, resnet50's (batch 8, 64×112×112) 57.7–62.8 against 68.4–74.6 ms
 * (1 thread, min–median of 10 alternated runs).
 */
function indexedGrad(g: Graph, x: Tensor, dy: Tensor, o: PoolOptions): Tensor {
  const flat = (t: Tensor): Tensor => reshape(g, t, [numel(t.shape)]);
  const [, indices] = maxPoolWithIndices(g, x, o);
  const zeros = expand(g, g.scalar(0), [numel(x.shape)]);
  return reshape(g, scatterElements(g, zeros, flat(indices), flat(dy), 0, 'add'), x.shape);
}

/** 1 where kernel tap t of output position (i, j) lies inside the unpadded input, as (1, k, Ho, Wo). */
function insideMask(size: readonly [number, number], out: readonly [number, number], o: PoolOptions): Float32Array {
  const [kh, kw] = o.kernel;
  const [ho, wo] = out;
  const mask = new Float32Array(kh * kw * ho * wo);
  for (let t = 0; t < kh * kw; t++) {
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < wo; j++) {
        const row = i * o.strides[0] - o.pads[0] + Math.floor(t / kw);
        const col = j * o.strides[1] - o.pads[1] + (t % kw);
        mask[(t * ho + i) * wo + j] = row >= 0 && col >= 0 && row < size[0] && col < size[1] ? 1 : 0;
      }
    }
  }
  return mask;
}

/**
 * dX without indices, for WebGPU (its MaxPool has none): each window's gradient goes to the window's first
 * maximum in row-major order, as PyTorch's max_pool2d backward routes it — ties included, such as a window of
 * zeros after a ReLU. k = kh·kw one-hot kernels gather every window's taps as channels (a Conv of each plane) and
 * scatter the chosen tap's gradient back (the ConvTranspose with the same kernels, which also adds overlapping
 * windows): exact, each value being one product by 1 plus products by 0. Taps in the padding read 0 and are masked.
 */
function routedGrad(g: Graph, x: Tensor, y: Tensor, dy: Tensor, o: PoolOptions): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [, , ho, wo] = y.shape as [number, number, number, number];
  const k = o.kernel[0] * o.kernel[1];
  const eye = new Float32Array(k * k);
  for (let t = 0; t < k; t++) eye[t * k + t] = 1;
  const taps = g.constant(eye, [k, 1, o.kernel[0], o.kernel[1]]);
  const window = { strides: o.strides, pads: o.pads };
  const planes = (t: Tensor, rows: number, cols: number): Tensor => reshape(g, t, [n * c, 1, rows, cols]);
  const values = conv(g, planes(x, h, w), taps, undefined, window);
  const inside = g.constant(insideMask([h, w], [ho, wo], o), [1, k, ho, wo]);
  const isMax = mul(g, cast(g, compare(g, 'Equal', values, planes(y, ho, wo)), 'float32'), inside);
  // The first maximum is the tap where the running count of maxima reaches 1.
  const first = mul(g, isMax, cast(g, compare(g, 'Equal', cumSum(g, isMax, 1), g.scalar(1)), 'float32'));
  return reshape(g, convTranspose(g, mul(g, first, planes(dy, ho, wo)), taps, [n * c, 1, h, w], window), x.shape);
}

/**
 * y = MaxPool(x). Only the backward may ask MaxPool for indices (on the CPU), so inference and explanation
 * graphs, which have no backward through the pool, are plain MaxPool everywhere.
 */
export const MaxPool2d: DiffOp<PoolOptions> = {
  name: 'MaxPool2d',
  forward: (g, [x], o) => {
    if (x!.shape.length !== 4) throw new RangeError(`MaxPool2d needs (N,C,H,W), got [${x!.shape}]`);
    return { outputs: [maxPool(g, x!, o)], saved: undefined };
  },
  backward: (g, { inputs: [x], outputs: [y], params: o }, [dy]) =>
    [g.device === 'webgpu' ? routedGrad(g, x!, y!, dy!, o) : indexedGrad(g, x!, dy!, o)],
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
