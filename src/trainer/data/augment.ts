/**
 * Train-time augmentation and the eval transform of the paper's loader (docs/paper-notes.md §6;
 * `get_train_transforms` / `get_eval_tranforms` in the official `dlib/datasets/wsol_loader.py`), from a prepared
 * base square to the network's S×S input, with the AU map moved by the same geometry (§3.6).
 *
 * Train, in the reference's order: RandomRotation(±6°, p 0.5, fill 0) → RandomResizedCrop(S, scale 0.8–1.0,
 * ratio 1:1) → HFlip(p 0.5) → RandomGrayscale(p 0.2) → ColorJitter(0.4, 0.4, 0.4, 0.1; p 0.8, random order) →
 * ToTensor → RandomErasing(p 0.5, scale 0.02–0.33, ratio 0.3–3.3, value 'random') → Normalize(ImageNet).
 *
 * Where we differ from the reference, on purpose:
 * - The three geometric steps are composed into ONE affine and the image is resampled once (bilinear), where the
 *   reference resamples twice (bicubic rotation, then a bilinear resized crop). One resampling blurs less; the
 *   crop shrinks by at most 256/224 / √0.8 ≈ 1.28, where omitting the antialias filter changes little.
 * - The AU map is warped with centred nearest sampling (pixel centres map to pixel centres). PyTorch's legacy
 *   'nearest', used by the reference on map tensors, samples floor(i·scale) and shifts the map by up to half a
 *   source pixel against the image; we keep the two aligned.
 * - Colour operations follow torchvision's float tensor semantics (grayscale weights 0.2989/0.587/0.114, clamping
 *   to [0, 1] after each op, exact RGB↔HSV hue rotation) without PIL's rounding to bytes between ops.
 *
 * Every draw comes from the `Random` passed in, in a fixed order (see sampleAugmentation), so a (seed, epoch,
 * position) stream gives the same batch on every run and on resume. Pure: no I/O.
 */
import type { Normalisation } from '../models/modelInfo';
import { IMAGENET_NORMALISATION } from '../models/modelInfo';
import type { Affine } from '../science/geometry';
import { composeAffine, cropAffine, hflipAffine, resizeAffine, rotationAffine, warpMap } from '../science/geometry';
import type { Random } from '../science/random';
import { gaussian, randomInt, uniform } from '../science/random';
import { resizeNearest } from '../science/raster';
import type { JitterDraw } from './photometric';
import { clamp01, colourJitter, grayscale, JITTER_OPS } from './photometric';
import { resampleRegion } from './resample';
import { warpRgb } from './warp';

/** The paper resizes to 256 before cropping 224; a prepared sample keeps that ratio for any input size. */
export function baseSideFor(inputSize: number): number {
  if (!Number.isInteger(inputSize) || inputSize <= 0) {
    throw new RangeError(`input size must be a positive integer, got ${inputSize}`);
  }
  return Math.round((inputSize * 256) / 224);
}

export interface AugmentationConfig {
  readonly rotationP: number;
  readonly rotationDegrees: number;
  readonly cropScale: readonly [number, number];
  readonly flipP: number;
  readonly grayscaleP: number;
  readonly jitterP: number;
  readonly brightness: number;
  readonly contrast: number;
  readonly saturation: number;
  readonly hue: number;
  readonly erasingP: number;
  readonly erasingScale: readonly [number, number];
  readonly erasingRatio: readonly [number, number];
}

/** The reference's train transform settings. */
export const PAPER_AUGMENTATION: AugmentationConfig = Object.freeze({
  rotationP: 0.5,
  rotationDegrees: 6,
  cropScale: [0.8, 1.0] as const,
  flipP: 0.5,
  grayscaleP: 0.2,
  jitterP: 0.8,
  brightness: 0.4,
  contrast: 0.4,
  saturation: 0.4,
  hue: 0.1,
  erasingP: 0.5,
  erasingScale: [0.02, 0.33] as const,
  erasingRatio: [0.3, 3.3] as const,
});

/** Everything one augmentation drew, so tests and debugging can see what happened to a sample. */
export interface AugmentationDraw {
  /** Degrees, counter-clockwise; null when the rotation was not applied. */
  readonly rotation: number | null;
  /** The resized crop in base pixels (after rotation). */
  readonly crop: { readonly x: number; readonly y: number; readonly side: number };
  readonly flip: boolean;
  readonly grayscale: boolean;
  readonly jitter: JitterDraw | null;
  /** The erased rectangle in output pixels; null when not erased. */
  readonly erasing: { readonly x: number; readonly y: number; readonly width: number; readonly height: number } | null;
  /** Base → output transform (OpenCV convention, source → destination). */
  readonly affine: Affine;
}

/** What the transforms need of a prepared sample. */
export interface TransformInput {
  /** Side of the base square. */
  readonly side: number;
  /** side × side × 3 bytes, row-major RGB. */
  readonly rgb: Uint8Array;
  /** side × side AU map in [0, 1]; undefined when the sample has none. */
  readonly au?: Float32Array;
}

/**
 * Where a transform writes: the planar CHW image (3·S·S floats) and the map (S·S floats) at offsets, so a loader
 * can fill a batch slot without copying. A sample without a map gets zeros.
 */
export interface TransformTarget {
  readonly image: Float32Array;
  readonly imageOffset: number;
  readonly map: Float32Array;
  readonly mapOffset: number;
}

export interface TransformedSample {
  readonly image: Float32Array;
  readonly map: Float32Array;
}

function checkInput(input: TransformInput, size: number): void {
  if (!Number.isInteger(size) || size <= 0) throw new RangeError(`output size must be a positive integer, got ${size}`);
  const n = input.side * input.side;
  if (input.rgb.length !== n * 3) {
    throw new RangeError(`rgb has ${input.rgb.length} bytes, a ${input.side}² base needs ${n * 3}`);
  }
  if (input.au && input.au.length !== n) {
    throw new RangeError(`the AU map has ${input.au.length} values, a ${input.side}² base needs ${n}`);
  }
}

function checkTarget(target: TransformTarget, size: number): void {
  if (target.imageOffset < 0 || target.imageOffset + 3 * size * size > target.image.length) {
    throw new RangeError('the image target is too small');
  }
  if (target.mapOffset < 0 || target.mapOffset + size * size > target.map.length) {
    throw new RangeError('the map target is too small');
  }
}

/**
 * Draws one augmentation, consuming `random` in this order: rotation coin and angle; crop area and position;
 * flip coin; grayscale coin; jitter coin, op order and the four factors; erasing coin, area, ratio and position
 * (the erased values are drawn later, by applyAugmentation). Each step draws its parameters only when it applies.
 */
export function sampleAugmentation(
  random: Random,
  baseSide: number,
  size: number,
  config: AugmentationConfig = PAPER_AUGMENTATION,
): AugmentationDraw {
  const rotation =
    random() < config.rotationP ? uniform(random, -config.rotationDegrees, config.rotationDegrees) : null;

  // torchvision RandomResizedCrop.get_params with ratio fixed at 1: the first attempt always fits.
  const area = baseSide * baseSide * uniform(random, config.cropScale[0], config.cropScale[1]);
  const side = Math.min(baseSide, Math.max(1, Math.round(Math.sqrt(area))));
  const crop = { y: randomInt(random, baseSide - side + 1), x: randomInt(random, baseSide - side + 1), side };

  const flip = random() < config.flipP;
  const grayscale = random() < config.grayscaleP;

  let jitter: AugmentationDraw['jitter'] = null;
  if (random() < config.jitterP) {
    const order = [...JITTER_OPS];
    for (let i = order.length - 1; i > 0; i--) {
      const j = randomInt(random, i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    jitter = {
      order,
      brightness: uniform(random, Math.max(0, 1 - config.brightness), 1 + config.brightness),
      contrast: uniform(random, Math.max(0, 1 - config.contrast), 1 + config.contrast),
      saturation: uniform(random, Math.max(0, 1 - config.saturation), 1 + config.saturation),
      hue: uniform(random, -config.hue, config.hue),
    };
  }

  let erasing: AugmentationDraw['erasing'] = null;
  if (random() < config.erasingP) {
    // torchvision RandomErasing.get_params: up to 10 attempts, else the image is left as it is.
    const logLo = Math.log(config.erasingRatio[0]);
    const logHi = Math.log(config.erasingRatio[1]);
    for (let attempt = 0; attempt < 10 && erasing === null; attempt++) {
      const eraseArea = size * size * uniform(random, config.erasingScale[0], config.erasingScale[1]);
      const aspect = Math.exp(uniform(random, logLo, logHi));
      const h = Math.round(Math.sqrt(eraseArea * aspect));
      const w = Math.round(Math.sqrt(eraseArea / aspect));
      if (!(h < size && w < size) || h === 0 || w === 0) continue;
      erasing = { y: randomInt(random, size - h + 1), x: randomInt(random, size - w + 1), width: w, height: h };
    }
  }

  const steps: Affine[] = [];
  if (rotation !== null) steps.push(rotationAffine(rotation, baseSide, baseSide));
  steps.push(cropAffine(crop), resizeAffine(side, side, size, size));
  if (flip) steps.push(hflipAffine(size));
  return { rotation, crop, flip, grayscale, jitter, erasing, affine: composeAffine(...steps) };
}

/** Normalises planar [0, 1] floats into the target. */
function normaliseInto(img: Float32Array, plane: number, target: TransformTarget, norm: Normalisation): void {
  for (let ch = 0; ch < 3; ch++) {
    const mean = norm.mean[ch]!;
    const inv = 1 / norm.std[ch]!;
    const src = ch * plane;
    const dst = target.imageOffset + ch * plane;
    for (let i = 0; i < plane; i++) target.image[dst + i] = (img[src + i]! - mean) * inv;
  }
}

/**
 * The reference erases before Normalize with value 'random', i.e. N(0, 1) values on the [0, 1] scale; written
 * into the normalised image they are (z − mean) / std. Drawn channel by channel, row by row, as torch fills its
 * [C, h, w] tensor.
 */
function eraseInto(
  target: TransformTarget,
  size: number,
  rect: NonNullable<AugmentationDraw['erasing']>,
  random: Random,
  norm: Normalisation,
): void {
  const plane = size * size;
  for (let ch = 0; ch < 3; ch++) {
    const mean = norm.mean[ch]!;
    const inv = 1 / norm.std[ch]!;
    for (let y = rect.y; y < rect.y + rect.height; y++) {
      const row = target.imageOffset + ch * plane + y * size;
      for (let x = rect.x; x < rect.x + rect.width; x++) target.image[row + x] = (gaussian(random) - mean) * inv;
    }
  }
}

/** Copies a map into the target clipped to [0, 1] (the reference clips after the transforms); zeros for none. */
function mapInto(map: Float32Array | undefined, target: TransformTarget, plane: number): void {
  const { mapOffset } = target;
  if (!map) {
    target.map.fill(0, mapOffset, mapOffset + plane);
    return;
  }
  for (let i = 0; i < plane; i++) target.map[mapOffset + i] = clamp01(map[i]!);
}

/** Applies a drawn augmentation; `random` supplies the erased values (after everything sampleAugmentation drew). */
export function applyAugmentation(
  input: TransformInput,
  size: number,
  draw: AugmentationDraw,
  random: Random,
  target: TransformTarget,
  norm: Normalisation = IMAGENET_NORMALISATION,
): void {
  checkInput(input, size);
  checkTarget(target, size);
  const plane = size * size;
  const img = new Float32Array(3 * plane);
  warpRgb(input.rgb, input.side, draw.affine, size, img);
  if (draw.grayscale) grayscale(img, plane);
  if (draw.jitter) colourJitter(img, plane, draw.jitter, new Float32Array(plane));
  normaliseInto(img, plane, target, norm);
  if (draw.erasing) eraseInto(target, size, draw.erasing, random, norm);
  const map = input.au
    ? warpMap({ width: input.side, height: input.side, data: input.au }, draw.affine, size, size, 'nearest', 0).data
    : undefined;
  mapInto(map, target, plane);
}

/** Draws and applies one train-time augmentation into a batch slot; returns what was drawn. */
export function augmentInto(
  input: TransformInput,
  size: number,
  random: Random,
  target: TransformTarget,
  config: AugmentationConfig = PAPER_AUGMENTATION,
  norm: Normalisation = IMAGENET_NORMALISATION,
): AugmentationDraw {
  const draw = sampleAugmentation(random, input.side, size, config);
  applyAugmentation(input, size, draw, random, target, norm);
  return draw;
}

/** One augmented sample in fresh arrays (planar 3·S·S image, S·S map). */
export function augmentSample(
  input: TransformInput,
  size: number,
  random: Random,
  config: AugmentationConfig = PAPER_AUGMENTATION,
): TransformedSample & { draw: AugmentationDraw } {
  const image = new Float32Array(3 * size * size);
  const map = new Float32Array(size * size);
  const draw = augmentInto(input, size, random, { image, imageOffset: 0, map, mapOffset: 0 }, config);
  return { image, map, draw };
}

/**
 * The eval transform: the whole base square resized to S (antialiased bilinear for the image, as PIL's resize;
 * centred nearest for the map) and normalised. Deterministic.
 */
export function evalTransformInto(
  input: TransformInput,
  size: number,
  target: TransformTarget,
  norm: Normalisation = IMAGENET_NORMALISATION,
): void {
  checkInput(input, size);
  checkTarget(target, size);
  const plane = size * size;
  const rgb = resampleRegion(
    { width: input.side, height: input.side, data: input.rgb },
    { x: 0, y: 0, side: input.side },
    size,
  );
  const img = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    img[i] = rgb[i * 3]! / 255;
    img[i + plane] = rgb[i * 3 + 1]! / 255;
    img[i + 2 * plane] = rgb[i * 3 + 2]! / 255;
  }
  normaliseInto(img, plane, target, norm);
  const map = input.au
    ? resizeNearest({ width: input.side, height: input.side, data: input.au }, size, size).data
    : undefined;
  mapInto(map, target, plane);
}

/** The eval transform into fresh arrays. */
export function evalTransformSample(
  input: TransformInput,
  size: number,
  norm: Normalisation = IMAGENET_NORMALISATION,
): TransformedSample {
  const image = new Float32Array(3 * size * size);
  const map = new Float32Array(size * size);
  evalTransformInto(input, size, { image, imageOffset: 0, map, mapOffset: 0 }, norm);
  return { image, map };
}
