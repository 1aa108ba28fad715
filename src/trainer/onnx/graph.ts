/**
 * A small ONNX graph builder. Every tensor carries a static shape, computed when it is made, so backward rules
 * and model builders can reason about shapes without running anything. Graphs are serialised by serialize.ts.
 */
import type { Device } from './deviceNames';

export type DType = 'float32' | 'int64' | 'bool';

export interface Tensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** ONNX attribute values, tagged by type because ONNX needs the type explicitly. */
export type Attr =
  | { readonly i: number }
  | { readonly f: number }
  | { readonly s: string }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] };

export interface GraphNode {
  readonly op: string;
  readonly domain?: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Readonly<Record<string, Attr>>;
}

export interface Initializer {
  readonly tensor: Tensor;
  readonly data: Float32Array | BigInt64Array;
}

export interface OutputSpec {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export class Graph {
  readonly nodes: GraphNode[] = [];
  readonly inputs: Tensor[] = [];
  readonly outputs: Tensor[] = [];
  readonly initializers: Initializer[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  /**
   * `device` is the one the graph is built for: op helpers emit forms its provider runs (ONNX Runtime's WebGPU
   * provider has no MaxPool indices, SpaceToDepth, LogSoftmax or OneHot, and keeps int64 tensors on the CPU), and
   * the CPU's fastest forms elsewhere.
   */
  constructor(readonly name = 'au_lens', readonly device: Device = 'cpu') {}

  /** A fresh tensor name with a readable prefix. */
  fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.names.has(name));
    this.names.add(name);
    return name;
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`tensor name "${name}" is used twice`);
    this.names.add(name);
    return name;
  }

  input(name: string, dtype: DType, shape: readonly number[]): Tensor {
    const t: Tensor = { name: this.claim(name), dtype, shape: [...shape] };
    this.inputs.push(t);
    return t;
  }

  /** A constant stored in the model (an ONNX initializer). */
  constant(
    data: Float32Array | BigInt64Array | readonly number[],
    shape: readonly number[],
    dtype: 'float32' | 'int64' = 'float32',
    name?: string,
  ): Tensor {
    const values =
      data instanceof Float32Array || data instanceof BigInt64Array
        ? data
        : dtype === 'int64'
          ? BigInt64Array.from(data.map((v) => BigInt(v)))
          : Float32Array.from(data);
    if (values.length !== numel(shape)) {
      throw new RangeError(`constant has ${values.length} values for shape [${shape.join(', ')}]`);
    }
    const tensor: Tensor = {
      name: name ? this.claim(name) : this.fresh('const'),
      dtype: values instanceof BigInt64Array ? 'int64' : 'float32',
      shape: [...shape],
    };
    this.initializers.push({ tensor, data: values });
    return tensor;
  }

  /** Whether t is stored in the model (an initializer) rather than fed or computed. */
  isConstant(t: Tensor): boolean {
    return this.initializers.some((i) => i.tensor.name === t.name);
  }

  scalar(value: number): Tensor {
    return this.constant([value], []);
  }

  ints(values: readonly number[]): Tensor {
    return this.constant(values, [values.length], 'int64');
  }

  /** Marks a tensor as a graph output, optionally under another name (an Identity node renames it). */
  output(t: Tensor, name?: string): Tensor {
    const out =
      name && name !== t.name
        ? this.node('Identity', [t], [{ dtype: t.dtype, shape: t.shape }], {}, undefined, name)[0]!
        : t;
    this.outputs.push(out);
    return out;
  }

  /** Appends one node; the caller states the output shapes (each op helper in ops.ts computes them). */
  node(
    op: string,
    inputs: readonly (Tensor | undefined)[],
    outs: readonly OutputSpec[],
    attrs: Readonly<Record<string, Attr>> = {},
    domain?: string,
    outputName?: string,
  ): Tensor[] {
    const outputs = outs.map((o, i) => ({
      name: i === 0 && outputName ? this.claim(outputName) : this.fresh(op.toLowerCase()),
      dtype: o.dtype,
      shape: [...o.shape],
    }));
    this.nodes.push({
      op,
      ...(domain !== undefined && { domain }),
      name: `${op}_${this.nodes.length}`,
      // ONNX marks an omitted optional input with an empty name.
      inputs: inputs.map((t) => t?.name ?? ''),
      outputs: outputs.map((t) => t.name),
      attrs,
    });
    return outputs;
  }
}
