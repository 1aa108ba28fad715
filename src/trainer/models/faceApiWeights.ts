/**
 * face-api's expression weights (a tfjs weights manifest and its binary shards) → our parameters. The manifest is
 * checked against the layout faceApiInfo.ts describes before any value is used, so a package version with
 * another layout fails with the name of the missing, extra or mis-shaped tensor instead of giving a wrong model.
 *
 * Values are decoded as tfjs-core's io_utils.decodeWeight does (uint8/uint16 quantisation: q·scale + min,
 * rounded to float32), so our weights are bit-identical to the ones face-api runs with. Layouts move from
 * TensorFlow's to ONNX's: conv filters [kh, kw, Cin, Cout] → [Cout, Cin, kh, kw], depthwise [kh, kw, C, 1] →
 * [C, 1, kh, kw], the fc matrix [in, out] → [out, in] (our Linear is x·Wᵀ).
 */
import type { FaceApiConv } from './faceApiInfo';
import {
  biasName, depthwiseName, FACEAPI_EXPRESSION_LABELS, FACEAPI_HEAD, faceApiBlocks, plainName, pointwiseName,
} from './faceApiInfo';
import type { ParamStore } from './types';

/** A manifest or weight file that does not hold the network AU Lens expects; `source` names the file. */
export class FaceApiWeightsError extends Error {
  override readonly name = 'FaceApiWeightsError';

  constructor(readonly source: string, readonly problem: string) {
    super(`${source}: ${problem}`);
  }
}

/** One group of a tfjs weights manifest with its shards' bytes concatenated. */
export interface WeightGroup {
  readonly weights: unknown;
  readonly data: Uint8Array;
}

interface Expected {
  /** face-api's weight-map name. */
  readonly tfName: string;
  /** Shape in the manifest (TensorFlow layout). */
  readonly tfShape: readonly number[];
  readonly name: string;
  /** Permutes TF-layout values into ours. */
  readonly convert: (values: Float32Array) => Float32Array;
}

/** [kh, kw, Cin, Cout] → [Cout, Cin, kh, kw] (a depthwise [kh, kw, C, 1] is the same move with Cout = 1). */
function hwioToOihw(kh: number, kw: number, cin: number, cout: number): (v: Float32Array) => Float32Array {
  return (v) => {
    const out = new Float32Array(v.length);
    for (let o = 0; o < cout; o++) {
      for (let i = 0; i < cin; i++) {
        for (let y = 0; y < kh; y++) {
          for (let x = 0; x < kw; x++) out[((o * cin + i) * kh + y) * kw + x] = v[((y * kw + x) * cin + i) * cout + o]!;
        }
      }
    }
    return out;
  };
}

const same = (v: Float32Array): Float32Array => v;

/** Every tensor of face_expression_model in manifest order, with where it goes. */
function expectedTensors(): Expected[] {
  const tensors: Expected[] = [];
  const add = (conv: FaceApiConv): void => {
    const { tfName, cin, cout } = conv;
    if (conv.kind === 'plain') {
      tensors.push({
        tfName: `${tfName}/filters`,
        tfShape: [3, 3, cin, cout],
        name: plainName(conv),
        convert: hwioToOihw(3, 3, cin, cout),
      });
    } else {
      tensors.push({
        tfName: `${tfName}/depthwise_filter`,
        tfShape: [3, 3, cin, 1],
        name: depthwiseName(conv),
        convert: hwioToOihw(3, 3, cin, 1),
      });
      tensors.push({
        tfName: `${tfName}/pointwise_filter`,
        tfShape: [1, 1, cin, cout],
        name: pointwiseName(conv),
        convert: hwioToOihw(1, 1, cin, cout),
      });
    }
    tensors.push({ tfName: `${tfName}/bias`, tfShape: [cout], name: biasName(conv), convert: same });
  };
  for (const block of faceApiBlocks()) block.convs.forEach(add);
  const features = faceApiBlocks().at(-1)!.convs[0]!.cout;
  const classes = FACEAPI_EXPRESSION_LABELS.length;
  tensors.push({
    tfName: 'fc/weights',
    tfShape: [features, classes],
    name: `${FACEAPI_HEAD}.weight`,
    convert: hwioToOihw(1, 1, features, classes),
  });
  tensors.push({ tfName: 'fc/bias', tfShape: [classes], name: `${FACEAPI_HEAD}.bias`, convert: same });
  return tensors;
}

const shapeText = (shape: readonly number[]): string => `[${shape.join(', ')}]`;
const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

interface Entry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly quantization?: { readonly dtype: string; readonly scale?: number; readonly min?: number };
}

function isEntry(e: unknown): e is Entry {
  if (typeof e !== 'object' || e === null) return false;
  const r = e as Record<string, unknown>;
  return (
    typeof r.name === 'string' &&
    typeof r.dtype === 'string' &&
    Array.isArray(r.shape) &&
    r.shape.every((d) => Number.isInteger(d) && (d as number) >= 0)
  );
}

/** One tensor's float32 values from its bytes, as tfjs decodes them; returns the bytes it took. */
function decodeEntry(
  e: Entry,
  data: Uint8Array,
  offset: number,
  fail: (problem: string) => never,
): { values: Float32Array; bytes: number } {
  const n = numel(e.shape);
  if (e.dtype !== 'float32') fail(`tensor "${e.name}" is ${e.dtype}, expected float32`);
  const q = e.quantization;
  const width = q === undefined ? 4 : q.dtype === 'uint8' ? 1 : q.dtype === 'uint16' ? 2 : 0;
  if (width === 0) {
    fail(`tensor "${e.name}" uses ${q!.dtype} quantisation, which AU Lens does not read (uint8, uint16 or none)`);
  }
  if (q !== undefined && (typeof q.scale !== 'number' || typeof q.min !== 'number')) {
    fail(`tensor "${e.name}" is quantised without scale and min`);
  }
  const bytes = n * width;
  if (offset + bytes > data.length) {
    fail(
      `the weight data ends inside tensor "${e.name}" (needs bytes ${offset}–${offset + bytes}, the shards hold ` +
        `${data.length})`,
    );
  }
  const view = new DataView(data.buffer, data.byteOffset + offset, bytes);
  const values = new Float32Array(n);
  if (q === undefined) for (let i = 0; i < n; i++) values[i] = view.getFloat32(4 * i, true);
  else {
    const { scale, min } = q as { scale: number; min: number };
    for (let i = 0; i < n; i++) {
      values[i] = (width === 1 ? view.getUint8(i) : view.getUint16(2 * i, true)) * scale + min;
    }
  }
  return { values, bytes };
}

/**
 * The network's parameters (7-class head in face-api's order, FACEAPI_EXPRESSION_LABELS) from a manifest's
 * groups. The layout (names and shapes) is checked before the bytes, so a changed layout is reported as such
 * rather than as a size mismatch. `source` names the manifest in errors.
 */
export function decodeFaceApiWeights(groups: readonly WeightGroup[], source: string): ParamStore {
  const fail = (problem: string): never => {
    throw new FaceApiWeightsError(source, problem);
  };
  const entries = groups.map((group, gi) => {
    if (!Array.isArray(group.weights)) {
      fail(`manifest group ${gi} has no "weights" list; this is not a tfjs weights manifest`);
    }
    return (group.weights as unknown[]).map((e, i) =>
      isEntry(e) ? e : fail(`manifest group ${gi}, weight ${i} is not { name, shape, dtype }`),
    );
  });
  const byName = new Map(entries.flat().map((e) => [e.name, e]));

  const expected = expectedTensors();
  const hint = 'AU Lens reads the faceExpressionNet layout of @vladmandic/face-api 1.7';
  for (const t of expected) {
    const e = byName.get(t.tfName) ?? fail(`the manifest has no tensor "${t.tfName}" ${shapeText(t.tfShape)}; ${hint}`);
    if (e.shape.length !== t.tfShape.length || e.shape.some((d, i) => d !== t.tfShape[i])) {
      fail(`tensor "${t.tfName}" is ${shapeText(e.shape)}, expected ${shapeText(t.tfShape)}; ${hint}`);
    }
  }
  const names = new Set(expected.map((t) => t.tfName));
  const extra = [...byName.values()].find((e) => !names.has(e.name));
  if (extra !== undefined) {
    fail(
      `the manifest has a tensor "${extra.name}" ${shapeText(extra.shape)} that faceExpressionNet does not have; ` +
        `${hint}`,
    );
  }

  const values = new Map<string, Float32Array>();
  entries.forEach((list, gi) => {
    const { data } = groups[gi]!;
    let offset = 0;
    for (const e of list) {
      const decoded = decodeEntry(e, data, offset, fail);
      values.set(e.name, decoded.values);
      offset += decoded.bytes;
    }
    if (offset !== data.length) {
      fail(`manifest group ${gi} describes ${offset} bytes of weights, its shards hold ${data.length}`);
    }
  });
  return new Map(expected.map((t) => [t.name, t.convert(values.get(t.tfName)!)]));
}
