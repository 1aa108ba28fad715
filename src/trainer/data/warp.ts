/**
 * The geometric half of the train-time augmentation (augment.ts): the image resampled once through the affine
 * that composes rotation, resized crop and flip. The AU map follows the same affine through geometry.warpMap.
 */
import type { Affine } from '../science/geometry';
import { invertAffine } from '../science/geometry';

/**
 * Bilinear warp of interleaved RGB bytes into planar [0, 1] floats, with the sampling convention of
 * geometry.warpMap (inverse-map each destination pixel centre; samples outside the source are 0, torchvision's
 * fill 0). Specialised for three interleaved channels because it is the hot loop of training.
 */
export function warpRgb(rgb: Uint8Array, side: number, affine: Affine, size: number, out: Float32Array): void {
  const [a, b, c, d, e, f] = invertAffine(affine);
  const plane = size * size;
  const k = 1 / 255;
  for (let y = 0; y < size; y++) {
    // Source position of (x + 0.5, y + 0.5), minus 0.5 to index space where pixel centre i sits at i.
    let u = a * 0.5 + b * (y + 0.5) + c - 0.5;
    let v = d * 0.5 + e * (y + 0.5) + f - 0.5;
    for (let x = 0; x < size; x++, u += a, v += d) {
      const i0 = Math.floor(u);
      const j0 = Math.floor(v);
      const fu = u - i0;
      const fv = v - j0;
      let r = 0;
      let g = 0;
      let bl = 0;
      if (i0 >= 0 && j0 >= 0 && i0 + 1 < side && j0 + 1 < side) {
        const p00 = (j0 * side + i0) * 3;
        const p10 = p00 + 3;
        const p01 = p00 + side * 3;
        const p11 = p01 + 3;
        const w00 = (1 - fu) * (1 - fv);
        const w10 = fu * (1 - fv);
        const w01 = (1 - fu) * fv;
        const w11 = fu * fv;
        r = w00 * rgb[p00]! + w10 * rgb[p10]! + w01 * rgb[p01]! + w11 * rgb[p11]!;
        g = w00 * rgb[p00 + 1]! + w10 * rgb[p10 + 1]! + w01 * rgb[p01 + 1]! + w11 * rgb[p11 + 1]!;
        bl = w00 * rgb[p00 + 2]! + w10 * rgb[p10 + 2]! + w01 * rgb[p01 + 2]! + w11 * rgb[p11 + 2]!;
      } else if (i0 >= -1 && j0 >= -1 && i0 < side && j0 < side) {
        // Border: each tap that falls outside contributes the fill value 0.
        for (let t = 0; t < 4; t++) {
          const i = i0 + (t & 1);
          const j = j0 + (t >> 1);
          if (i < 0 || j < 0 || i >= side || j >= side) continue;
          const w = (t & 1 ? fu : 1 - fu) * (t >> 1 ? fv : 1 - fv);
          const p = (j * side + i) * 3;
          r += w * rgb[p]!;
          g += w * rgb[p + 1]!;
          bl += w * rgb[p + 2]!;
        }
      }
      const o = y * size + x;
      out[o] = r * k;
      out[o + plane] = g * k;
      out[o + 2 * plane] = bl * k;
    }
  }
}
