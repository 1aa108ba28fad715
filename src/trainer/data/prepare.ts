/**
 * Turns dataset files into training-ready samples once per run: decode, landmarks (through the on-disk cache), the
 * face frame, the frame resampled to the base square, and the AU map of the sample's class moved onto it.
 * Per epoch, augment.ts then only has to warp these small squares.
 *
 * The base square has side round(S·256/224) for input size S: the paper resizes to 256 and crops 224
 * (docs/paper-notes.md §6). The AU map is built in the 224 face frame, where the paper's pixel constants hold
 * (§3), and moved to the base side with NEAREST, as the paper moves maps.
 */
import type { DatasetSample } from '../io/dataset';
import { ImageError } from '../io/image';
import type { RgbImage } from '../io/image';
import type { LazyLandmarker } from '../io/landmarkCache';
import { detectSourceWithCache, loaded } from '../io/landmarkCache';
import type { DetectedFace, FaceLandmarker } from '../io/landmarks';
import { decodeSource } from '../io/layouts/decode';
import type { SampleSource } from '../io/layouts/types';
import type { Codebook } from '../science/codebook';
import { ausForExpression } from '../science/codebook';
import { isTightCrop } from '../science/faceCheck';
import type { FaceCrop, FaceFrame } from '../science/faceFrame';
import { cropFrame, FACE_FRAME_SIZE, landmarksInFrame, moveFrameMap, sameFrame } from '../science/faceFrame';
import type { Box, Heatmap, Landmarks68 } from '../science/types';
import type { AuHeatmap } from '../science/heatmap';
import { buildAuHeatmap } from '../science/heatmap';
import type { Expression } from '../science/labels';
import { resizeNearest } from '../science/raster';
import { baseSideFor } from './augment';
import { faceApiFaceBox, faceApiFrame, faceApiResize } from './faceApiCrop';
import { resampleRegion, toBytes } from './resample';

/** Why a sample has no AU map: its class uses no AU (neutral), no face was found, or every AU fell outside. */
export type AuInvalidReason = Extract<AuHeatmap, { valid: false }>['reason'] | 'no-face';

/**
 * Where a face's landmarks lie, so regions drawn in the paper's frame (the faithfulness metrics' AU regions) move
 * to the model's input exactly as its AU map does (frameMapToInput).
 */
export interface FaceGeometry {
  /** The 68 landmarks in the paper's 224 face frame. */
  readonly landmarks: Landmarks68;
  /** The paper's face frame and the model's crop, in image pixels. */
  readonly auFrame: FaceFrame;
  readonly frame: FaceFrame;
  /** The model's crop, which sets the side the frame is prepared at (preparedSide). */
  readonly crop: FaceCrop;
}

export interface PreparedSample {
  readonly path: string;
  /** Index of the class in the run's label order. */
  readonly label: number;
  /** Side of the base square. */
  readonly side: number;
  /** side × side × 3 bytes, row-major RGB. */
  readonly rgb: Uint8Array;
  /** side × side AU map in [0, 1]; undefined = no target, the sample trains with cross-entropy only. */
  readonly au?: Float32Array;
  readonly auInvalidReason?: AuInvalidReason;
  /** Absent without a face. */
  readonly geometry?: FaceGeometry;
}

export interface PrepareOptions extends SampleSettings {
  /** Class order: a sample's label is the index of its expression here. */
  readonly labels: readonly Expression[];
  readonly detector: FaceLandmarker;
  /** Called after each file, prepared or not. */
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

export interface PrepareReport {
  readonly total: number;
  readonly prepared: number;
  /** Files that could not be read or decoded; they are left out of training. */
  readonly corrupt: { readonly path: string; readonly reason: string }[];
  /** Files without a detected face: kept, without an AU map. */
  readonly noFace: string[];
  readonly auValid: number;
  readonly auInvalid: number;
}

export interface PrepareResult {
  readonly samples: PreparedSample[];
  readonly report: PrepareReport;
}

/** The most confident face; detectors sort by score, but a cache written by another tool might not. */
function mostConfident(faces: readonly DetectedFace[]): DetectedFace | undefined {
  return faces.reduce<DetectedFace | undefined>(
    (best, f) => (best === undefined || f.score > best.score ? f : best),
    undefined,
  );
}

/**
 * The square the sample is cut from. A tight face crop (the face fills the image, as in CK+48: see isTightCrop)
 * is its own frame; in a photo, the most confident face's box enlarged by 30 % (crop 'paper', also the frame AU
 * maps are built in) or the box alone (crop 'box'). Crop 'faceapi' is face-api's square about the landmarks
 * (data/faceApiCrop.ts), whatever the image. Without a face, the whole image, centred in a square, so the network
 * still sees it for cross-entropy.
 */
export function sampleFrame(
  image: { width: number; height: number },
  face: DetectedFace | undefined,
  crop: FaceCrop = 'paper',
): FaceFrame {
  if (face) {
    if (crop === 'faceapi') return faceApiFrame(faceApiFaceBox(face.landmarks, image.width, image.height));
    const tight = isTightCrop(face.landmarks, image.width, image.height);
    return cropFrame(face.box, image.width, image.height, tight, crop);
  }
  const side = Math.max(image.width, image.height);
  return { x: (image.width - side) / 2, y: (image.height - side) / 2, side };
}

/**
 * The side of the square a model with crop `crop` is prepared at: face-api's crop is made at the network's input
 * size, as face-api makes it, so the eval transform leaves it as it is; the paper's is made at its 256/224 base.
 */
export function preparedSide(inputSize: number, crop: FaceCrop): number {
  const base = baseSideFor(inputSize); // also rejects an input size that is not a positive integer
  return crop === 'faceapi' ? inputSize : base;
}

export interface PreparedImage {
  readonly side: number;
  readonly rgb: Uint8Array;
  readonly frame: FaceFrame;
  readonly face?: DetectedFace;
  readonly au?: Float32Array;
  readonly auInvalidReason?: AuInvalidReason;
  readonly geometry?: FaceGeometry;
}

/** Blacks out the pixels of a side × side crop of `frame` whose centres lie outside `box` (crop 'box'). */
export function maskOutsideBox(rgb: Uint8Array, side: number, frame: FaceFrame, box: Box): void {
  const k = side / frame.side;
  const [x0, x1] = [(box.x - frame.x) * k, (box.x + box.width - frame.x) * k];
  const [y0, y1] = [(box.y - frame.y) * k, (box.y + box.height - frame.y) * k];
  for (let y = 0; y < side; y++) {
    const rowOutside = y + 0.5 < y0 || y + 0.5 > y1;
    for (let x = 0; x < side; x++) {
      if (rowOutside || x + 0.5 < x0 || x + 0.5 > x1) rgb.fill(0, (y * side + x) * 3, (y * side + x) * 3 + 3);
    }
  }
}

/** The base square a model with crop `crop` sees of `face` (the whole image when there is none). */
export function cropImage(
  image: RgbImage,
  face: DetectedFace | undefined,
  side: number,
  crop: FaceCrop,
): { frame: FaceFrame; rgb: Uint8Array } {
  if (face && crop === 'faceapi') {
    const box = faceApiFaceBox(face.landmarks, image.width, image.height);
    const frame = faceApiFrame(box);
    return { frame, rgb: faceApiResize(image, box, frame, side) };
  }
  const frame = sampleFrame(image, face, crop);
  const rgb = toBytes(resampleRegion(image, frame, side));
  const tight = face !== undefined && isTightCrop(face.landmarks, image.width, image.height);
  if (face && crop === 'box' && !tight) maskOutsideBox(rgb, side, frame, face.box);
  return { frame, rgb };
}

/**
 * One decoded image and its detected faces → the base square and, for `expression`, its AU map. Shared by
 * training and by single-image inference, so both see the same crop. The AU map is built in the paper's face
 * frame and moved into the model's crop when that differs (crop 'box').
 */
export function prepareImage(
  image: RgbImage,
  faces: readonly DetectedFace[],
  expression: Expression,
  codebook: Codebook,
  inputSize: number,
  crop: FaceCrop = 'paper',
): PreparedImage {
  const side = preparedSide(inputSize, crop);
  const face = mostConfident(faces);
  const { frame, rgb } = cropImage(image, face, side, crop);
  if (!face) return { side, rgb, frame, auInvalidReason: 'no-face' };
  const auFrame = sampleFrame(image, face);
  const geometry: FaceGeometry = { landmarks: landmarksInFrame(face.landmarks, auFrame), auFrame, frame, crop };
  const aus = ausForExpression(codebook, expression);
  const heatmap = buildAuHeatmap(geometry.landmarks, FACE_FRAME_SIZE, FACE_FRAME_SIZE, aus);
  if (!heatmap.valid) return { side, rgb, frame, face, geometry, auInvalidReason: heatmap.reason };
  return {
    side,
    rgb,
    frame,
    face,
    geometry,
    au: (sameFrame(auFrame, frame)
      ? resizeNearest(heatmap.map, side, side)
      : moveFrameMap(heatmap.map, auFrame, frame, side)
    ).data,
  };
}

/** A sample to prepare: `path` names it in reports; its pixels come from `source`, else from the file `path`. */
export type SampleToPrepare = Pick<DatasetSample, 'path' | 'label'> & { readonly source?: SampleSource };

/** What preparing one sample needs besides the sample: the run's model input, crop and codebook, the caches. */
export interface SampleSettings {
  readonly inputSize: number;
  readonly crop?: FaceCrop;
  readonly codebook: Codebook;
  /** Landmark cache folder (default: the user cache, see landmarkCache.ts). */
  readonly cacheDir?: string;
  readonly maxPixels?: number;
}

/** One sample prepared, or why its pixels could not be read (ImageError's problem). */
export type PreparedOne =
  | { readonly ok: true; readonly image: PreparedImage }
  | { readonly ok: false; readonly reason: string };

/**
 * Decodes one sample, finds its faces (from the cache, else with the landmarker; or `faces` when the caller has
 * them) and prepares it. A sample that cannot be read or decoded is reported, not thrown; other failures (the
 * detector itself breaking) are not about one sample and are thrown.
 */
export async function prepareOne(
  landmarker: LazyLandmarker,
  source: SampleSource,
  expression: Expression,
  settings: SampleSettings,
  faces?: readonly DetectedFace[],
): Promise<PreparedOne> {
  const limit = settings.maxPixels === undefined ? {} : { maxPixels: settings.maxPixels };
  try {
    const image = await decodeSource(source, limit);
    const found = faces ?? (await detectSourceWithCache(landmarker, source, {
      image, ...limit, ...(settings.cacheDir !== undefined && { dir: settings.cacheDir }),
    })).faces;
    return {
      ok: true,
      image: prepareImage(image, found, expression, settings.codebook, settings.inputSize, settings.crop),
    };
  } catch (error) {
    if (!(error instanceof ImageError)) throw error;
    return { ok: false, reason: error.problem };
  }
}

/**
 * A map of the paper's frame moved to the model's input as the data pipeline moves it (prepare.ts, augment.ts):
 * nearest to the base square of the model's crop, nearest to S.
 */
export function frameMapToInput(
  map: Heatmap,
  inputSize: number,
  auFrame: FaceFrame,
  frame: FaceFrame,
  crop: FaceCrop,
): Heatmap {
  const side = preparedSide(inputSize, crop);
  const base = sameFrame(auFrame, frame) ? resizeNearest(map, side, side) : moveFrameMap(map, auFrame, frame, side);
  const input = resizeNearest(base, inputSize, inputSize);
  // The loader clips maps to [0, 1] last (augment.ts mapInto).
  for (let i = 0; i < input.data.length; i++) input.data[i] = Math.min(1, Math.max(0, input.data[i]!));
  return input;
}

/**
 * Each class's index in `labels`, refusing a sample whose class is not among them (before any file is read);
 * `name` says which sample that is.
 */
export function labelIndexFor<S extends { readonly label: Expression }>(
  samples: readonly S[],
  labels: readonly Expression[],
  name: (sample: S) => string,
): Map<Expression, number> {
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const unknown = samples.find((s) => !labelIndex.has(s.label));
  if (unknown) {
    const known = labels.join(', ');
    throw new RangeError(`${name(unknown)}: class ${unknown.label} is not among the run's labels (${known})`);
  }
  return labelIndex;
}

/**
 * Prepares every sample into memory, in order: the pipeline before the shard cache (cache/buildCache.ts), kept
 * for evaluation's chunks (eval/chunkedBatches.ts: the shards lack landmark geometry), small sets and as the data
 * benchmark's baseline. A file that cannot be read or decoded is listed in
 * `report.corrupt` and left out (the run goes on); a file without a face keeps its image and gets no AU map.
 * Cancelled through `signal`: it rejects with the signal's reason between two files.
 */
export async function prepareSamples(
  samples: readonly SampleToPrepare[],
  options: PrepareOptions,
): Promise<PrepareResult> {
  const { inputSize, signal } = options;
  const labelIndex = labelIndexFor(samples, options.labels, (s) => s.path);
  baseSideFor(inputSize); // throws on a bad input size before any file is read

  const prepared: PreparedSample[] = [];
  const corrupt: { path: string; reason: string }[] = [];
  const noFace: string[] = [];
  let auValid = 0;
  for (const [i, sample] of samples.entries()) {
    signal?.throwIfAborted();
    const source = sample.source ?? { kind: 'file' as const, path: sample.path };
    const one = await prepareOne(loaded(options.detector), source, sample.label, options);
    if (!one.ok) corrupt.push({ path: sample.path, reason: one.reason });
    else {
      const result = one.image;
      if (result.auInvalidReason === 'no-face') noFace.push(sample.path);
      if (result.au) auValid++;
      prepared.push({
        path: sample.path,
        label: labelIndex.get(sample.label)!,
        side: result.side,
        rgb: result.rgb,
        ...(result.au && { au: result.au }),
        ...(result.auInvalidReason && { auInvalidReason: result.auInvalidReason }),
        ...(result.geometry && { geometry: result.geometry }),
      });
    }
    options.onProgress?.(i + 1, samples.length);
  }
  signal?.throwIfAborted();
  return {
    samples: prepared,
    report: {
      total: samples.length,
      prepared: prepared.length,
      corrupt,
      noFace,
      auValid,
      auInvalid: prepared.length - auValid,
    },
  };
}
