/**
 * The blurred copy of a face that occlusion, deletion and insertion paint removed pixels with. A blur rather than
 * black or the mean (Petsiuk et al. 2018, RISE, insert onto a blurred image; Fong & Vedaldi 2017, blur as a
 * deletion): a constant fill is itself a strong, out-of-distribution feature that the model may react to.
 *
 * σ is stated relative to the paper's 224×224 face: BLUR_SIGMA_224 = 8 px there, scaled with the image width
 * (2.3 px for a 64×64 input). 8 px is a little under half the radius of the smallest circular AU regions (the
 * 20-px circles of AU9–AU20), so the blur wipes the texture inside a region (wrinkles, teeth, lid edges) while its
 * colour still comes from close by. The kernel is truncated at 3σ and normalised; borders reflect without repeating
 * the edge pixel (OpenCV's default BORDER_REFLECT_101, as cv2.GaussianBlur).
 */
import type { ModelImage, PixelMask } from './types';

export const BLUR_SIGMA_224 = 8;

/** σ in pixels for an image `width` pixels wide. */
export function blurSigmaFor(width: number): number {
  return (BLUR_SIGMA_224 * width) / 224;
}

function gaussianKernel(sigma: number): Float64Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += k[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i]! /= sum;
  return k;
}

/** OpenCV's BORDER_REFLECT_101 index, folded as often as a kernel wider than the image needs. */
function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * n - 2;
  const j = ((i % period) + period) % period;
  return j < n ? j : period - j;
}

/** One pass of the separable filter along x (step 1) or y (step width) over one channel plane. */
type Plane = { readonly data: Float64Array; readonly width: number; readonly height: number };

function blurPass({ data: src, width, height }: Plane, dst: Float64Array, k: Float64Array, alongX: boolean): void {
  const radius = (k.length - 1) / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let t = -radius; t <= radius; t++) {
        const at = alongX ? y * width + reflect101(x + t, width) : reflect101(y + t, height) * width + x;
        sum += k[t + radius]! * src[at]!;
      }
      dst[y * width + x] = sum;
    }
  }
}

/** A Gaussian-blurred copy of every channel; σ in pixels (default blurSigmaFor(width)). */
export function gaussianBlur(image: ModelImage, sigma: number = blurSigmaFor(image.width)): ModelImage {
  if (!(sigma > 0) || !Number.isFinite(sigma)) {
    throw new RangeError(`the blur σ must be a positive number of pixels, got ${sigma}`);
  }
  const { channels, width, height } = image;
  const plane = width * height;
  const k = gaussianKernel(sigma);
  const out = new Float32Array(image.data.length);
  const a = new Float64Array(plane);
  const b = new Float64Array(plane);
  for (let c = 0; c < channels; c++) {
    a.set(image.data.subarray(c * plane, (c + 1) * plane));
    blurPass({ data: a, width, height }, b, k, true);
    blurPass({ data: b, width, height }, a, k, false);
    out.set(a, c * plane);
  }
  return { channels, width, height, data: out };
}

/** `base` with the pixels of `mask` (every channel) taken from `fill`. */
export function paste(base: ModelImage, fill: ModelImage, mask: PixelMask): Float32Array {
  const plane = base.width * base.height;
  if (mask.width !== base.width || mask.height !== base.height) {
    throw new RangeError(`the mask is ${mask.width}×${mask.height} but the image is ${base.width}×${base.height}`);
  }
  const out = Float32Array.from(base.data);
  for (let p = 0; p < plane; p++) {
    if (!mask.data[p]) continue;
    for (let c = 0; c < base.channels; c++) out[c * plane + p] = fill.data[c * plane + p]!;
  }
  return out;
}

/** `base` with the first `count` pixels of `order` (every channel) taken from `fill`. */
export function pasteFirst(base: ModelImage, fill: ModelImage, order: Uint32Array, count: number): Float32Array {
  const plane = base.width * base.height;
  const out = Float32Array.from(base.data);
  for (let r = 0; r < count; r++) {
    const p = order[r]!;
    for (let c = 0; c < base.channels; c++) out[c * plane + p] = fill.data[c * plane + p]!;
  }
  return out;
}

/** Throws when an image's data does not hold channels×height×width finite values. */
export function checkImage(image: ModelImage): void {
  const { channels, width, height, data } = image;
  if (![channels, width, height].every((n) => Number.isInteger(n) && n > 0)) {
    throw new RangeError(`image size must be positive integers, got ${channels}×${height}×${width}`);
  }
  if (data.length !== channels * width * height) {
    const needed = channels * width * height;
    throw new RangeError(`a ${channels}×${height}×${width} image needs ${needed} values, got ${data.length}`);
  }
  for (const v of data) if (!Number.isFinite(v)) throw new RangeError('the image has non-finite values');
}
