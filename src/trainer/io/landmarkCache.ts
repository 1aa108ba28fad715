/**
 * Landmark results cached on disk by file content, so a dataset is detected once (CK+48 takes ~40 s, a photo
 * folder much longer) and training, evaluation and explanation runs reuse the same faces.
 *
 * One small JSON file per (image content, detector version): renaming or moving a dataset keeps its cache, and
 * a new detector configuration never reads results of an old one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Box, Point } from '../science/types';
import { READ_CAPS, readBoundedText } from './boundedRead';
import { decodeImage, ImageError, readImageFile } from './image';
import type { RgbImage } from './image';
import { DETECTION_METHODS } from './landmarks';
import type { DetectedFace, DetectionMethod, FaceLandmarker } from './landmarks';
import { decodeSource } from './layouts/decode';
import type { SampleSource } from './layouts/types';
import { sha256, sourceIdentity } from './sourceIdentity';

export interface LandmarkCacheOptions {
  /** Cache folder; defaults to defaultLandmarkCacheDir(). */
  readonly dir?: string;
  /** Passed to decodeImage on a cache miss. */
  readonly maxPixels?: number;
  /** The already decoded image (or sample), when the caller has it, to avoid decoding twice on a miss. */
  readonly image?: RgbImage;
}

/** Bump when the file layout below changes. */
const CACHE_FORMAT = 1;

/** `$XDG_CACHE_HOME/au-lens/landmarks`, else `~/.cache/au-lens/landmarks`. */
export function defaultLandmarkCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'au-lens', 'landmarks');
}

/** Two-character sub-folders keep any one folder small for datasets of hundreds of thousands of images. */
export function landmarkCachePath(dir: string, contentSha256: string, detectorVersion: string): string {
  const key = sha256(`${contentSha256}\n${detectorVersion}`);
  return path.join(dir, key.slice(0, 2), `${key}.json`);
}

/** Hundredths of a pixel: far below the model's precision, and it keeps the files small. */
function round(v: number): number {
  return Math.round(v * 100) / 100;
}

function encodeFace(f: DetectedFace): unknown {
  return {
    box: [round(f.box.x), round(f.box.y), round(f.box.width), round(f.box.height)],
    score: Math.round(f.score * 1e4) / 1e4,
    method: f.method,
    landmarks: f.landmarks.map((p) => [round(p.x), round(p.y)]),
  };
}

function isNumberArray(v: unknown, length: number): v is number[] {
  return Array.isArray(v) && v.length === length && v.every((n) => typeof n === 'number' && Number.isFinite(n));
}

/** undefined for anything that is not exactly what encodeFace wrote. */
function decodeFace(v: unknown): DetectedFace | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (!isNumberArray(o.box, 4) || typeof o.score !== 'number') return undefined;
  if (!DETECTION_METHODS.includes(o.method as DetectionMethod)) return undefined;
  if (!Array.isArray(o.landmarks) || o.landmarks.length !== 68 || !o.landmarks.every((p) => isNumberArray(p, 2))) {
    return undefined;
  }
  const [x, y, width, height] = o.box as [number, number, number, number];
  const box: Box = { x, y, width, height };
  const landmarks: Point[] = (o.landmarks as [number, number][]).map(([px, py]) => ({ x: px, y: py }));
  return { box, score: o.score, method: o.method as DetectionMethod, landmarks };
}

interface CacheEntry {
  readonly format: number;
  readonly detector: string;
  readonly sha256: string;
  readonly faces: unknown[];
}

async function readEntry(
  file: string,
  contentSha256: string,
  detectorVersion: string,
): Promise<DetectedFace[] | undefined> {
  let text: string;
  try {
    text = await readBoundedText(file, READ_CAPS.landmarkCache, 'a landmark cache entry');
  } catch {
    return undefined;
  }
  try {
    const entry = JSON.parse(text) as Partial<CacheEntry>;
    // The key is a hash of both, so a mismatch means a damaged or foreign file: treat it as a miss and rewrite it.
    if (entry.format !== CACHE_FORMAT || entry.detector !== detectorVersion || entry.sha256 !== contentSha256) {
      return undefined;
    }
    if (!Array.isArray(entry.faces)) return undefined;
    const faces = entry.faces.map(decodeFace);
    return faces.every((f): f is DetectedFace => f !== undefined) ? faces : undefined;
  } catch {
    return undefined;
  }
}

/** Temp file + rename: a crash or a parallel run never leaves a half-written entry under the real name. */
async function writeEntry(file: string, entry: CacheEntry): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, JSON.stringify(entry));
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * A detector that may not be loaded yet: its version is known up front, so cached results are found without
 * loading it, and get() loads it on the first miss (a worker thread of the landmark pool loads tfjs only then).
 */
export interface LazyLandmarker {
  readonly version: string;
  get(): Promise<FaceLandmarker>;
}

/** A loaded detector as a LazyLandmarker. */
export function loaded(detector: FaceLandmarker): LazyLandmarker {
  return { version: detector.version, get: () => Promise.resolve(detector) };
}

export interface CachedFaces {
  readonly faces: DetectedFace[];
  /** Read from the cache (no detection ran). */
  readonly cached: boolean;
  /** In the cache now; false when a miss could not be written (read-only or full cache folder). */
  readonly stored: boolean;
}

/**
 * The faces of the pixels identified by `id` (see sourceIdentity.ts): from the cache, else detected on `decode()`
 * and written. Hits and misses return identical values (coordinates rounded to 0.01 px either way).
 */
async function cachedFaces(
  landmarker: LazyLandmarker,
  id: string,
  decode: () => Promise<RgbImage>,
  dir: string | undefined,
): Promise<CachedFaces> {
  const { version } = landmarker;
  const file = landmarkCachePath(dir ?? defaultLandmarkCacheDir(), id, version);
  const hit = await readEntry(file, id, version);
  if (hit) return { faces: hit, cached: true, stored: true };
  const image = await decode();
  const faces = (await (await landmarker.get()).detect(image)).map(encodeFace);
  let stored = true;
  try {
    await writeEntry(file, { format: CACHE_FORMAT, detector: version, sha256: id, faces });
  } catch {
    // A read-only or full cache folder costs speed, not correctness: the result is still returned.
    stored = false;
  }
  return { faces: faces.map((f) => decodeFace(f) as DetectedFace), cached: false, stored };
}

/**
 * Detects faces on an image file, reading the result from the cache when this detector version has seen these
 * exact bytes before. Image problems throw ImageError; an image without a face gives [] (see describeNoFace).
 */
export async function detectWithCache(
  detector: FaceLandmarker,
  filePath: string,
  options: LandmarkCacheOptions = {},
): Promise<DetectedFace[]> {
  const bytes = await readImageFile(filePath, filePath, options.maxPixels);
  const decode = (): Promise<RgbImage> =>
    options.image
      ? Promise.resolve(options.image)
      : decodeImage(bytes, { source: filePath, maxPixels: options.maxPixels });
  return (await cachedFaces(loaded(detector), sha256(bytes), decode, options.dir)).faces;
}

/**
 * detectWithCache for any dataset sample (a file, a cut of one, a CSV row). The detector sees the decoded sample,
 * whose `faceBox` is the dataset's face box when it gives one (AffectNet), for a detector that can start from it.
 */
export async function detectSourceWithCache(
  landmarker: LazyLandmarker,
  source: SampleSource,
  options: LandmarkCacheOptions = {},
): Promise<CachedFaces> {
  const identity = await sourceIdentity(source, options.maxPixels);
  const known = options.image ?? identity.decoded;
  const limit = options.maxPixels === undefined ? {} : { maxPixels: options.maxPixels };
  const decode = (): Promise<RgbImage> => (known ? Promise.resolve(known) : decodeSource(source, limit));
  return cachedFaces(landmarker, identity.id, decode, options.dir);
}

/** The message for an image that decoded but holds no detectable face, with what the user can try. */
export function describeNoFace(filePath: string, width?: number, height?: number): string {
  const size = width !== undefined && height !== undefined ? ` (${width}×${height})` : '';
  return `${filePath}${size}: no face found; use a photo with a clearly visible, roughly frontal face, or crop it ` +
    `to the face`;
}

/** One line for any failure of detectWithCache, for the CLI's per-file report. */
export function describeFailure(filePath: string, error: unknown): string {
  if (error instanceof ImageError) return error.message;
  const text = error instanceof Error ? error.message : String(error);
  return `${filePath}: landmark detection failed: ${text.split('\n')[0] ?? text}`;
}
