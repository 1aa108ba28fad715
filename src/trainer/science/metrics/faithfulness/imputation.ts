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

/** road.py's `neighbors_weights`, in its order: row offsets, column offsets and weights. */
const NEIGHBOUR_DY = [1, 0, -1, 1, 0, -1, 1, -1] as const;
const NEIGHBOUR_DX = [1, 1, 1, -1, -1, -1, 0, 0] as const;
const NEIGHBOUR_W = [1 / 12, 1 / 6, 1 / 12, 1 / 12, 1 / 6, 1 / 12, 1 / 6, 1 / 6] as const;

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

/** The system's lower triangle in envelope storage: row u holds columns first[u] … u from values[start[u]]. */
interface Envelope {
  readonly first: Int32Array;
  readonly start: Int32Array;
  readonly values: Float64Array;
}

/** Every unknown's 8 neighbours in road.py's order: their pixel index, −1 outside the image. */
function neighbourTable(width: number, height: number, unknowns: Int32Array): Int32Array {
  const table = new Int32Array(8 * unknowns.length);
  for (let u = 0; u < unknowns.length; u++) {
    const p = unknowns[u]!;
    const x = p % width;
    const y = (p - x) / width;
    for (let k = 0; k < 8; k++) {
      const nx = x + NEIGHBOUR_DX[k]!;
      const ny = y + NEIGHBOUR_DY[k]!;
      table[8 * u + k] = nx < 0 || ny < 0 || nx >= width || ny >= height ? -1 : ny * width + nx;
    }
  }
  return table;
}

/** `vars[p]` is pixel p's unknown index, −1 for a kept pixel. */
function assemble(table: Int32Array, vars: Int32Array): Envelope {
  const n = table.length / 8;
  const first = new Int32Array(n);
  const start = new Int32Array(n + 1);
  for (let u = 0; u < n; u++) {
    let f = u;
    for (let k = 0; k < 8; k++) {
      const q = table[8 * u + k]!;
      if (q >= 0 && vars[q]! >= 0 && vars[q]! < f) f = vars[q]!;
    }
    first[u] = f;
    start[u + 1] = start[u]! + (u - f + 1);
  }
  const values = new Float64Array(start[n]!);
  for (let u = 0; u < n; u++) {
    // road.py: the diagonal is 1 minus the weights of neighbours outside the image, off-diagonals −weight.
    let diagonal = 1;
    const row = start[u]! - first[u]!;
    for (let k = 0; k < 8; k++) {
      const q = table[8 * u + k]!;
      if (q < 0) diagonal -= NEIGHBOUR_W[k]!;
      else if (vars[q]! >= 0 && vars[q]! < u) values[row + vars[q]!] = -NEIGHBOUR_W[k]!;
    }
    values[row + u] = diagonal;
  }
  return { first, start, values };
}

/**
 * In-place Cholesky L·Lᵀ of the envelope (row by row: each entry of row i is its dot product with row j over
 * their common columns); fill-in never leaves a row's envelope.
 */
function factor({ first, start, values: a }: Envelope): void {
  const n = first.length;
  for (let i = 0; i < n; i++) {
    const fi = first[i]!;
    const ri = start[i]! - fi;
    let diagonal = a[ri + i]!;
    for (let j = fi; j < i; j++) {
      const fj = first[j]!;
      const rj = start[j]! - fj;
      let s = a[ri + j]!;
      for (let k = fi > fj ? fi : fj; k < j; k++) s -= a[ri + k]! * a[rj + k]!;
      s /= a[rj + j]!;
      a[ri + j] = s;
      diagonal -= s * s;
    }
    if (!(diagonal > 0)) {
      throw new RangeError('the imputation system is singular: removed pixels without a kept anchor');
    }
    a[ri + i] = Math.sqrt(diagonal);
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
function rightHandSide(plane: Float32Array, table: Int32Array, vars: Int32Array): Float64Array {
  const n = table.length / 8;
  const b = new Float64Array(n);
  for (let u = 0; u < n; u++) {
    let s = 0;
    for (let k = 0; k < 8; k++) {
      const q = table[8 * u + k]!;
      if (q >= 0 && vars[q]! < 0) s += NEIGHBOUR_W[k]! * plane[q]!;
    }
    b[u] = s;
  }
  return b;
}

/** The removed pixels' values before noise: the system's solution, or 0 when nothing is kept (see above). */
function imputedValues(image: ModelImage, unknowns: Int32Array, vars: Int32Array): Float64Array[] {
  const { channels, width, height, data } = image;
  const plane = width * height;
  const planes = Array.from({ length: channels }, (_, c) => data.subarray(c * plane, (c + 1) * plane));
  if (unknowns.length === plane) return planes.map(() => new Float64Array(plane));
  const table = neighbourTable(width, height, unknowns);
  const system = assemble(table, vars);
  factor(system);
  return planes.map((p) => {
    const b = rightHandSide(p, table, vars);
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
