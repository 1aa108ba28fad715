/**
 * Noisy linear imputation (Rong et al. 2022, "A Consistent and Efficient Evaluation Strategy for Attribution
 * Methods", ICML, §4), as pytorch-grad-cam's `pytorch_grad_cam/metrics/road.py` (`NoisyLinearImputer`, taken from
 * tleemann/road_evaluation) defines it: every removed pixel becomes the weighted mean of its 8 neighbours (1/6 for
 * the 4 edge neighbours, 1/12 for the 4 diagonal ones; neighbours outside the image drop out of the weights),
 * removed neighbours being unknowns too, which is one sparse linear system per image; then N(0, noise²) is added to
 * every imputed value (noise = 0.01, absolute, in the model's input space).
 *
 * road.py solves the system with scipy's `spsolve` (SuperLU). Its matrix is symmetric and, as soon as one pixel is
 * kept, positive definite (a weighted graph Laplacian with the kept pixels as boundary), so here it is factored
 * exactly by a Cholesky factorisation in envelope (profile) storage, unknowns in row-major order: the envelope
 * of each row reaches back at most one image row, fill-in stays inside it, and the three channels share one
 * factorisation. Float64 throughout, cast to float32 as road.py casts `spsolve`'s result; the two agree to
 * rounding (test/unit/science/metrics/faithfulness/road.golden.test.ts).
 *
 * When no pixel is kept, the system is singular but its right-hand side is zero, and scipy's spsolve returns zeros
 * (scipy 1.10, checked): road.py then fills the image with 0 plus the noise, i.e. the normalisation's mean colour.
 * We do the same, and ROAD lists the percentiles where it happened.
 */
import type { Random } from '../../random';
import { gaussian, mulberry32 } from '../../random';
import type { ModelImage, PixelMask } from './types';

/** road.py's `neighbors_weights`, in its order: ((row offset, column offset), weight). */
const NEIGHBOURS: readonly (readonly [dy: number, dx: number, w: number])[] = [
  [1, 1, 1 / 12], [0, 1, 1 / 6], [-1, 1, 1 / 12], [1, -1, 1 / 12],
  [0, -1, 1 / 6], [-1, -1, 1 / 12], [1, 0, 1 / 6], [-1, 0, 1 / 6],
];

export const ROAD_NOISE = 0.01;

export interface ImputationOptions {
  /** Standard deviation of the added noise; default 0.01 (road.py's); 0 for none. */
  readonly noise?: number;
  /**
   * Standard normal draws, channel-major (channels × imputed pixels, pixels in row-major order), as road.py's
   * `torch.randn_like(res.t())`; default: drawn from `random`.
   */
  readonly normals?: ArrayLike<number>;
  readonly random?: Random;
}

/** The system's lower triangle in envelope storage: row u holds columns first[u] … u. */
interface Envelope {
  readonly first: Int32Array;
  readonly start: Int32Array;
  readonly values: Float64Array;
}

/** Pixel p's neighbours in road.py's order: their index (−1 outside the image) and weight. */
function* neighbours(p: number, width: number, height: number): Generator<readonly [q: number, w: number]> {
  const x = p % width;
  const y = (p - x) / width;
  for (const [dy, dx, w] of NEIGHBOURS) {
    const nx = x + dx;
    const ny = y + dy;
    yield [nx < 0 || ny < 0 || nx >= width || ny >= height ? -1 : ny * width + nx, w];
  }
}

/** `vars[p]` is pixel p's unknown index, −1 for a kept pixel. */
function assemble(width: number, height: number, unknowns: Int32Array, vars: Int32Array): Envelope {
  const n = unknowns.length;
  const first = new Int32Array(n);
  const start = new Int32Array(n + 1);
  for (let u = 0; u < n; u++) {
    let f = u;
    for (const [q] of neighbours(unknowns[u]!, width, height)) if (q >= 0 && vars[q]! >= 0) f = Math.min(f, vars[q]!);
    first[u] = f;
    start[u + 1] = start[u]! + (u - f + 1);
  }
  const values = new Float64Array(start[n]!);
  for (let u = 0; u < n; u++) {
    // road.py: the diagonal is 1 minus the weights of neighbours outside the image, off-diagonals −weight.
    let diagonal = 1;
    for (const [q, w] of neighbours(unknowns[u]!, width, height)) {
      if (q < 0) diagonal -= w;
      else if (vars[q]! >= 0 && vars[q]! < u) values[start[u]! + vars[q]! - first[u]!] = -w;
    }
    values[start[u]! + u - first[u]!] = diagonal;
  }
  return { first, start, values };
}

/** In-place Cholesky L·Lᵀ of the envelope; fill-in never leaves a row's envelope. */
function factor({ first, start, values: a }: Envelope): void {
  const n = first.length;
  for (let i = 0; i < n; i++) {
    const fi = first[i]!;
    const ri = start[i]! - fi;
    for (let j = fi; j <= i; j++) {
      const rj = start[j]! - first[j]!;
      let s = a[ri + j]!;
      for (let k = Math.max(fi, first[j]!); k < j; k++) s -= a[ri + k]! * a[rj + k]!;
      if (j < i) {
        a[ri + j] = s / a[rj + j]!;
      } else {
        if (!(s > 0)) throw new RangeError('the imputation system is singular: removed pixels without a kept anchor');
        a[ri + i] = Math.sqrt(s);
      }
    }
  }
}

/** Solves L·Lᵀ·x = b in place. */
function solve({ first, start, values: l }: Envelope, b: Float64Array): void {
  const n = first.length;
  for (let i = 0; i < n; i++) {
    const r = start[i]! - first[i]!;
    let s = b[i]!;
    for (let k = first[i]!; k < i; k++) s -= l[r + k]! * b[k]!;
    b[i] = s / l[r + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    const r = start[i]! - first[i]!;
    const x = (b[i] = b[i]! / l[r + i]!);
    for (let k = first[i]!; k < i; k++) b[k]! -= l[r + k]! * x;
  }
}

/** The kept pixels' weighted sum around each unknown: the right-hand side of one channel. */
function rightHandSide(plane: Float32Array, width: number, height: number, unknowns: Int32Array, vars: Int32Array) {
  return Float64Array.from(unknowns, (p) => {
    let s = 0;
    for (const [q, w] of neighbours(p, width, height)) if (q >= 0 && vars[q]! < 0) s += w * plane[q]!;
    return s;
  });
}

/** The removed pixels' values before noise: the system's solution, or 0 when nothing is kept (see above). */
function imputedValues(image: ModelImage, unknowns: Int32Array, vars: Int32Array): Float64Array[] {
  const { channels, width, height, data } = image;
  const plane = width * height;
  const planes = Array.from({ length: channels }, (_, c) => data.subarray(c * plane, (c + 1) * plane));
  if (unknowns.length === plane) return planes.map(() => new Float64Array(plane));
  const system = assemble(width, height, unknowns, vars);
  factor(system);
  return planes.map((p) => {
    const b = rightHandSide(p, width, height, unknowns, vars);
    solve(system, b);
    return b;
  });
}

/** The image with every pixel outside `keep` imputed (every channel), as road.py's NoisyLinearImputer. */
export function noisyLinearImputation(
  image: ModelImage,
  keep: PixelMask,
  options: ImputationOptions = {},
): Float32Array {
  const { channels, width, height } = image;
  if (keep.width !== width || keep.height !== height) {
    throw new RangeError(`the mask is ${keep.width}×${keep.height} but the image is ${width}×${height}`);
  }
  const plane = width * height;
  const vars = new Int32Array(plane).fill(-1);
  const removed: number[] = [];
  for (let p = 0; p < plane; p++) {
    if (!keep.data[p]) {
      vars[p] = removed.length;
      removed.push(p);
    }
  }
  const unknowns = Int32Array.from(removed);
  const out = Float32Array.from(image.data);
  if (unknowns.length === 0) return out;
  const noise = options.noise ?? ROAD_NOISE;
  const normals = options.normals;
  if (normals && normals.length !== channels * unknowns.length) {
    throw new RangeError(`${channels * unknowns.length} normal draws are needed, got ${normals.length}`);
  }
  const random = options.random ?? mulberry32(0);
  const values = imputedValues(image, unknowns, vars);
  for (let c = 0; c < channels; c++) {
    unknowns.forEach((p, u) => {
      const n = noise === 0 ? 0 : normals ? normals[c * unknowns.length + u]! : gaussian(random);
      // road.py adds float32 noise to the float32 solution.
      out[c * plane + p] = Math.fround(Math.fround(values[c]![u]!) + Math.fround(noise * n));
    });
  }
  return out;
}
