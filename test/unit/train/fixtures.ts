/**
 * Small training data sets generated at test time (no images are committed), a fake face detector, and helpers
 * to run the training loop and to compare run folders before and after a failure.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import sharp from 'sharp';
import type { RgbImage } from '../../../src/trainer/io/image';
import type { DetectedFace, FaceLandmarker } from '../../../src/trainer/io/landmarks';
import { codebookPreset } from '../../../src/trainer/science/codebook';
import type { TrainEvent, TrainHooks, TrainOptions, TrainOutcome } from '../../../src/trainer/train/options';
import { train } from '../../../src/trainer/train/trainRun';
import { demoFaceCrop } from '../../helpers/demoFaceCrop';
import { syntheticFace } from '../../helpers/syntheticFace';
import { makeTempDir } from '../io/fixtures';

/** Side of the generated images: a tight face crop, as FER2013's and CK+48's are. */
export const IMAGE_SIDE = 48;

const CLASS_COLOURS: Readonly<Record<string, readonly [number, number, number]>> = {
  happy: [200, 160, 120],
  sad: [90, 110, 170],
  surprise: [150, 200, 110],
  smiling: [240, 200, 40],
  contempt: [120, 60, 60],
};

/** Seeded noise of ±NOISE on every pixel: every file has its own content (the landmark cache is keyed by it). */
const NOISE = 8;

let greyFace: Promise<Buffer> | undefined;

/** The tight crop of face-api's demo face (test/helpers/demoFaceCrop.ts) at IMAGE_SIDE, grey, cut once. */
function demoFaceGrey(): Promise<Buffer> {
  greyFace ??= demoFaceCrop(IMAGE_SIDE).then((png) => sharp(png).greyscale().raw().toBuffer());
  return greyFace;
}

/**
 * A 48×48 PNG: a real face (so the real detector finds it and draws AU maps) tinted with the class colour, with
 * seeded noise, so the classes are learnable and every file differs.
 */
export async function syntheticPng(label: string, seed: number): Promise<Buffer> {
  const colour = CLASS_COLOURS[label] ?? [128, 128, 128];
  const face = await demoFaceGrey();
  const raw = Buffer.alloc(IMAGE_SIDE * IMAGE_SIDE * 3);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let p = 0; p < IMAGE_SIDE * IMAGE_SIDE; p++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const noise = ((s >>> 24) / 255 - 0.5) * 2 * NOISE;
    for (let c = 0; c < 3; c++) raw[p * 3 + c] = Math.max(0, Math.min(255, (face[p]! * colour[c]!) / 160 + noise));
  }
  return sharp(raw, { raw: { width: IMAGE_SIDE, height: IMAGE_SIDE, channels: 3 } }).png().toBuffer();
}

export interface DatasetSpec {
  /** Class folder names (need not be known classes). */
  readonly classes: readonly string[];
  /** CK+ style subjects S001…; each has one image per class. */
  readonly subjects: number;
  /** Extra files, relative to the root, with their content. */
  readonly extra?: Readonly<Record<string, Buffer | string>>;
}

/** Writes `<root>/<class>/S00k_001_00000001.png` for every class and subject. Returns the root. */
export async function writeDataset(root: string, spec: DatasetSpec): Promise<string> {
  let seed = 1;
  for (const label of spec.classes) {
    await mkdir(path.join(root, label), { recursive: true });
    for (let k = 1; k <= spec.subjects; k++) {
      const name = `S${String(k).padStart(3, '0')}_001_00000001.png`;
      await writeFile(path.join(root, label, name), await syntheticPng(label, seed++));
    }
  }
  for (const [rel, content] of Object.entries(spec.extra ?? {})) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), content);
  }
  return root;
}

/**
 * Finds a face filling every image (a tight crop, as the real detector's whole-image fallback would), except in
 * files whose path contains "noface". Much faster than the real detector and decides which images have a face.
 */
export class FakeDetector implements FaceLandmarker {
  readonly version = 'fake-train-1';

  async detect(image: RgbImage): Promise<DetectedFace[]> {
    if (image.source.includes('noface')) return [];
    return [{
      box: { x: 0, y: 0, width: image.width, height: image.height },
      score: 0,
      method: 'whole-image',
      landmarks: syntheticFace(image.width, image.height),
    }];
  }
}

/** The classes of the standard data set. */
export const CLASSES = ['happy', 'sad', 'surprise'];

export interface TrainingWorkspace {
  /** A fresh temp folder, removed after the suite. */
  root: string;
  /** The standard data set: CLASSES × 8 subjects, one image each (24 images; 18/3/3 with seed 3). */
  data: string;
  /** A landmark cache of the suite's own. */
  cache: string;
}

/** Registers before/after hooks that make a workspace for the calling suite; its fields are set once they ran. */
export function useTrainingWorkspace(prefix: string): TrainingWorkspace {
  const ws: TrainingWorkspace = { root: '', data: '', cache: '' };
  let cleanup: () => Promise<void> = async () => {};
  before(async () => {
    ({ dir: ws.root, cleanup } = await makeTempDir(prefix));
    ws.cache = path.join(ws.root, 'cache');
    ws.data = await writeDataset(path.join(ws.root, 'data'), { classes: CLASSES, subjects: 8 });
  });
  after(() => cleanup());
  return ws;
}

/** tiny64, batch 4, one engine thread (bit-for-bit reproducible steps), a private landmark cache. */
export function trainOptions(data: string, out: string, cacheDir: string, overrides: Partial<TrainOptions> = {}): TrainOptions {
  return {
    data, out, cacheDir,
    preset: 'tiny64', lambda: 1, epochs: 2, batch: 4, seed: 3, threads: 1,
    lr: 0.01, weightDecay: 5e-4, lrStepEpochs: 4, lrGamma: 0.9, momentum: 0.9,
    codebook: codebookPreset('paper'),
    fractions: { train: 0.7, val: 0.15, test: 0.15 },
    resume: false,
    ...overrides,
  };
}

export interface RecordedRun {
  readonly events: TrainEvent[];
  readonly outcome: TrainOutcome;
}

/** Runs train() with the fake detector, recording every event; `hooks` may add a signal or a checkpoint fs. */
export async function recordRun(options: TrainOptions, hooks: Partial<TrainHooks> = {}): Promise<RecordedRun> {
  const events: TrainEvent[] = [];
  const outcome = await train(options, {
    detector: new FakeDetector(),
    ...hooks,
    onEvent: (e) => {
      events.push(e);
      hooks.onEvent?.(e);
    },
  });
  return { events, outcome };
}

/** The events of one type, typed. */
export function eventsOf<T extends TrainEvent['type']>(events: readonly TrainEvent[], type: T): Extract<TrainEvent, { type: T }>[] {
  return events.filter((e): e is Extract<TrainEvent, { type: T }> => e.type === type);
}

/** Every file of a folder (not recursive) with its bytes, to show that a failure changed nothing. */
export async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const names = (await readdir(dir)).sort();
  return new Map(await Promise.all(names.map(async (n): Promise<[string, Buffer]> => [n, await readFile(path.join(dir, n))])));
}
