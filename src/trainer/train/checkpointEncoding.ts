/**
 * How checkpoint.ts lays a checkpoint out on disk, apart from the file handling: tensors as little-endian
 * float32 bytes on any host, and the check of a parsed header, field by field, with the sentence that names the
 * first problem.
 */
import { isExpression } from '../science/labels';

const IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The tensor's bytes in little-endian order (a view on little-endian hosts, a swapped copy otherwise). */
export function littleEndianBytes(data: Float32Array): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (IS_LITTLE_ENDIAN) return bytes;
  const swapped = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 4) {
    swapped[i] = bytes[i + 3]!;
    swapped[i + 1] = bytes[i + 2]!;
    swapped[i + 2] = bytes[i + 1]!;
    swapped[i + 3] = bytes[i]!;
  }
  return swapped;
}

export function fromLittleEndian(bytes: Uint8Array): Float32Array {
  // A copy into a fresh, aligned buffer (Buffer#slice would only be a view of the file's buffer).
  const copy = new Uint8Array(bytes);
  if (!IS_LITTLE_ENDIAN) {
    for (let i = 0; i < copy.length; i += 4) {
      [copy[i], copy[i + 1], copy[i + 2], copy[i + 3]] = [copy[i + 3]!, copy[i + 2]!, copy[i + 1]!, copy[i]!];
    }
  }
  return new Float32Array(copy.buffer, 0, copy.length / 4);
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

/** The first problem with a parsed header, or undefined when it is complete. */
export function headerProblem(h: Record<string, unknown>): string | undefined {
  const model = h.model;
  if (!isRecord(model) || typeof model.preset !== 'string' || !isCount(model.numClasses) || !isCount(model.inputSize)) {
    return '"model" must be { preset, numClasses, inputSize }';
  }
  if (!Array.isArray(h.labels) || !h.labels.every((l) => typeof l === 'string' && isExpression(l))) {
    return '"labels" must list expression names';
  }
  if (!isFiniteNumber(h.lambda)) return '"lambda" must be a number';
  if (!Array.isArray(h.layers) || !h.layers.every((l) => typeof l === 'string')) {
    return '"layers" must be a list of layer names';
  }
  const norm = h.normalisation;
  const triple = (v: unknown): boolean => Array.isArray(v) && v.length === 3 && v.every(isFiniteNumber);
  if (!isRecord(norm) || !triple(norm.mean) || !triple(norm.std)) {
    return '"normalisation" must be { mean: [r, g, b], std: [r, g, b] }';
  }
  if (typeof h.dataManifestHash !== 'string') return '"dataManifestHash" must be a string';
  if (!isCount(h.epoch) || !isCount(h.step)) return '"epoch" and "step" must be non-negative integers';
  const opt = h.optimizer;
  if (
    !isRecord(opt) ||
    !isFiniteNumber(opt.lr) ||
    !isCount(opt.scheduleStep) ||
    !isFiniteNumber(opt.seed) ||
    !isCount(opt.batchInEpoch)
  ) {
    return '"optimizer" must be { lr, scheduleStep, seed, batchInEpoch, best }';
  }
  if (
    opt.best !== null &&
    (!isRecord(opt.best) || typeof opt.best.metric !== 'string' || !isFiniteNumber(opt.best.value))
  ) {
    return '"optimizer.best" must be null or { metric, value, epoch, step }';
  }
  if (!Array.isArray(h.metrics) || !h.metrics.every(isRecord)) return '"metrics" must be a list of records';
  if (typeof h.createdAt !== 'string') return '"createdAt" must be a string';
  if (!isCount(h.dataBytes)) return '"dataBytes" is missing';
  if (!Array.isArray(h.tensorIndex)) return '"tensorIndex" must be a list';
  for (const [i, e] of h.tensorIndex.entries()) {
    if (!isRecord(e) || (e.group !== 'model' && e.group !== 'momentum') || typeof e.name !== 'string' ||
        !Array.isArray(e.shape) || !e.shape.every(isCount) || !isCount(e.offset) || !isCount(e.bytes)) {
      return `tensorIndex[${i}] must be { group, name, shape, offset, bytes }`;
    }
  }
  return undefined;
}
