/**
 * Face boxes and 68-point landmarks with @vladmandic/face-api on the tfjs wasm backend, offline.
 *
 * Three ways of finding a face, tried in the order io/faceStrategy.ts sets from what the image can hold, each
 * result checked for plausibility (science/faceCheck.ts); the first with a plausible face wins and is recorded in
 * `method` (measured in shared/docs/landmark-notes.md):
 * - 'detector': SSD MobileNet v1 on the image as it is (ordinary photos and portraits);
 * - 'padded': for tight face crops (CK+48 is 48×48) the face fills the frame, which the detectors cannot handle, so
 *   the crop is centred on a grey canvas twice its size, scaled to 288 px and searched with the tiny detector
 *   keeping its best box even at a low score (981/981 CK+48 faces);
 * - 'whole-image': the whole image taken as the face box, which is only sound for a tight crop.
 */
import * as path from 'node:path';
import type * as FaceApi from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import type * as Tf from '@tensorflow/tfjs';
import type * as TfWasm from '@tensorflow/tfjs-backend-wasm';
import type { Box, Landmarks68, Point } from '../science/types';
import { faceStrategies, firstPlausible } from './faceStrategy';
import type { RgbImage } from './image';

/** The face-finding strategies, in the order they are tried (see the header). */
export const DETECTION_METHODS = ['detector', 'padded', 'whole-image'] as const;
export type DetectionMethod = (typeof DETECTION_METHODS)[number];

export interface DetectedFace {
  /** Face box in image pixels; it may reach past the image edges when the face is cut by the frame. */
  readonly box: Box;
  /** Detector confidence in [0, 1]; 0 for 'whole-image', where no detector ran. */
  readonly score: number;
  /** 68 iBUG points in image pixels (chin points may fall below a tight crop). */
  readonly landmarks: Landmarks68;
  readonly method: DetectionMethod;
}

/** What the cache and the CLI need from a detector, so tests can substitute a fake one. */
export interface FaceLandmarker {
  /** Changes whenever results could change, so cached results of another configuration are not reused. */
  readonly version: string;
  detect(image: RgbImage): Promise<DetectedFace[]>;
}

export interface LandmarkDetectorOptions {
  /** SSD threshold for ordinary photos; 0.3 finds every face of face-api's demo photos without false ones. */
  readonly ssdMinConfidence?: number;
  /** Tiny-detector threshold on padded crops: low, because only the best box is kept. */
  readonly cropScoreThreshold?: number;
  /** Take the whole crop as the face when the padded search finds nothing (default true). */
  readonly wholeImageFallback?: boolean;
}

const DEFAULTS: Required<LandmarkDetectorOptions> = {
  ssdMinConfidence: 0.3,
  cropScoreThreshold: 0.05,
  wholeImageFallback: true,
};

/** Grey border per edge as a fraction of the crop's larger side; the detector wants the face at ~1/2 frame. */
const CROP_BORDER = 0.5;
const CROP_CANVAS = 288;
const CROP_GREY = 128;
const TINY_INPUT_SIZE = 320;
/**
 * Bump when the pre- or post-processing below, the strategies' order or rules (faceStrategy.ts) or the plausibility
 * check (science/faceCheck.ts) change, so cached landmarks are recomputed. 2: strategies chosen by what the image
 * holds and checked, instead of by its size alone.
 */
const ALGORITHM_REVISION = 2;

interface Runtime {
  readonly tf: typeof Tf;
  readonly faceapi: typeof FaceApi;
}

let runtime: Promise<Runtime> | undefined;

/**
 * Loads tfjs, the wasm backend and face-api's three networks once per process: every detector shares them, and
 * the training code shares the same tfjs instance (face-api's node-wasm build does not bundle its own).
 */
function loadRuntime(): Promise<Runtime> {
  if (runtime) return runtime;
  runtime = (async (): Promise<Runtime> => {
    // Required lazily so that commands which never detect faces do not pay ~0.5 s for tfjs at start-up; by file
    // path because face-api's `main` is the tfjs-node build, which cannot be installed here.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const tf = require('@tensorflow/tfjs') as typeof Tf;
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof TfWasm;
    const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as typeof FaceApi;
    /* eslint-enable @typescript-eslint/no-require-imports */
    // The .wasm binaries sit beside the package's node entry point; never a CDN (no network at run time).
    const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    wasm.setWasmPaths(wasmDir + path.sep);
    // tfjs prints its "install the node backend" banner only when the cpu backend is first used; going straight
    // to wasm keeps it quiet without enabling prod mode, which would change behaviour for the training code.
    if (tf.getBackend() !== 'wasm' && !(await tf.setBackend('wasm'))) {
      throw new Error(`cannot start the tfjs wasm backend from ${wasmDir}`);
    }
    await tf.ready();
    const modelDir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
    await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
    await faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir);
    await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
    return { tf, faceapi };
  })();
  // A failed start (missing model files, say) must not poison later attempts after the user fixes it.
  runtime.catch(() => {
    runtime = undefined;
  });
  return runtime;
}

/** face-api's types declare their own copy of tfjs's Tensor; at run time it is the same class. */
function asNetInput(tensor: Tf.Tensor3D): FaceApi.TNetInput {
  return tensor as unknown as FaceApi.TNetInput;
}

/** Where a crop sits on the padded square canvas, to map detections back. */
interface Placement {
  readonly left: number;
  readonly top: number;
  readonly scale: number;
}

function mapPoint(p: { x: number; y: number }, at: Placement): Point {
  return { x: p.x / at.scale - at.left, y: p.y / at.scale - at.top };
}

function mapBox(b: { x: number; y: number; width: number; height: number }, at: Placement): Box {
  return {
    x: b.x / at.scale - at.left,
    y: b.y / at.scale - at.top,
    width: b.width / at.scale,
    height: b.height / at.scale,
  };
}

const IDENTITY: Placement = { left: 0, top: 0, scale: 1 };

function toFace(
  result: { detection: { score: number; box: FaceApi.Box }; landmarks: FaceApi.FaceLandmarks68 },
  method: DetectionMethod,
  at: Placement,
): DetectedFace {
  return {
    box: mapBox(result.detection.box, at),
    score: result.detection.score,
    landmarks: result.landmarks.positions.map((p) => mapPoint(p, at)),
    method,
  };
}

export class LandmarkDetector implements FaceLandmarker {
  readonly version: string;

  private constructor(
    private readonly rt: Runtime,
    private readonly options: Required<LandmarkDetectorOptions>,
  ) {
    const o = options;
    this.version =
      `face-api@${rt.faceapi.version} r${ALGORITHM_REVISION} ssd>=${o.ssdMinConfidence} ` +
      `padded:tiny${TINY_INPUT_SIZE}>=${o.cropScoreThreshold},border${CROP_BORDER},${CROP_CANVAS}px` +
      (o.wholeImageFallback ? ',whole-image' : '');
  }

  /** Creates a detector; the first call in a process loads tfjs and the models (~0.5 s), later ones are instant. */
  static async create(options: LandmarkDetectorOptions = {}): Promise<LandmarkDetector> {
    return new LandmarkDetector(await loadRuntime(), { ...DEFAULTS, ...options });
  }

  /** Every plausible face of the first strategy that finds one, best score first; [] when there is none. */
  async detect(image: RgbImage): Promise<DetectedFace[]> {
    const { tf } = this.rt;
    const input = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
    const strategies = faceStrategies<DetectedFace>({
      detector: () => this.detectInPhoto(input),
      padded: () => this.detectInCrop(input, image),
      wholeImage: async () => (this.options.wholeImageFallback ? this.wholeImage(input, image) : []),
    });
    try {
      const faces = await firstPlausible(strategies, image.width, image.height);
      return faces.sort((a, b) => b.score - a.score);
    } finally {
      input.dispose();
    }
  }

  private async detectInPhoto(input: Tf.Tensor3D): Promise<DetectedFace[]> {
    const { faceapi } = this.rt;
    const options = new faceapi.SsdMobilenetv1Options({
      minConfidence: this.options.ssdMinConfidence,
      maxResults: 100,
    });
    const results = await faceapi.detectAllFaces(asNetInput(input), options).withFaceLandmarks();
    return results.map((r) => toFace(r, 'detector', IDENTITY)).sort((a, b) => b.score - a.score);
  }

  private async detectInCrop(input: Tf.Tensor3D, image: RgbImage): Promise<DetectedFace[]> {
    const { tf, faceapi } = this.rt;
    const side = Math.max(image.width, image.height);
    const border = Math.round(side * CROP_BORDER);
    const square = side + 2 * border;
    const at: Placement = {
      left: border + Math.floor((side - image.width) / 2),
      top: border + Math.floor((side - image.height) / 2),
      scale: CROP_CANVAS / square,
    };
    const padded = tf.tidy(() => {
      const canvas = tf.pad(
        input,
        [
          [at.top, square - image.height - at.top],
          [at.left, square - image.width - at.left],
          [0, 0],
        ],
        CROP_GREY,
      );
      return tf.image.resizeBilinear(canvas, [CROP_CANVAS, CROP_CANVAS]);
    });
    try {
      const options = new faceapi.TinyFaceDetectorOptions({
        inputSize: TINY_INPUT_SIZE,
        scoreThreshold: this.options.cropScoreThreshold,
      });
      const results = await faceapi.detectAllFaces(asNetInput(padded), options).withFaceLandmarks();
      // A tight crop holds one face: the best box is it, the rest are the low-threshold's false alarms.
      const best = results.reduce<(typeof results)[number] | undefined>(
        (a, r) => (a === undefined || r.detection.score > a.detection.score ? r : a),
        undefined,
      );
      return best ? [toFace(best, 'padded', at)] : [];
    } finally {
      padded.dispose();
    }
  }

  private async wholeImage(input: Tf.Tensor3D, image: RgbImage): Promise<DetectedFace[]> {
    const found = await this.rt.faceapi.nets.faceLandmark68Net.detectLandmarks(asNetInput(input));
    const landmarks = Array.isArray(found) ? found[0] : found;
    if (!landmarks) return [];
    return [
      {
        box: { x: 0, y: 0, width: image.width, height: image.height },
        score: 0,
        landmarks: landmarks.positions.map((p) => ({ x: p.x, y: p.y })),
        method: 'whole-image',
      },
    ];
  }
}
