/**
 * Geometric augmentation that landmarks and maps follow, so an AU map stays on the face it was drawn for
 * (docs/paper-notes.md §3.6: resize, rotation, crop and h-flip are applied to the map as to the image).
 *
 * Coordinates are continuous with the origin at the top-left pixel's corner (see Point): pixel (i, j) covers
 * [i, i+1) × [j, j+1) and its centre is (i + 0.5, j + 0.5). In that convention a resize is a pure scale and a
 * flip is x → width − x, and the paper's `int()` of a landmark is the pixel that contains it.
 */
import { createMap } from './raster';
import type { Heatmap, Landmarks68, Point } from './types';

/** x' = a·x + b·y + c, y' = d·x + e·y + f: OpenCV's 2×3 matrix, row-major, mapping source to destination. */
export type Affine = readonly [a: number, b: number, c: number, d: number, e: number, f: number];

export const IDENTITY_AFFINE: Affine = [1, 0, 0, 0, 1, 0];

/** Moves the box's top-left corner to the origin; the output is then box.width × box.height. */
export function cropAffine(box: { readonly x: number; readonly y: number }): Affine {
  return [1, 0, -box.x, 0, 1, -box.y];
}

export function resizeAffine(fromWidth: number, fromHeight: number, toWidth: number, toHeight: number): Affine {
  return [toWidth / fromWidth, 0, 0, 0, toHeight / fromHeight, 0];
}

export function hflipAffine(width: number): Affine {
  return [-1, 0, width, 0, 1, 0];
}

/** Rotation about the image centre; positive degrees turn the picture counter-clockwise, as torchvision's rotate. */
export function rotationAffine(degrees: number, width: number, height: number): Affine {
  const t = (degrees * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const cx = width / 2;
  const cy = height / 2;
  // y points down, so a counter-clockwise turn on screen is a clockwise one in these axes.
  return [cos, sin, cx - cos * cx - sin * cy, -sin, cos, cy + sin * cx - cos * cy];
}

/** The transform that applies `steps` in order (the first one first). */
export function composeAffine(...steps: readonly Affine[]): Affine {
  return steps.reduce<Affine>(
    ([a, b, c, d, e, f], [A, B, C, D, E, F]) => [
      A * a + B * d,
      A * b + B * e,
      A * c + B * f + C,
      D * a + E * d,
      D * b + E * e,
      D * c + E * f + F,
    ],
    IDENTITY_AFFINE,
  );
}

export function invertAffine([a, b, c, d, e, f]: Affine): Affine {
  const det = a * e - b * d;
  if (det === 0 || !Number.isFinite(det)) throw new RangeError('the affine transform is not invertible');
  return [e / det, -b / det, (b * f - e * c) / det, -d / det, a / det, (d * c - a * f) / det];
}

export function applyAffine([a, b, c, d, e, f]: Affine, p: Point): Point {
  return { x: a * p.x + b * p.y + c, y: d * p.x + e * p.y + f };
}

/**
 * The iBUG 68-point left/right pairs (0-based): after a mirror, the point now at index i is the old point
 * IBUG68_MIRROR[i]. Jaw 0–16 reversed, brows 17–21 ↔ 26–22, nostrils 31–35 reversed, eyes 36–41 ↔ 45–42/47–46,
 * outer lips 48–54 and 55–59 reversed, inner lips 60–64 and 65–67 reversed; the centre line maps to itself.
 */
export const IBUG68_MIRROR: readonly number[] = Object.freeze([
  16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
  26, 25, 24, 23, 22, 21, 20, 19, 18, 17,
  27, 28, 29, 30,
  35, 34, 33, 32, 31,
  45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40,
  54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55,
  64, 63, 62, 61, 60, 67, 66, 65,
]);

export interface TransformLandmarksOptions {
  /** Keep the index order after a mirroring transform instead of swapping left and right points. */
  keepOrder?: boolean;
}

/**
 * Moves landmarks with the image. A mirroring transform (negative determinant, e.g. a horizontal flip) also
 * re-orders the points, so index 36 is still the outer corner of the eye on the image's left, as the AU geometry
 * expects.
 */
export function transformLandmarks(
  landmarks: Landmarks68,
  affine: Affine,
  opts: TransformLandmarksOptions = {},
): Point[] {
  const moved = landmarks.map((p) => applyAffine(affine, p));
  const [a, b, , d, e] = affine;
  if (opts.keepOrder || a * e - b * d >= 0) return moved;
  if (moved.length !== IBUG68_MIRROR.length) {
    throw new RangeError(`a mirrored face needs 68 landmarks to re-order, got ${moved.length}`);
  }
  return IBUG68_MIRROR.map((i) => moved[i]!);
}

/**
 * Resamples `map` through `affine` (source → destination) onto an outWidth × outHeight map by inverse mapping each
 * destination pixel centre. Samples outside the source take `fill`, as torchvision's fill and OpenCV's
 * BORDER_CONSTANT do. 'nearest' is what the paper uses for AU maps; 'bilinear' suits continuous maps.
 */
export function warpMap(
  map: Heatmap,
  affine: Affine,
  outWidth: number,
  outHeight: number,
  interpolation: 'nearest' | 'bilinear',
  fill = 0,
): Heatmap {
  const [a, b, c, d, e, f] = invertAffine(affine);
  const out = createMap(outWidth, outHeight);
  const { width, height, data } = map;
  const pixel = (i: number, j: number): number =>
    i >= 0 && i < width && j >= 0 && j < height ? data[j * width + i]! : fill;
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      const sx = a * (x + 0.5) + b * (y + 0.5) + c;
      const sy = d * (x + 0.5) + e * (y + 0.5) + f;
      let v: number;
      if (interpolation === 'nearest') {
        v = pixel(Math.floor(sx), Math.floor(sy));
      } else {
        // Between pixel centres, so shift to index space where centre i sits at i.
        const u = sx - 0.5;
        const w = sy - 0.5;
        const i = Math.floor(u);
        const j = Math.floor(w);
        const fu = u - i;
        const fw = w - j;
        const top = pixel(i, j) * (1 - fu) + pixel(i + 1, j) * fu;
        const bottom = pixel(i, j + 1) * (1 - fu) + pixel(i + 1, j + 1) * fu;
        v = top * (1 - fw) + bottom * fw;
      }
      out.data[y * outWidth + x] = v;
    }
  }
  return out;
}
