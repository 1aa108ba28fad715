/**
 * Our graph builder has static shapes, so a graph is built for one batch size; an exported model should take any.
 * The graph is built at two batch sizes and the two are compared: they may differ only in the leading dimension
 * of inputs and outputs and in int64 constants that give a Reshape its target shape, in one position each, where
 * the batch was written out (GlobalAvgPool's (N, C) flatten). Those positions become −1, which Reshape infers,
 * and the leading dimensions become the symbolic 'batch'. Anything else that depends on the batch is refused, so
 * an op that bakes the batch in some other way fails at export rather than giving a model that is wrong for
 * other batch sizes.
 */
import { onnx } from 'onnx-proto';
import type { Graph, Initializer, Tensor } from '../onnx/graph';
import type { ModelMetadata } from '../onnx/serialize';
import { toModelBytes } from '../onnx/serialize';

export const BATCH_DIM = 'batch';

/** Two batch sizes no other dimension of our presets is likely to equal by accident (and checked anyway). */
const PROBES = [2, 3] as const;

export interface DynamicModelOptions {
  readonly metadata: ModelMetadata;
  readonly producerVersion?: string;
  readonly docString?: string;
}

function refuse(what: string): never {
  throw new Error(`cannot export with a dynamic batch: ${what}`);
}

/** Names of the inputs and outputs whose leading dimension is the batch. */
function batchedValues(a: readonly Tensor[], b: readonly Tensor[], kind: string): Set<string> {
  if (a.length !== b.length) refuse(`the ${kind}s differ between batch sizes`);
  const batched = new Set<string>();
  a.forEach((t, i) => {
    const u = b[i]!;
    if (t.name !== u.name || t.dtype !== u.dtype || t.shape.length !== u.shape.length) {
      refuse(`${kind} "${t.name}" differs between batch sizes`);
    }
    t.shape.forEach((d, k) => {
      if (d === u.shape[k]) return;
      if (k !== 0 || d !== PROBES[0] || u.shape[k] !== PROBES[1]) {
        refuse(`dimension ${k} of ${kind} "${t.name}" depends on the batch`);
      }
      batched.add(t.name);
    });
  });
  return batched;
}

/** Reshape targets with the batch written out, by initializer name, rewritten with −1 there. */
function reshapePatches(a: Graph, b: Graph): Map<string, BigInt64Array> {
  if (a.initializers.length !== b.initializers.length) refuse('the constants differ between batch sizes');
  const patches = new Map<string, BigInt64Array>();
  a.initializers.forEach((init: Initializer, i) => {
    const other = b.initializers[i]!;
    const { name } = init.tensor;
    if (name !== other.tensor.name || init.data.length !== other.data.length) {
      refuse(`constant "${name}" differs between batch sizes`);
    }
    if (init.data === other.data) return; // the same weight array, baked into both
    const differing: number[] = [];
    for (let k = 0; k < init.data.length; k++) if (init.data[k] !== other.data[k]) differing.push(k);
    if (differing.length === 0) return;
    const at = differing[0]!;
    const isShape = init.data instanceof BigInt64Array && other.data instanceof BigInt64Array;
    if (
      !isShape ||
      differing.length !== 1 ||
      init.data[at] !== BigInt(PROBES[0]) ||
      other.data[at] !== BigInt(PROBES[1]) ||
      init.data.includes(-1n)
    ) {
      refuse(`constant "${name}" depends on the batch`);
    }
    const consumers = a.nodes.filter((n) => n.inputs.includes(name));
    if (
      consumers.length === 0 ||
      !consumers.every((n) => n.op === 'Reshape' && n.inputs.indexOf(name) === 1 && n.inputs.lastIndexOf(name) === 1)
    ) {
      refuse(`constant "${name}" depends on the batch and is not only a Reshape target`);
    }
    const patched = BigInt64Array.from(init.data as BigInt64Array);
    patched[at] = -1n;
    patches.set(name, patched);
  });
  return patches;
}

function checkSameNodes(a: Graph, b: Graph): void {
  if (a.nodes.length !== b.nodes.length) refuse('the graph has a different number of nodes at another batch size');
  a.nodes.forEach((n, i) => {
    const m = b.nodes[i]!;
    const same = n.op === m.op && n.domain === m.domain && n.name === m.name &&
      n.inputs.join('\u0000') === m.inputs.join('\u0000') && n.outputs.join('\u0000') === m.outputs.join('\u0000') &&
      JSON.stringify(n.attrs) === JSON.stringify(m.attrs);
    if (!same) refuse(`node ${n.name} (${n.op}) depends on the batch`);
  });
}

function markBatch(values: onnx.IValueInfoProto[], batched: ReadonlySet<string>): void {
  for (const v of values) {
    if (!batched.has(v.name ?? '')) continue;
    const dims = v.type?.tensorType?.shape?.dim;
    if (dims?.[0]) dims[0] = { dimParam: BATCH_DIM };
  }
}

/**
 * Serialises the graph that `build` emits for a given batch size as a model whose batch dimension is symbolic.
 * `build` must be deterministic (same nodes and names for every batch size), as every builder of ours is.
 */
export function dynamicBatchModel(build: (batch: number) => Graph, options: DynamicModelOptions): Uint8Array {
  const a = build(PROBES[0]);
  const b = build(PROBES[1]);
  checkSameNodes(a, b);
  const batchedInputs = batchedValues(a.inputs, b.inputs, 'input');
  const batchedOutputs = batchedValues(a.outputs, b.outputs, 'output');
  const patches = reshapePatches(a, b);

  const model = onnx.ModelProto.decode(toModelBytes(a, options.metadata));
  const graph = model.graph!;
  for (const init of graph.initializer ?? []) {
    const patched = patches.get(init.name ?? '');
    if (patched) init.rawData = new Uint8Array(patched.buffer, patched.byteOffset, patched.byteLength);
  }
  markBatch(graph.input ?? [], batchedInputs);
  markBatch(graph.output ?? [], batchedOutputs);
  if (options.producerVersion !== undefined) model.producerVersion = options.producerVersion;
  if (options.docString !== undefined) model.docString = options.docString;
  return onnx.ModelProto.encode(model).finish();
}
