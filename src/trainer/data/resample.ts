/**
 * Antialiased resampling of a square region of an RGB image, as PIL's BILINEAR resize does it (what torchvision's
 * Resize applies to the PIL images of the paper's loader): a triangle filter widened by the scale factor when
 * shrinking, so a 600-pixel face in a photo becomes a 73-pixel input without aliasing, and plain bilinear
 * interpolation when enlarging (a 48-pixel CK+48 crop). Pure: no I/O.
 */

/** Row-major RGB, data[(y * width + x) * 3 + c]; an RgbImage from io/image.ts fits. */
export interface RgbPixels {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** A square in source pixel coordinates (origin at the top-left pixel's corner); it may reach past the image. */
export interface SquareRegion {
  readonly x: number;
  readonly y: number;
  readonly side: number;
}

/** The taps of one output axis: for output o, source indices start[o] … start[o] + count[o] − 1. */
interface AxisTaps {
  readonly start: Int32Array;
  readonly count: Int32Array;
  /** weights[o * stride + k] for tap k of output o, normalised to sum 1. */
  readonly weights: Float32Array;
  readonly stride: number;
}

/**
 * PIL's `precompute_coeffs` for the bilinear filter over the virtual crop [origin, origin + span): taps are clipped
 * to the crop (as PIL clips them to the cropped image) and renormalised. Taps outside the source image stay in the
 * sum with value 0, because PIL's crop pads with black before the resize.
 */
function axisTaps(origin: number, span: number, outSize: number): AxisTaps {
  const scale = span / outSize;
  const support = Math.max(scale, 1);
  const stride = Math.ceil(support) * 2 + 2;
  const lo = Math.floor(origin);
  const hi = Math.ceil(origin + span);
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * stride);
  for (let o = 0; o < outSize; o++) {
    const centre = origin + (o + 0.5) * scale;
    const first = Math.max(lo, Math.floor(centre - support));
    const last = Math.min(hi, Math.ceil(centre + support));
    let total = 0;
    let n = 0;
    for (let j = first; j < last && n < stride; j++, n++) {
      const w = Math.max(0, 1 - Math.abs(j + 0.5 - centre) / support);
      weights[o * stride + n] = w;
      total += w;
    }
    if (total > 0) for (let k = 0; k < n; k++) weights[o * stride + k]! /= total;
    start[o] = first;
    count[o] = n;
  }
  return { start, count, weights, stride };
}

/**
 * The `region` of `src` resampled onto an outSide × outSide square, interleaved RGB floats on the 0–255 scale
 * (unrounded, so callers choose: round to bytes, or normalise directly). Pixels of the region outside the image
 * are black. Separable: rows first, then columns, over only the source rows the output needs.
 */
export function resampleRegion(src: RgbPixels, region: SquareRegion, outSide: number): Float32Array {
  if (!Number.isInteger(outSide) || outSide <= 0) {
    throw new RangeError(`output side must be a positive integer, got ${outSide}`);
  }
  if (!(region.side > 0) || !Number.isFinite(region.x) || !Number.isFinite(region.y)) {
    throw new RangeError(`the region must be a finite square of positive side, got ${JSON.stringify(region)}`);
  }
  const xs = axisTaps(region.x, region.side, outSide);
  const ys = axisTaps(region.y, region.side, outSide);
  const rowLo = ys.start[0]!;
  const rowHi = ys.start[outSide - 1]! + ys.count[outSide - 1]!;
  const { width, height, data } = src;

  // Horizontal pass: one filtered row of outSide pixels per source row in [rowLo, rowHi); rows outside the image
  // stay 0.
  const rows = new Float32Array((rowHi - rowLo) * outSide * 3);
  for (let sy = Math.max(rowLo, 0); sy < Math.min(rowHi, height); sy++) {
    const srcRow = sy * width * 3;
    const dstRow = (sy - rowLo) * outSide * 3;
    for (let o = 0; o < outSide; o++) {
      const first = xs.start[o]!;
      const n = xs.count[o]!;
      const wBase = o * xs.stride;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < n; k++) {
        const sx = first + k;
        if (sx < 0 || sx >= width) continue;
        const w = xs.weights[wBase + k]!;
        const p = srcRow + sx * 3;
        r += w * data[p]!;
        g += w * data[p + 1]!;
        b += w * data[p + 2]!;
      }
      const q = dstRow + o * 3;
      rows[q] = r;
      rows[q + 1] = g;
      rows[q + 2] = b;
    }
  }

  // Vertical pass.
  const out = new Float32Array(outSide * outSide * 3);
  const rowLength = outSide * 3;
  for (let o = 0; o < outSide; o++) {
    const first = ys.start[o]! - rowLo;
    const n = ys.count[o]!;
    const wBase = o * ys.stride;
    const dst = o * rowLength;
    for (let k = 0; k < n; k++) {
      const w = ys.weights[wBase + k]!;
      const srcRow = (first + k) * rowLength;
      for (let i = 0; i < rowLength; i++) out[dst + i]! += w * rows[srcRow + i]!;
    }
  }
  return out;
}

/** Rounds 0–255 floats to bytes, as PIL stores every intermediate image. */
export function toBytes(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Math.round(values[i]!);
    bytes[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return bytes;
}
