/**
 * The translation's rules for what a torch-exported vision transformer holds (timm's or torchvision's ViT at opset
 * 17): LayerNormalization, batched and token-wise MatMul, broadcasting Add and Mul, Div by a constant, Erf (exact
 * GELU), Softmax, Transpose, Reshape, Squeeze, Unsqueeze, Slice, Gather, Split and Concat, each onto the
 * differentiable ops of autodiff/. The exporter computes reshape targets and slice bounds at run time from Shape
 * nodes; the input size is fixed here, so that int64 arithmetic is folded into constants first (foldShapeNode).
 */
import type { onnx } from 'onnx-proto';
import { BatchMatMul, BroadcastAdd, Concat, Erf, Gather, LayerNorm, Linear, Mul, Reshape, Slice, Softmax, Split,
  Transpose } from '../autodiff/ops';
import type { Tape } from '../autodiff/tape';
import type { Tensor } from '../onnx/graph';
import { numel } from '../onnx/graph';
import { tensorValues } from './foreignGraph';
import type { Attrs, Constant } from './translation';
import { fail, float, int, ints } from './translation';

const int64 = (values: readonly bigint[], dims: readonly number[]): Constant => ({
  data: BigInt64Array.from(values),
  dims,
});

/** Broadcasting int64 arithmetic on shape values (scalars and 1-D vectors). */
function arithmetic(op: string, a: Constant, b: Constant): Constant | undefined {
  if (!(a.data instanceof BigInt64Array) || !(b.data instanceof BigInt64Array)) return undefined;
  const n = Math.max(a.data.length, b.data.length);
  const at = (c: BigInt64Array, i: number): bigint => c[c.length === 1 ? 0 : i]!;
  const f: Record<string, (x: bigint, y: bigint) => bigint> = {
    Add: (x, y) => x + y, Sub: (x, y) => x - y, Mul: (x, y) => x * y, Div: (x, y) => x / y,
  };
  if (!f[op]) return undefined;
  const [x, y] = [a.data, b.data];
  const out = Array.from({ length: n }, (_, i) => f[op]!(at(x, i), at(y, i)));
  return int64(out, a.data.length >= b.data.length ? a.dims : b.dims);
}

/**
 * The node's int64 output when it is shape arithmetic all of whose inputs are known (constants, or the static
 * shape of a rebuilt tensor); undefined otherwise, and the node is translated or copied as usual.
 */
export function foldShapeNode(
  node: onnx.INodeProto, attrs: Attrs, tensorOf: (name: string) => Tensor | undefined,
  constantOf: (name: string) => Constant | undefined,
): Constant | undefined {
  const ins = node.input ?? [];
  if (node.opType === 'Shape') {
    const x = tensorOf(ins[0]!);
    if (!x) return undefined;
    const dims = x.shape.slice(int(attrs, 'start', 0), attrs.has('end') ? int(attrs, 'end', 0) : undefined);
    return int64(dims.map(BigInt), [dims.length]);
  }
  const cs = ins.map((i) => (i === '' ? undefined : constantOf(i)));
  if (cs.some((c, i) => ins[i] !== '' && !c) || !cs.every((c) => !c || c.data instanceof BigInt64Array)) {
    return undefined;
  }
  const [a, b] = cs as [Constant, Constant | undefined];
  const vals = a.data as BigInt64Array;
  switch (node.opType) {
    case 'ConstantOfShape': {
      const value = attrs.get('value')?.t;
      const fill = value ? tensorValues(value) : new Float32Array(1);
      if (!fill) return undefined;
      const dims = [...vals].map(Number);
      const data = fill instanceof Float32Array ? new Float32Array(numel(dims)) : new BigInt64Array(numel(dims));
      data.fill(fill[0] as never);
      return { data, dims };
    }
    case 'Gather': {
      if (int(attrs, 'axis', 0) !== 0 || a.dims.length > 1) return undefined;
      const idx = [...(b!.data as BigInt64Array)].map((i) => vals[Number(i < 0n ? i + BigInt(vals.length) : i)]!);
      return int64(idx, b!.dims);
    }
    case 'Unsqueeze':
    case 'Squeeze':
      return int64([...vals], node.opType === 'Unsqueeze' ? [...a.dims, 1].slice(0, a.dims.length + 1) : []);
    case 'Concat':
      return int64(cs.flatMap((c) => [...(c!.data as BigInt64Array)]), [cs.reduce((s, c) => s + c!.data.length, 0)]);
    case 'Cast':
      return int(attrs, 'to', 0) === 7 ? a : undefined;
    case 'Slice': {
      const [start, end] = [Number((b!.data as BigInt64Array)[0]), Number((cs[2]!.data as BigInt64Array)[0])];
      const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + vals.length : v, 0), vals.length);
      const picked = [...vals].slice(clamp(start), clamp(end));
      return int64(picked, [picked.length]);
    }
    default:
      return b ? arithmetic(node.opType ?? '', a, b) : undefined;
  }
}

const dimsOf = (c: Constant): number[] => Array.from(c.data as BigInt64Array, Number);

/** Rows (…, K) × a constant (K, M) as one Linear on the rows, the leading axes restored. */
function tokenLinear(tape: Tape, label: string, x: Tensor, w: Constant): Tensor {
  if (w.dims.length !== 2 || !(w.data instanceof Float32Array)) fail(label, 'has a weight that is not a 2-D float');
  const [k, m] = w.dims as [number, number];
  const wt = new Float32Array(k * m);
  for (let r = 0; r < k; r++) for (let c = 0; c < m; c++) wt[c * k + r] = w.data[r * m + c]!;
  const g = tape.graph;
  const rows = tape.apply1(Reshape, [x], [numel(x.shape) / k, k]);
  const y = tape.apply1(Linear, [rows, g.constant(wt, [m, k]), g.constant(new Float32Array(m), [m])], undefined);
  return tape.apply1(Reshape, [y], [...x.shape.slice(0, -1), m]);
}

/** The output shape of Squeeze or Unsqueeze over `axes` (opset 13: an input; before: an attribute). */
function squeezed(op: string, shape: readonly number[], axes: readonly number[]): number[] {
  if (op === 'Squeeze') {
    const drop = axes.map((a) => (a < 0 ? a + shape.length : a));
    return shape.filter((d, i) => (axes.length === 0 ? d !== 1 : !drop.includes(i)));
  }
  const rank = shape.length + axes.length;
  const at = axes.map((a) => (a < 0 ? a + rank : a));
  const rest = [...shape];
  return Array.from({ length: rank }, (_, i) => (at.includes(i) ? 1 : rest.shift()!));
}

/** The transformer rules; undefined for an op they do not take (translateGraph.ts then fails on it). */
export function translateTokenNode(
  tape: Tape, op: string, label: string, attrs: Attrs, ins: readonly string[],
  tensorFor: (name: string) => Tensor, constantOf: (name: string) => Constant | undefined,
): Tensor | Tensor[] | undefined {
  const x = (): Tensor => tensorFor(ins[0]!);
  const constantInput = (i: number): Constant => constantOf(ins[i]!) ?? fail(label, `needs input ${i} constant`);
  switch (op) {
    case 'LayerNormalization': {
      const input = x();
      const axis = int(attrs, 'axis', -1);
      if (![-1, input.shape.length - 1].includes(axis)) fail(label, 'normalises other than the last axis');
      return tape.apply1(LayerNorm, [input, tensorFor(ins[1]!), tensorFor(ins[2]!)], {
        epsilon: float(attrs, 'epsilon', 1e-5),
      });
    }
    case 'MatMul': {
      const w = constantOf(ins[1]!);
      if (w) return tokenLinear(tape, label, x(), w);
      return tape.apply1(BatchMatMul, [x(), tensorFor(ins[1]!)], {});
    }
    case 'Add':
      return tape.apply1(BroadcastAdd, [tensorFor(ins[0]!), tensorFor(ins[1]!)], undefined);
    case 'Mul':
      return tape.apply1(Mul, [tensorFor(ins[0]!), tensorFor(ins[1]!)], undefined);
    case 'Div': {
      const d = constantInput(1);
      if (!(d.data instanceof Float32Array)) fail(label, 'divides by a non-float constant');
      const inverse = tape.graph.constant(Float32Array.from(d.data as Float32Array, (v) => 1 / v), d.dims);
      return tape.apply1(Mul, [x(), inverse], undefined);
    }
    case 'Erf':
      return tape.apply1(Erf, [x()], undefined);
    case 'Softmax': {
      const input = x();
      if (![-1, input.shape.length - 1].includes(int(attrs, 'axis', -1))) fail(label, 'is not over the last axis');
      return tape.apply1(Softmax, [input], undefined);
    }
    case 'Transpose': {
      const input = x();
      const perm = ints(attrs, 'perm', [...input.shape.keys()].reverse());
      return tape.apply1(Transpose, [input], perm);
    }
    case 'Squeeze':
    case 'Unsqueeze': {
      const input = x();
      const axes = ins[1] ? dimsOf(constantInput(1)) : ints(attrs, 'axes', []);
      return tape.apply1(Reshape, [input], squeezed(op, input.shape, axes));
    }
    case 'Slice': {
      const input = x();
      const axes = ins[3] ? dimsOf(constantInput(3)) : [...input.shape.keys()];
      if (ins[4] && dimsOf(constantInput(4)).some((s) => s !== 1)) fail(label, 'steps by more than 1; not covered');
      const big = (v: number): number => Math.max(Math.min(v, 2 ** 31), -(2 ** 31));
      return tape.apply1(Slice, [input], {
        starts: dimsOf(constantInput(1)).map(big), ends: dimsOf(constantInput(2)).map(big), axes,
      });
    }
    case 'Gather': {
      const index = constantInput(1);
      if (index.dims.length !== 0) fail(label, 'gathers more than one index; only a scalar index is covered');
      return tape.apply1(Gather, [x()], { axis: int(attrs, 'axis', 0), index: dimsOf(index)[0]! });
    }
    case 'Concat':
      return tape.apply1(Concat, ins.map(tensorFor), { axis: int(attrs, 'axis', 0) });
    case 'Split': {
      const input = x();
      const axis = int(attrs, 'axis', 0);
      const sizes = ins[1] ? dimsOf(constantInput(1)) : ints(attrs, 'split', []);
      const parts = sizes.length || int(attrs, 'num_outputs', 0);
      if (sizes.some((s) => s !== sizes[0])) fail(label, 'splits into unequal parts; not covered');
      return tape.apply(Split, [input], { axis, parts });
    }
    default:
      return undefined;
  }
}
