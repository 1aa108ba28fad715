/**
 * ONNX tensors may keep their values in other files ("external data": a location, an offset and a length). AU Lens
 * hands ONNX Runtime the model's bytes, never its path, so such values are read here and put inline: only from a
 * regular file inside the model's folder (no absolute path, no `..`, no symbolic link out; io/containedPath.ts),
 * only within that file, and never more than a model file's cap in all. ONNX Runtime then never opens a file.
 */
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { ModelFileError } from '../export/modelDescription';
import { decodeOnnxModel } from '../export/modelMetadata';
import { FileReadError, openRegularFile, READ_CAPS } from '../io/boundedRead';
import { OutsideFolderError, resolveInside } from '../io/containedPath';

const EXTERNAL = onnx.TensorProto.DataLocation.EXTERNAL;

/** Every TensorProto of the model: initializers, sparse ones, and attribute tensors, in subgraphs too. */
function* tensorsOf(graph: onnx.IGraphProto | null | undefined): Generator<onnx.ITensorProto> {
  if (!graph) return;
  yield* graph.initializer ?? [];
  for (const sparse of graph.sparseInitializer ?? []) {
    if (sparse.values) yield sparse.values;
    if (sparse.indices) yield sparse.indices;
  }
  for (const node of graph.node ?? []) {
    for (const attribute of node.attribute ?? []) {
      if (attribute.t) yield attribute.t;
      yield* attribute.tensors ?? [];
      yield* tensorsOf(attribute.g);
      for (const g of attribute.graphs ?? []) yield* tensorsOf(g);
    }
  }
}

const entry = (t: onnx.ITensorProto, key: string): string | undefined =>
  (t.externalData ?? []).find((e) => e.key === key)?.value ?? undefined;

async function readRange(file: string, where: string, offset: number, length: number | undefined): Promise<Buffer> {
  const { handle, size } = await openRegularFile(file);
  try {
    const want = length ?? size - offset;
    if (offset > size || want < 0 || offset + want > size) {
      throw new ModelFileError(where, `external data of ${path.basename(file)} reaches past its end`);
    }
    const buffer = Buffer.alloc(want);
    let done = 0;
    while (done < want) {
      const { bytesRead } = await handle.read(buffer, done, want - done, offset + done);
      if (bytesRead === 0) throw new ModelFileError(where, `external data of ${path.basename(file)} is truncated`);
      done += bytesRead;
    }
    return buffer;
  } finally {
    await handle.close();
  }
}

/**
 * The model with every external tensor inline (the proto is changed in place), or unchanged when it has none;
 * ModelFileError for a location outside the folder, a file that is not regular, or a range past its end.
 */
async function inlineExternalData(proto: onnx.ModelProto, modelFile: string): Promise<boolean> {
  const external = [...tensorsOf(proto.graph)].filter((t) => t.dataLocation === EXTERNAL);
  let total = 0;
  for (const t of external) {
    const location = entry(t, 'location');
    if (location === undefined) {
      throw new ModelFileError(modelFile, `tensor "${t.name}" has external data without a location`);
    }
    const offset = Number(entry(t, 'offset') ?? 0);
    const length = entry(t, 'length') === undefined ? undefined : Number(entry(t, 'length'));
    const count = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;
    if (!count(offset) || (length !== undefined && !count(length))) {
      throw new ModelFileError(modelFile, `tensor "${t.name}" has an invalid external data offset or length`);
    }
    let file: string;
    try {
      file = await resolveInside(path.dirname(modelFile), location, `the external data of tensor "${t.name}"`);
      const bytes = await readRange(file, modelFile, offset, length);
      total += bytes.length;
      if (total > READ_CAPS.modelFile) throw new ModelFileError(modelFile, 'external data larger than 2 GiB in all');
      t.rawData = bytes;
    } catch (error) {
      if (error instanceof OutsideFolderError) throw new ModelFileError(modelFile, error.message, error);
      if (error instanceof FileReadError) {
        throw new ModelFileError(modelFile, `the external data of tensor "${t.name}": ${error.message}`, error);
      }
      throw error;
    }
    t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
    t.externalData = [];
  }
  return external.length > 0;
}

/** The decoded model with its external data inline, and the bytes to give ONNX Runtime (re-encoded if it had any). */
export async function decodeWithData(
  bytes: Uint8Array,
  file: string,
): Promise<{ proto: onnx.ModelProto; bytes: Uint8Array }> {
  const proto = decodeOnnxModel(bytes, file);
  if (!(await inlineExternalData(proto, file))) return { proto, bytes };
  return { proto, bytes: onnx.ModelProto.encode(proto).finish() };
}
