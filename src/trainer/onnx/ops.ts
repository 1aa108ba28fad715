/**
 * ONNX primitives with static shape inference. Model builders and backward rules both speak in these, so the
 * emitted graph stays plain opset-17 ONNX that any runtime can load.
 */
import type { Graph, Tensor } from './graph';
import { numel } from './graph';

function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new RangeError(`cannot broadcast [${a.join(', ')}] with [${b.join(', ')}]`);
    }
    out.push(x === 1 ? y : x);
  }
  return out;
}

function axisIndex(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new RangeError(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

export function unary(
  g: Graph,
  op: 'Relu' | 'Sqrt' | 'Neg' | 'Exp' | 'Log' | 'Reciprocal' | 'Identity' | 'Abs' | 'Sign',
  x: Tensor,
): Tensor {
  return g.node(op, [x], [{ dtype: x.dtype, shape: x.shape }])[0]!;
}

export function binary(g: Graph, op: 'Add' | 'Sub' | 'Mul' | 'Div' | 'Max' | 'Min', a: Tensor, b: Tensor): Tensor {
  return g.node(op, [a, b], [{ dtype: a.dtype, shape: broadcast(a.shape, b.shape) }])[0]!;
}

export const add = (g: Graph, a: Tensor, b: Tensor): Tensor => binary(g, 'Add', a, b);
export const sub = (g: Graph, a: Tensor, b: Tensor): Tensor => binary(g, 'Sub', a, b);
export const mul = (g: Graph, a: Tensor, b: Tensor): Tensor => binary(g, 'Mul', a, b);
export const div = (g: Graph, a: Tensor, b: Tensor): Tensor => binary(g, 'Div', a, b);

export function compare(g: Graph, op: 'Greater' | 'Less' | 'Equal' | 'GreaterOrEqual', a: Tensor, b: Tensor): Tensor {
  return g.node(op, [a, b], [{ dtype: 'bool', shape: broadcast(a.shape, b.shape) }])[0]!;
}

export function where(g: Graph, cond: Tensor, a: Tensor, b: Tensor): Tensor {
  return g.node(
    'Where',
    [cond, a, b],
    [{ dtype: a.dtype, shape: broadcast(cond.shape, broadcast(a.shape, b.shape)) }],
  )[0]!;
}

export function cast(g: Graph, x: Tensor, to: 'float32' | 'int64'): Tensor {
  return g.node('Cast', [x], [{ dtype: to, shape: x.shape }], { to: { i: to === 'float32' ? 1 : 7 } })[0]!;
}

export function matmul(g: Graph, a: Tensor, b: Tensor): Tensor {
  if (a.shape.length < 2 || b.shape.length < 2) throw new RangeError('matmul needs rank ≥ 2');
  const m = a.shape[a.shape.length - 2]!;
  const k = a.shape[a.shape.length - 1]!;
  const k2 = b.shape[b.shape.length - 2]!;
  const n = b.shape[b.shape.length - 1]!;
  if (k !== k2) throw new RangeError(`matmul inner sizes differ: [${a.shape.join(', ')}] × [${b.shape.join(', ')}]`);
  const batch = broadcast(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return g.node('MatMul', [a, b], [{ dtype: a.dtype, shape: [...batch, m, n] }])[0]!;
}

/** Y = α·op(A)·op(B) + β·C with 2-D A and B. */
export function gemm(
  g: Graph,
  a: Tensor,
  b: Tensor,
  c: Tensor | undefined,
  opts: { transA?: boolean; transB?: boolean } = {},
): Tensor {
  const m = opts.transA ? a.shape[1]! : a.shape[0]!;
  const n = opts.transB ? b.shape[0]! : b.shape[1]!;
  return g.node('Gemm', c ? [a, b, c] : [a, b], [{ dtype: 'float32', shape: [m, n] }], {
    transA: { i: opts.transA ? 1 : 0 },
    transB: { i: opts.transB ? 1 : 0 },
  })[0]!;
}

export function transpose(g: Graph, x: Tensor, perm: readonly number[]): Tensor {
  return g.node('Transpose', [x], [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]!) }], {
    perm: { ints: perm },
  })[0]!;
}

export function reshape(g: Graph, x: Tensor, shape: readonly number[]): Tensor {
  if (numel(shape) !== numel(x.shape)) {
    throw new RangeError(`cannot reshape [${x.shape.join(', ')}] to [${shape.join(', ')}]`);
  }
  return g.node('Reshape', [x, g.ints(shape)], [{ dtype: x.dtype, shape }])[0]!;
}

function reducedShape(shape: readonly number[], axes: readonly number[], keepdims: boolean): number[] {
  const set = new Set(axes.map((a) => axisIndex(a, shape.length)));
  return shape.flatMap((d, i) => (set.has(i) ? (keepdims ? [1] : []) : [d]));
}

/** ReduceMax and ReduceMean take their axes as an attribute up to opset 17. */
export function reduceMax(g: Graph, x: Tensor, axes: readonly number[], keepdims = true): Tensor {
  return g.node('ReduceMax', [x], [{ dtype: x.dtype, shape: reducedShape(x.shape, axes, keepdims) }], {
    axes: { ints: axes },
    keepdims: { i: keepdims ? 1 : 0 },
  })[0]!;
}

export function reduceMean(g: Graph, x: Tensor, axes: readonly number[], keepdims = true): Tensor {
  return g.node('ReduceMean', [x], [{ dtype: x.dtype, shape: reducedShape(x.shape, axes, keepdims) }], {
    axes: { ints: axes },
    keepdims: { i: keepdims ? 1 : 0 },
  })[0]!;
}

/** ReduceSum takes its axes as an input since opset 13. */
export function reduceSum(g: Graph, x: Tensor, axes: readonly number[], keepdims = true): Tensor {
  return g.node('ReduceSum', [x, g.ints(axes)], [{ dtype: x.dtype, shape: reducedShape(x.shape, axes, keepdims) }], {
    keepdims: { i: keepdims ? 1 : 0 },
  })[0]!;
}

export function unsqueeze(g: Graph, x: Tensor, axes: readonly number[]): Tensor {
  const rank = x.shape.length + axes.length;
  const set = new Set(axes.map((a) => axisIndex(a, rank)));
  const shape: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) shape.push(set.has(i) ? 1 : x.shape[j++]!);
  return g.node('Unsqueeze', [x, g.ints(axes)], [{ dtype: x.dtype, shape }])[0]!;
}

export function expand(g: Graph, x: Tensor, shape: readonly number[]): Tensor {
  return g.node('Expand', [x, g.ints(shape)], [{ dtype: x.dtype, shape: broadcast(x.shape, shape) }])[0]!;
}

export function concat(g: Graph, xs: readonly Tensor[], axis: number): Tensor {
  const first = xs[0]!;
  const a = axisIndex(axis, first.shape.length);
  const shape = [...first.shape];
  shape[a] = xs.reduce((s, t) => s + t.shape[a]!, 0);
  return g.node('Concat', xs, [{ dtype: first.dtype, shape }], { axis: { i: a } })[0]!;
}

/** Slice along the given axes with positive steps; ends are exclusive and clamped as ONNX does. */
export function slice(
  g: Graph,
  x: Tensor,
  starts: readonly number[],
  ends: readonly number[],
  axes: readonly number[],
  steps?: readonly number[],
): Tensor {
  const shape = [...x.shape];
  axes.forEach((axis, i) => {
    const a = axisIndex(axis, x.shape.length);
    const dim = x.shape[a]!;
    const step = steps?.[i] ?? 1;
    const s = Math.min(Math.max(starts[i]! < 0 ? starts[i]! + dim : starts[i]!, 0), dim);
    const e = Math.min(Math.max(ends[i]! < 0 ? ends[i]! + dim : ends[i]!, 0), dim);
    shape[a] = Math.max(0, Math.ceil((e - s) / step));
  });
  const inputs = [x, g.ints(starts), g.ints(ends), g.ints(axes), ...(steps ? [g.ints(steps)] : [])];
  return g.node('Slice', inputs, [{ dtype: x.dtype, shape }])[0]!;
}

/** (N, C, H, W) → (N, C·b², H/b, W/b); output channel (row phase·b + column phase)·C + c. */
export function spaceToDepth(g: Graph, x: Tensor, block: number): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  if (h % block !== 0 || w % block !== 0) {
    throw new RangeError(`spaceToDepth needs H and W divisible by ${block}, got [${x.shape.join(', ')}]`);
  }
  return g.node('SpaceToDepth', [x], [{ dtype: x.dtype, shape: [n, c * block * block, h / block, w / block] }], {
    blocksize: { i: block },
  })[0]!;
}

/** Constant padding; `pads` is ONNX's [x1_begin, x2_begin, …, x1_end, x2_end, …]. */
export function pad(g: Graph, x: Tensor, pads: readonly number[], value = 0): Tensor {
  const r = x.shape.length;
  const shape = x.shape.map((d, i) => d + pads[i]! + pads[i + r]!);
  return g.node('Pad', [x, g.ints(pads), g.scalar(value)], [{ dtype: x.dtype, shape }], {
    mode: { s: 'constant' },
  })[0]!;
}

export interface Conv2dOptions {
  readonly strides?: readonly [number, number];
  /** [top, left, bottom, right] */
  readonly pads?: readonly [number, number, number, number];
  readonly group?: number;
  readonly dilations?: readonly [number, number];
}

export function convOutputSize(
  size: number,
  kernel: number,
  stride: number,
  padBegin: number,
  padEnd: number,
  dilation = 1,
): number {
  return Math.floor((size + padBegin + padEnd - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** A 2-D conv's attributes with ONNX's defaults filled in, and its NCHW output shape. */
export function convGeometry(x: Tensor, w: Tensor, o: Conv2dOptions): {
  readonly s: readonly [number, number];
  readonly p: readonly [number, number, number, number];
  readonly d: readonly [number, number];
  readonly shape: number[];
} {
  const [n, , h, wd] = x.shape as [number, number, number, number];
  const [cout, , kh, kw] = w.shape as [number, number, number, number];
  const s = o.strides ?? [1, 1];
  const p = o.pads ?? [0, 0, 0, 0];
  const d = o.dilations ?? [1, 1];
  const shape = [
    n,
    cout,
    convOutputSize(h, kh, s[0], p[0], p[2], d[0]),
    convOutputSize(wd, kw, s[1], p[1], p[3], d[1]),
  ];
  return { s, p, d, shape };
}

export function conv(g: Graph, x: Tensor, w: Tensor, b: Tensor | undefined, o: Conv2dOptions = {}): Tensor {
  const [, , kh, kw] = w.shape as [number, number, number, number];
  const { s, p, d, shape } = convGeometry(x, w, o);
  return g.node('Conv', b ? [x, w, b] : [x, w], [{ dtype: 'float32', shape }], {
    strides: { ints: s },
    pads: { ints: p },
    group: { i: o.group ?? 1 },
    dilations: { ints: d },
    kernel_shape: { ints: [kh, kw] },
  })[0]!;
}

/** The transposed convolution whose output has exactly `outShape` (output_padding is derived from it). */
export function convTranspose(
  g: Graph,
  dy: Tensor,
  w: Tensor,
  outShape: readonly number[],
  o: Conv2dOptions = {},
): Tensor {
  const [, , ho, wo] = dy.shape as [number, number, number, number];
  const [, cPerGroup, kh, kw] = w.shape as [number, number, number, number];
  const s = o.strides ?? [1, 1];
  const p = o.pads ?? [0, 0, 0, 0];
  const d = o.dilations ?? [1, 1];
  const group = o.group ?? 1;
  const full = [
    (ho - 1) * s[0] - p[0] - p[2] + d[0] * (kh - 1) + 1,
    (wo - 1) * s[1] - p[1] - p[3] + d[1] * (kw - 1) + 1,
  ];
  const outputPadding = [outShape[2]! - full[0]!, outShape[3]! - full[1]!];
  if (outShape[1] !== cPerGroup * group) throw new RangeError('convTranspose channel count does not match the weight');
  return g.node('ConvTranspose', [dy, w], [{ dtype: 'float32', shape: outShape }], {
    strides: { ints: s },
    pads: { ints: p },
    group: { i: group },
    dilations: { ints: d },
    kernel_shape: { ints: [kh, kw] },
    output_padding: { ints: outputPadding },
  })[0]!;
}

export interface PoolOptions {
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly pads: readonly [number, number, number, number];
}

function maxPoolNode(g: Graph, x: Tensor, o: PoolOptions, withIndices: boolean): Tensor[] {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const shape = [
    n,
    c,
    convOutputSize(h, o.kernel[0], o.strides[0], o.pads[0], o.pads[2]),
    convOutputSize(w, o.kernel[1], o.strides[1], o.pads[1], o.pads[3]),
  ];
  const outputs = [{ dtype: 'float32' as const, shape }, ...(withIndices ? [{ dtype: 'int64' as const, shape }] : [])];
  return g.node('MaxPool', [x], outputs, {
    kernel_shape: { ints: o.kernel },
    strides: { ints: o.strides },
    pads: { ints: o.pads },
  });
}

export function maxPool(g: Graph, x: Tensor, o: PoolOptions): Tensor {
  return maxPoolNode(g, x, o, false)[0]!;
}

/** Max pooling with the flat indices of the maxima (over N·C·H·W), which its backward needs. */
export function maxPoolWithIndices(g: Graph, x: Tensor, o: PoolOptions): [Tensor, Tensor] {
  const [y, idx] = maxPoolNode(g, x, o, true);
  return [y!, idx!];
}

export function globalAveragePool(g: Graph, x: Tensor): Tensor {
  const [n, c] = x.shape as [number, number];
  return g.node('GlobalAveragePool', [x], [{ dtype: 'float32', shape: [n, c, 1, 1] }])[0]!;
}

/** Running sums along `axis` (inclusive). */
export function cumSum(g: Graph, x: Tensor, axis: number): Tensor {
  return g.node('CumSum', [x, g.constant([axis], [], 'int64')], [{ dtype: x.dtype, shape: x.shape }])[0]!;
}

export function scatterElements(
  g: Graph,
  data: Tensor,
  indices: Tensor,
  updates: Tensor,
  axis: number,
  reduction: 'none' | 'add' = 'none',
): Tensor {
  return g.node('ScatterElements', [data, indices, updates], [{ dtype: data.dtype, shape: data.shape }], {
    axis: { i: axis },
    reduction: { s: reduction },
  })[0]!;
}

/** Inference-mode batch normalisation with running statistics. */
export function batchNormInference(
  g: Graph,
  x: Tensor,
  scale: Tensor,
  bias: Tensor,
  mean: Tensor,
  variance: Tensor,
  epsilon: number,
): Tensor {
  return g.node('BatchNormalization', [x, scale, bias, mean, variance], [{ dtype: 'float32', shape: x.shape }], {
    epsilon: { f: epsilon },
  })[0]!;
}

/** Zeros of x's shape, expanded from a scalar at run time rather than stored in the model. */
export function zerosLike(g: Graph, x: Tensor): Tensor {
  return expand(g, g.scalar(0), x.shape);
}
