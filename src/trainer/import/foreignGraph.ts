/**
 * What an ONNX image classifier trained elsewhere looks like from outside: its image input and logits output,
 * checked to be N×3×H×W in and N×K out, its constants, and the candidate layers to explain — spatial feature maps
 * (N×C×H×W with H, W > 1) in graph order, with their shapes. Shapes come from the file's value_info when it has
 * them for every node output; otherwise every node output is exposed as a graph output and the model runs once
 * on a zero image (torch.onnx.export writes no value_info by default).
 */
import { onnx } from 'onnx-proto';
import { ModelFileError } from '../export/modelDescription';
import type { EngineOptions } from '../onnx/session';
import { createSession, floatTensor } from '../onnx/session';

/** A dimension: its size, or the name of a symbolic one (or '?' when unnamed). */
export type Dim = number | string;

export interface ValueShape {
  readonly name: string;
  readonly dims: readonly Dim[];
}

export interface CandidateLayer {
  /** The ONNX value (a node output). */
  readonly value: string;
  /** The node that makes it, as "OpType name". */
  readonly node: string;
  /** [C, H, W] for one image. */
  readonly shape: readonly [number, number, number];
}

export interface ClassifierIo {
  readonly input: string;
  /** The input side S of the N×3×S×S image. */
  readonly size: number;
  readonly logits: string;
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

function dimsOf(info: onnx.IValueInfoProto): Dim[] | undefined {
  const shape = info.type?.tensorType?.shape;
  if (!shape) return undefined;
  return (shape.dim ?? []).map((d) =>
    d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0 ? Number(d.dimValue) : d.dimParam || '?',
  );
}

const showDims = (dims: readonly Dim[] | undefined): string => (dims ? `[${dims.join(', ')}]` : '[unknown shape]');

/** Graph inputs that are fed (not initializers), with their shapes. */
export function feedInputs(model: onnx.IModelProto): ValueShape[] {
  const inits = new Set((model.graph?.initializer ?? []).map((t) => t.name));
  return (model.graph?.input ?? [])
    .filter((i) => !inits.has(i.name))
    .map((i) => ({ name: i.name ?? '', dims: dimsOf(i) ?? [] }));
}

export function graphOutputs(model: onnx.IModelProto): ValueShape[] {
  return (model.graph?.output ?? []).map((o) => ({ name: o.name ?? '', dims: dimsOf(o) ?? [] }));
}

export interface IoRequest {
  readonly input?: string;
  readonly size?: number;
  readonly logits?: string;
}

/**
 * The image input and logits output, checked: one N×3×H×W float input (H = W, static or given by `size`), and an
 * [N, K] output. `fixHint` says where the user sets input, size and logits (the sidecar, or a CLI flag).
 */
export function classifierIo(model: onnx.IModelProto, file: string, request: IoRequest, fixHint: string): ClassifierIo {
  const fail = (problem: string): never => {
    throw new ModelFileError(file, problem);
  };
  const inputs = feedInputs(model);
  if (inputs.length === 0) fail('the model has no input to feed an image to');
  const input =
    request.input === undefined
      ? inputs.length === 1
        ? inputs[0]!
        : fail(
            `the model has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); name the image input ` +
              `in ${fixHint} ("input.name")`,
          )
      : (inputs.find((i) => i.name === request.input) ??
        fail(`the model has no input "${request.input}"; its inputs: ${inputs.map((i) => i.name).join(', ')}`));
  const d = input.dims;
  if (d.length !== 4 || (typeof d[1] === 'number' && d[1] !== 3)) {
    fail(
      `input "${input.name}" is ${showDims(d)}, but AU Lens feeds RGB images as N×3×H×W; a ` +
        `${d.length === 4 ? `${String(d[1])}-channel` : `rank-${d.length}`} input cannot take a face crop`,
    );
  }
  const [h, w] = [d[2], d[3]];
  let size = request.size;
  if (typeof h === 'number' && typeof w === 'number') {
    if (h !== w) fail(`input "${input.name}" is ${showDims(d)}; AU Lens feeds square face crops (H = W)`);
    if (size !== undefined && size !== h) {
      fail(
        `the sidecar's input.size ${size} does not match the model's input ${showDims(d)}; set input.size to ${h} ` +
          `or remove it`,
      );
    }
    size = h;
  } else if (size === undefined) {
    fail(
      `input "${input.name}" has dynamic height and width ${showDims(d)}; set the side the model was trained at as ` +
        `"input.size" in ${fixHint}`,
    );
  }
  const outputs = graphOutputs(model);
  const out =
    request.logits === undefined
      ? outputs.length === 1
        ? outputs[0]!
        : fail(
            `the model has ${outputs.length} outputs (${outputs.map((o) => o.name).join(', ')}); name the class ` +
              `scores in ${fixHint} ("logits")`,
          )
      : (outputs.find((o) => o.name === request.logits) ??
        fail(`the model has no output "${request.logits}"; its outputs: ${outputs.map((o) => o.name).join(', ')}`));
  checkLogitsShape(file, out.name, out.dims);
  return { input: input.name, size: size!, logits: out.name };
}

/** An image classifier's scores are [N, K]; anything else (an image, a feature map) is another kind of model. */
export function checkLogitsShape(file: string, name: string, dims: readonly Dim[]): void {
  if (dims.length === 0) return;
  const k = dims[1];
  if (dims.length !== 2 || (typeof k === 'number' && k < 2)) {
    throw new ModelFileError(
      file,
      `not an image classifier: output "${name}" is ${showDims(dims)}, but class scores are [N, K] with K ≥ 2` +
        (dims.length === 4 ? ' (this looks like an image-to-image or feature model)' : ''),
    );
  }
}

/** The number of classes, when the output shape says it. */
export function classCount(model: onnx.IModelProto, logits: string): number | undefined {
  const k = graphOutputs(model).find((o) => o.name === logits)?.dims[1];
  return typeof k === 'number' ? k : undefined;
}

/** A float32 or int64 tensor's values, from raw little-endian bytes or the typed fields. */
export function tensorValues(t: onnx.ITensorProto): Float32Array | BigInt64Array | undefined {
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  if (t.dataType === FLOAT) {
    if (raw) return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    return Float32Array.from(t.floatData ?? []);
  }
  if (t.dataType === INT64) {
    if (raw) return new BigInt64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    return BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(String(v))));
  }
  return undefined;
}

export const tensorDims = (t: onnx.ITensorProto): number[] => (t.dims ?? []).map(Number);

/** Every value made by a node, in graph order, with the node that makes it. */
export function nodeOutputs(model: onnx.IModelProto): { value: string; node: string }[] {
  return (model.graph?.node ?? []).flatMap((n) =>
    (n.output ?? [])
      .filter((o) => o !== '')
      .map((value) => ({ value, node: `${n.opType ?? '?'} ${n.name ?? ''}`.trim() })),
  );
}

/** The model with `values` added as graph outputs (types left to the runtime's inference), re-encoded. */
export function withOutputs(model: onnx.IModelProto, values: readonly string[]): Uint8Array {
  const existing = new Set((model.graph?.output ?? []).map((o) => o.name));
  const added = values.filter((v) => !existing.has(v)).map((name) => onnx.ValueInfoProto.create({ name }));
  const graph = onnx.GraphProto.create({ ...model.graph, output: [...(model.graph?.output ?? []), ...added] });
  return onnx.ModelProto.encode(onnx.ModelProto.create({ ...model, graph })).finish();
}

const isSpatial = (dims: readonly Dim[] | undefined): dims is readonly [Dim, number, number, number] =>
  !!dims &&
  dims.length === 4 &&
  [1, 2, 3].every((i) => typeof dims[i] === 'number') &&
  (dims[2] as number) > 1 &&
  (dims[3] as number) > 1;

/** Shapes from value_info, when the file has one for every node output. */
function staticShapes(model: onnx.IModelProto): Map<string, readonly Dim[]> | undefined {
  const known = new Map<string, readonly Dim[]>();
  for (const v of [...(model.graph?.valueInfo ?? []), ...(model.graph?.output ?? [])]) {
    const dims = dimsOf(v);
    if (dims && v.name) known.set(v.name, dims);
  }
  return nodeOutputs(model).every((o) => known.has(o.value)) ? known : undefined;
}

/** A value's shape and element type, as the runtime produced it. */
export interface MeasuredValue {
  readonly dims: readonly number[];
  readonly type: string;
}

/** Runs the model once on a zero image of batch 1 with every node output exposed; each value's shape and type. */
export async function measureValues(
  model: onnx.IModelProto,
  file: string,
  io: ClassifierIo,
  engine: EngineOptions,
): Promise<Map<string, MeasuredValue>> {
  const values = nodeOutputs(model).map((o) => o.value);
  let session;
  try {
    session = await createSession(withOutputs(model, values), engine);
  } catch (error) {
    throw new ModelFileError(
      file,
      `ONNX Runtime cannot load the model (${(error as Error).message.split('\n')[0]})`,
      error,
    );
  }
  try {
    const s = io.size;
    const out = await session.run({ [io.input]: floatTensor(new Float32Array(3 * s * s), [1, 3, s, s]) });
    return new Map(Object.entries(out).map(([name, t]) => [name, { dims: t.dims.map(Number), type: t.type }]));
  } catch (error) {
    throw new ModelFileError(
      file,
      `the model does not run on a 1×3×${io.size}×${io.size} image (${(error as Error).message.split('\n')[0]}); ` +
        `check "input.size"`,
      error,
    );
  } finally {
    await session.release();
  }
}

/** The spatial feature maps of the graph, in graph order, the logits' shape for one image, and every value's. */
export async function discoverLayers(
  model: onnx.IModelProto,
  file: string,
  io: ClassifierIo,
  engine: EngineOptions = {},
): Promise<{ layers: CandidateLayer[]; logits: readonly Dim[]; shapes: ReadonlyMap<string, readonly Dim[]> }> {
  const shapes =
    staticShapes(model) ??
    new Map([...(await measureValues(model, file, io, engine))].map(([name, v]) => [name, v.dims]));
  const layers = nodeOutputs(model).flatMap(({ value, node }) => {
    const dims = shapes.get(value);
    return isSpatial(dims) ? [{ value, node, shape: [dims[1], dims[2], dims[3]] as const }] : [];
  });
  return { layers, logits: shapes.get(io.logits) ?? [], shapes };
}

/**
 * The default layers to explain: the last map of each spatial resolution (a ResNet's stage outputs), at most
 * `count`, the last included.
 */
export function defaultLayers(candidates: readonly CandidateLayer[], count = 4): CandidateLayer[] {
  const lastOfSize = candidates.filter((c, i) => {
    const next = candidates[i + 1];
    return !next || next.shape[1] !== c.shape[1] || next.shape[2] !== c.shape[2];
  });
  return lastOfSize.slice(-count);
}
