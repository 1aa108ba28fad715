/**
 * A foreign classifier's graph rebuilt with our builder and differentiator (autodiff/), its initializers as
 * constants, so one run yields the logits, the chosen layers' activations and d logit[target] / d CAM layer —
 * what Grad-CAM, Grad-CAM++ and LayerCAM weigh. Covers what a torch-exported ResNet contains (Conv with bias,
 * BatchNormalization in inference mode, Relu, Add, MaxPool, AveragePool, GlobalAveragePool, Flatten, Reshape, Gemm,
 * MatMul with a constant weight, Identity, Dropout, Constant: opCoverage.ts). Other ops are copied as they are where
 * no gradient passes through them — before the CAM layer, or on branches that do not depend on it — with the shapes
 * and types one run of the file measured; `gradientBlockers` names the uncovered ops that lie on the gradient path.
 */
import { onnx } from 'onnx-proto';
import { Add, BatchNormEval, Conv2d, GlobalAvgPool, Linear, MaxPool2d, Relu, Reshape } from '../autodiff/ops';
import { ChannelBias } from '../autodiff/ops/bias';
import { Tape } from '../autodiff/tape';
import { EXPLAINED_OUTPUT } from '../explain/explainGraph';
import { oneHot } from '../onnx/classScores';
import type { Attr, DType, Tensor } from '../onnx/graph';
import { Graph, numel } from '../onnx/graph';
import { compare, where } from '../onnx/ops';
import { toModelBytes } from '../onnx/serialize';
import { tensorDims, tensorValues } from './foreignGraph';
import { dependsOn, isCovered } from './opCoverage';
import { foldShapeNode, translateTokenNode } from './translateTokens';
import type { Attrs, Constant } from './translation';
import { fail, float, int, ints, TranslationError } from './translation';

export { TranslationError } from './translation';

export interface TranslationConfig {
  readonly input: string;
  readonly size: number;
  readonly logits: string;
  /** ONNX values whose activations are outputs, in order. */
  readonly layers: readonly string[];
  /** ONNX values output as they are, in order: a ViT's attention Softmax of each block, for rollout. */
  readonly attention?: readonly string[];
  /** The ONNX value of the CAM layer, whose gradient is an output. */
  readonly camValue: string;
  readonly numClasses: number;
}

export const layerOutputName = (i: number): string => `layer.${i}`;
export const attentionOutputName = (i: number): string => `attention.${i}`;
export const CAM_GRADIENT_OUTPUT = 'grad.cam';

/** Shape and type of each value, for the ops copied as they are (foreignGraph.ts measureValues). */
export type ValueTypes = ReadonlyMap<string, { readonly dims: readonly number[]; readonly type: string }>;

const DTYPES: Readonly<Record<string, DType>> = { float32: 'float32', int64: 'int64', bool: 'bool' };

/** An ONNX attribute in the builder's terms; undefined for kinds it cannot carry (tensors, graphs, strings lists). */
function attrOf(a: onnx.IAttributeProto): Attr | undefined {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case T.INT: return { i: Number(a.i) };
    case T.FLOAT: return { f: Number(a.f) };
    case T.STRING: return { s: new TextDecoder().decode(a.s ?? new Uint8Array()) };
    case T.INTS: return { ints: (a.ints ?? []).map(Number) };
    case T.FLOATS: return { floats: (a.floats ?? []).map(Number) };
    default: return undefined;
  }
}

/** A node no gradient passes through, copied with its attributes and the measured output shapes. */
function copyNode(
  g: Graph,
  node: onnx.INodeProto,
  label: string,
  inputs: (Tensor | undefined)[],
  types: ValueTypes | undefined,
): Tensor[] {
  const attrs: Record<string, Attr> = {};
  for (const a of node.attribute ?? []) {
    attrs[a.name ?? ''] =
      attrOf(a) ?? fail(label, `has attribute "${a.name}" of a kind the rebuilt graph cannot carry`);
  }
  const outs = (node.output ?? []).map((o) => {
    const t = types?.get(o);
    const dtype = t && DTYPES[t.type];
    return t && dtype ? { dtype, shape: t.dims } : fail(label, `makes "${o}" of unknown or unsupported type`);
  });
  return g.node(node.opType ?? '', inputs, outs, attrs, node.domain || undefined);
}

/**
 * Rebuilds the forward and appends the backward. Inputs 'image' [1, 3, S, S] and 'target' int64 [1] (−1: predicted).
 * `types` (one measured run) is needed when an uncovered op is to be copied.
 */
export function buildTranslatedExplainer(
  model: onnx.IModelProto,
  config: TranslationConfig,
  types?: ValueTypes,
): Uint8Array {
  const g = new Graph('au_lens_imported');
  const tape = new Tape(g);
  const values = new Map<string, Tensor>();
  const constants = new Map<string, Constant>();
  for (const t of model.graph?.initializer ?? []) {
    const data = tensorValues(t);
    if (data && t.name) constants.set(t.name, { data, dims: tensorDims(t) });
  }
  values.set(config.input, g.input('image', 'float32', [1, 3, config.size, config.size]));
  const tensorFor = (name: string): Tensor => {
    const v = values.get(name);
    if (v) return v;
    const c = constants.get(name);
    if (!c) throw new TranslationError(`value "${name}" is used before it is made`);
    const t = g.constant(c.data, c.dims, c.data instanceof BigInt64Array ? 'int64' : 'float32');
    values.set(name, t);
    return t;
  };
  const constantOf = (name: string, node: string): Constant =>
    constants.get(name) ?? fail(node, `needs "${name}" to be a constant`);
  const onGradientPath = dependsOn(model, config.camValue);
  for (const node of model.graph?.node ?? []) {
    const label = `${node.opType} "${node.name ?? ''}"`;
    const attrs: Attrs = new Map((node.attribute ?? []).map((a) => [a.name ?? '', a]));
    const ins = node.input ?? [];
    const out = node.output?.[0] ?? '';
    if (node.opType === 'Constant') {
      const t = attrs.get('value')?.t;
      const data = t && tensorValues(t);
      if (!t || !data) fail(label, 'holds a constant that is not a float32 or int64 tensor');
      constants.set(out, { data: data!, dims: tensorDims(t!) });
      continue;
    }
    const folded = foldShapeNode(node, attrs, (n) => values.get(n), (n) => constants.get(n));
    if (folded) {
      constants.set(out, folded);
      continue;
    }
    const copy = (): void => {
      const outs = copyNode(
        tape.graph,
        node,
        label,
        ins.map((i) => (i === '' ? undefined : tensorFor(i))),
        types,
      );
      (node.output ?? []).forEach((o, i) => values.set(o, outs[i]!));
    };
    if (!isCovered(node)) {
      if (onGradientPath.has(node)) {
        fail(label, 'lies between the CAM layer and the logits and is not covered by the differentiator');
      }
      copy();
      continue;
    }
    try {
      const made = translateNode(tape, node.opType ?? '', label, attrs, ins, tensorFor, constantOf, constants);
      (Array.isArray(made) ? made : [made]).forEach((t, i) => values.set(node.output![i]!, t));
    } catch (error) {
      // A covered op in a form the rules do not take (a broadcasting Add, say) needs no rule where no gradient passes.
      if (onGradientPath.has(node) || !types || !(error instanceof TranslationError || error instanceof RangeError)) {
        throw error;
      }
      copy();
    }
  }
  const logits = values.get(config.logits) ?? fail('graph', `output "${config.logits}" is not computed`);
  g.output(logits, 'logits');
  const layers = config.layers.map((v) => values.get(v) ?? fail('graph', `layer "${v}" is not a computed value`));
  layers.forEach((t, i) => g.output(t, layerOutputName(i)));
  (config.attention ?? []).forEach((v, i) =>
    g.output(values.get(v) ?? fail('graph', `attention "${v}" is not a computed value`), attentionOutputName(i)));
  const requested = g.input('target', 'int64', [1]);
  const predicted = g.node('ArgMax', [logits], [{ dtype: 'int64', shape: [1] }], {
    axis: { i: 1 },
    keepdims: { i: 0 },
  })[0]!;
  const target = where(g, compare(g, 'Less', requested, g.ints([0])), predicted, requested);
  g.output(target, EXPLAINED_OUTPUT);
  const cam = values.get(config.camValue)!;
  const grad = tape.gradients(logits, [cam], oneHot(g, target, config.numClasses)).get(cam.name);
  if (!grad) fail('graph', `the logits do not depend on the CAM layer "${config.camValue}"`);
  g.output(grad!, CAM_GRADIENT_OUTPUT);
  return toModelBytes(g, { kind: 'imported-explanation' });
}

function transposed(data: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = data[r * cols + c]!;
  return t;
}

/** Gemm or MatMul with constant weights as Linear (x·wᵀ + b). */
function linear(
  tape: Tape,
  label: string,
  x: Tensor,
  w: Constant,
  transB: boolean,
  bias: Constant | undefined,
  alpha: number,
  beta: number,
): Tensor {
  const g = tape.graph;
  if (x.shape.length !== 2 || w.dims.length !== 2 || !(w.data instanceof Float32Array)) {
    fail(label, `needs a 2-D input and a 2-D float weight, got [${x.shape}] and [${w.dims}]`);
  }
  const [rows, cols] = w.dims as [number, number];
  const weight = transB ? Float32Array.from(w.data as Float32Array) : transposed(w.data as Float32Array, rows, cols);
  const out = transB ? rows : cols;
  if (alpha !== 1) weight.forEach((v, i) => (weight[i] = v * alpha));
  const b = new Float32Array(out);
  if (bias) {
    if (!(bias.data instanceof Float32Array) || (bias.data.length !== out && bias.data.length !== 1)) {
      fail(label, `has a bias of shape [${bias.dims}] for ${out} outputs`);
    }
    for (let i = 0; i < out; i++) b[i] = beta * (bias.data as Float32Array)[bias.data.length === 1 ? 0 : i]!;
  }
  return tape.apply1(Linear, [x, g.constant(weight, [out, weight.length / out]), g.constant(b, [out])], undefined);
}

function targetShape(label: string, x: Tensor, spec: BigInt64Array): number[] {
  const shape = Array.from(spec, (v, i) => (v === 0n ? x.shape[i]! : Number(v)));
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const resolved = shape.map((d) => (d === -1 ? numel(x.shape) / known : d));
  if (numel(resolved) !== numel(x.shape)) fail(label, `cannot reshape [${x.shape}] to [${shape}]`);
  return resolved;
}

function translateNode(
  tape: Tape, op: string, label: string, attrs: Attrs, ins: readonly string[],
  tensorFor: (name: string) => Tensor, constantOf: (name: string, node: string) => Constant,
  constants: ReadonlyMap<string, Constant>,
): Tensor | Tensor[] {
  const tokens = (): Tensor | Tensor[] =>
    translateTokenNode(tape, op, label, attrs, ins, tensorFor, (n) => constants.get(n)) ??
    fail(label, 'is not covered by the differentiator');
  const x = (): Tensor => tensorFor(ins[0]!);
  switch (op) {
    case 'Identity':
    case 'Dropout':
      return x();
    case 'Relu':
      return tape.apply1(Relu, [x()], undefined);
    case 'Add': {
      const [a, b] = [tensorFor(ins[0]!), tensorFor(ins[1]!)];
      return a.shape.join() === b.shape.join() ? tape.apply1(Add, [a, b], undefined) : tokens();
    }
    case 'Conv': {
      if (ints(attrs, 'dilations', [1, 1]).some((d) => d !== 1)) fail(label, 'is dilated; only dilation 1 is covered');
      const autoPad = attrs.get('auto_pad')?.s;
      if (autoPad && autoPad.length > 0 && new TextDecoder().decode(autoPad) !== 'NOTSET') {
        fail(label, 'uses auto_pad; only explicit pads are covered');
      }
      const w = tensorFor(ins[1]!);
      const strides = ints(attrs, 'strides', [1, 1]) as [number, number];
      const [t, l, b, r] = ints(attrs, 'pads', [0, 0, 0, 0]) as [number, number, number, number];
      const y = tape.apply1(Conv2d, [x(), w], { strides, pads: [t, l, b, r], group: int(attrs, 'group', 1) });
      return ins[2] ? tape.apply1(ChannelBias, [y, tensorFor(ins[2])], undefined) : y;
    }
    case 'BatchNormalization':
      return tape.apply1(BatchNormEval, ins.slice(0, 5).map(tensorFor), { epsilon: float(attrs, 'epsilon', 1e-5) });
    case 'MaxPool': {
      if (int(attrs, 'ceil_mode', 0) !== 0 || ints(attrs, 'dilations', [1, 1]).some((d) => d !== 1)) {
        fail(label, 'uses ceil_mode or dilation; neither is covered');
      }
      const kernel = ints(attrs, 'kernel_shape', []) as [number, number];
      return tape.apply1(MaxPool2d, [x()], {
        kernel,
        strides: ints(attrs, 'strides', [1, 1]) as [number, number],
        pads: ints(attrs, 'pads', [0, 0, 0, 0]) as [number, number, number, number],
      });
    }
    case 'AveragePool': {
      // Average pooling is a depthwise convolution with weights 1/(kh·kw) — exactly so when the padding counts
      // (count_include_pad) or there is none — and Conv2d already carries its backward.
      const pads = ints(attrs, 'pads', [0, 0, 0, 0]) as [number, number, number, number];
      if (int(attrs, 'ceil_mode', 0) !== 0 || (pads.some((p) => p !== 0) && int(attrs, 'count_include_pad', 0) !== 1)) {
        fail(label, 'uses ceil_mode or padding that does not count; neither is covered');
      }
      const input = x();
      const [kh, kw] = ints(attrs, 'kernel_shape', []) as [number, number];
      const c = input.shape[1]!;
      const weight = tape.graph.constant(new Float32Array(c * kh * kw).fill(1 / (kh * kw)), [c, 1, kh, kw]);
      return tape.apply1(Conv2d, [input, weight], {
        strides: ints(attrs, 'strides', [1, 1]) as [number, number],
        pads,
        group: c,
      });
    }
    case 'GlobalAveragePool': {
      const pooled = tape.apply1(GlobalAvgPool, [x()], undefined);
      return tape.apply1(Reshape, [pooled], [...pooled.shape, 1, 1]);
    }
    case 'Flatten': {
      const input = x();
      const axis = int(attrs, 'axis', 1);
      const at = axis < 0 ? axis + input.shape.length : axis;
      return tape.apply1(Reshape, [input], [numel(input.shape.slice(0, at)), numel(input.shape.slice(at))]);
    }
    case 'Reshape': {
      const spec = constantOf(ins[1]!, label).data;
      if (!(spec instanceof BigInt64Array)) fail(label, 'has a non-int64 shape');
      const input = x();
      return tape.apply1(Reshape, [input], targetShape(label, input, spec as BigInt64Array));
    }
    case 'Gemm': {
      if (int(attrs, 'transA', 0) !== 0) fail(label, 'transposes its input (transA); not covered');
      return linear(
        tape,
        label,
        x(),
        constantOf(ins[1]!, label),
        int(attrs, 'transB', 0) === 1,
        ins[2] ? constantOf(ins[2], label) : undefined,
        float(attrs, 'alpha', 1),
        float(attrs, 'beta', 1),
      );
    }
    case 'MatMul': {
      const w = constants.get(ins[1]!);
      return w && x().shape.length === 2 ? linear(tape, label, x(), w, false, undefined, 1, 1) : tokens();
    }
    default:
      return tokens();
  }
}
