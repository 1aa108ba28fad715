/**
 * Raster primitives over row-major Float32Array maps. They reproduce the OpenCV and PyTorch semantics the
 * paper's code relies on, so heatmaps and metrics match the reference numerically.
 */
import type { Ellipse, Heatmap } from './types';

export function createMap(width: number, height: number, fill = 0): Heatmap {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`map size must be positive integers, got ${width}×${height}`);
  }
  const data = new Float32Array(width * height);
  if (fill !== 0) data.fill(fill);
  return { width, height, data };
}

/**
 * Sets every pixel whose centre lies inside the ellipse to `value` (OpenCV's filled ellipse, pixel centres on
 * integer coordinates). Returns how many pixels inside the map were set, which is the paper's ROI check.
 */
export function fillEllipse(map: Heatmap, e: Ellipse, value: number): number {
  // A zero semi-axis still marks the centre line, as OpenCV does.
  const rx = Math.max(e.rx, 0.5);
  const ry = Math.max(e.ry, 0.5);
  const y0 = Math.max(0, Math.ceil(e.cy - ry));
  const y1 = Math.min(map.height - 1, Math.floor(e.cy + ry));
  const x0 = Math.max(0, Math.ceil(e.cx - rx));
  const x1 = Math.min(map.width - 1, Math.floor(e.cx + rx));
  let count = 0;
  for (let y = y0; y <= y1; y++) {
    const dy = (y - e.cy) / ry;
    for (let x = x0; x <= x1; x++) {
      const dx = (x - e.cx) / rx;
      if (dx * dx + dy * dy <= 1) {
        map.data[y * map.width + x] = value;
        count++;
      }
    }
  }
  return count;
}

/** Where a destination sample falls in the source axis, as a lower index and a weight for the upper one. */
interface Tap {
  readonly i0: number;
  readonly i1: number;
  readonly w1: number;
}

function linearTaps(srcSize: number, dstSize: number, alignCorners: boolean): Tap[] {
  const taps: Tap[] = [];
  for (let d = 0; d < dstSize; d++) {
    let s: number;
    if (alignCorners) s = dstSize > 1 ? (d * (srcSize - 1)) / (dstSize - 1) : 0;
    else s = Math.max(0, ((d + 0.5) * srcSize) / dstSize - 0.5);
    s = Math.min(s, srcSize - 1);
    const i0 = Math.floor(s);
    const i1 = Math.min(i0 + 1, srcSize - 1);
    taps.push({ i0, i1, w1: s - i0 });
  }
  return taps;
}

/**
 * The resize of one axis as a dstSize×srcSize row-major matrix with the same taps as `resizeBilinear`, so an
 * in-graph resize (a MatMul on each axis) and its transpose (the backward) match this module exactly.
 */
export function interpolationMatrix(srcSize: number, dstSize: number, alignCorners: boolean): Float32Array {
  const m = new Float32Array(dstSize * srcSize);
  linearTaps(srcSize, dstSize, alignCorners).forEach(({ i0, i1, w1 }, d) => {
    m[d * srcSize + i0]! += 1 - w1;
    m[d * srcSize + i1]! += w1;
  });
  return m;
}

/**
 * Bilinear resize. `alignCorners: false` is OpenCV's INTER_LINEAR and PyTorch's default (half-pixel centres);
 * `true` is PyTorch's align_corners=True, which the paper uses to upsample attention for ATT-COS.
 */
export function resizeBilinear(src: Heatmap, width: number, height: number, alignCorners = false): Heatmap {
  const dst = createMap(width, height);
  const xs = linearTaps(src.width, width, alignCorners);
  const ys = linearTaps(src.height, height, alignCorners);
  const s = src.data;
  for (let y = 0; y < height; y++) {
    const { i0: r0, i1: r1, w1: wy } = ys[y]!;
    const a = r0 * src.width;
    const b = r1 * src.width;
    for (let x = 0; x < width; x++) {
      const { i0: c0, i1: c1, w1: wx } = xs[x]!;
      const top = s[a + c0]! + (s[a + c1]! - s[a + c0]!) * wx;
      const bottom = s[b + c0]! + (s[b + c1]! - s[b + c0]!) * wx;
      dst.data[y * width + x] = top + (bottom - top) * wy;
    }
  }
  return dst;
}

/** Nearest-neighbour resize with half-pixel centres (PIL's NEAREST), used to move label maps with the image. */
export function resizeNearest(src: Heatmap, width: number, height: number): Heatmap {
  const dst = createMap(width, height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(src.height - 1, Math.floor(((y + 0.5) * src.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(src.width - 1, Math.floor(((x + 0.5) * src.width) / width));
      dst.data[y * width + x] = src.data[sy * src.width + sx]!;
    }
  }
  return dst;
}

/** OpenCV's BORDER_REFLECT_101 index: -1 → 1, n → n − 2. */
function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  if (i < 0) return -i;
  if (i >= n) return 2 * n - 2 - i;
  return i;
}

/** 3×3 mean filter with OpenCV's default border (cv2.blur). */
export function boxBlur3(src: Heatmap): Heatmap {
  const { width, height } = src;
  const dst = createMap(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const row = reflect101(y + dy, height) * width;
        for (let dx = -1; dx <= 1; dx++) sum += src.data[row + reflect101(x + dx, width)]!;
      }
      dst.data[y * width + x] = sum / 9;
    }
  }
  return dst;
}

/** Smallest and largest value of a map. */
export function minMax(data: Float32Array): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/** Min-max normalisation to [0, 1]; a constant map keeps a denominator of 1, as the paper's code does. */
export function normaliseMinMax(src: Heatmap): Heatmap {
  const { min, max } = minMax(src.data);
  const range = max - min || 1;
  const data = new Float32Array(src.data.length);
  for (let i = 0; i < data.length; i++) data[i] = (src.data[i]! - min) / range;
  return { width: src.width, height: src.height, data };
}

/** Pixel-wise maximum of maps of equal size. */
export function pixelMax(maps: readonly Heatmap[]): Heatmap {
  const first = maps[0];
  if (!first) throw new RangeError('pixelMax needs at least one map');
  const out = createMap(first.width, first.height);
  out.data.set(first.data);
  for (const m of maps.slice(1)) {
    if (m.width !== first.width || m.height !== first.height) {
      throw new RangeError(`map sizes differ: ${m.width}×${m.height} vs ${first.width}×${first.height}`);
    }
    for (let i = 0; i < out.data.length; i++) if (m.data[i]! > out.data[i]!) out.data[i] = m.data[i]!;
  }
  return out;
}
