/**
 * ROAD, RemOve And Debias (Rong et al. 2022, "A Consistent and Efficient Evaluation Strategy for Attribution
 * Methods", ICML), exactly as pytorch-grad-cam defines it in `pytorch_grad_cam/metrics/road.py` and
 * `perturbation_confidence.py` (jacobgil/pytorch-grad-cam, read at 084273b3, 2026-06-14):
 * - MoRF at percentile p (`RemoveMostRelevantFirst`): t = np.percentile(map, p) (linear interpolation); pixels with
 *   map < t are kept, the others (the most relevant 100 − p %) are imputed;
 * - LeRF at percentile p (`RemoveLeastRelevantFirst`): the same on 1 − map, so the most relevant p % are kept;
 * - imputation: noisy linear imputation (imputation.ts), noise 0.01 in the model's input space;
 * - score: p(class | imputed) − p(class | image) (`PerturbationConfidenceMetric`, return_diff=True; we read the
 *   class probability, i.e. pytorch-grad-cam's ClassifierOutputSoftmaxTarget);
 * - averaged over percentiles 10, 20, …, 90 (`ROAD…Average`), and combined = (LeRF − MoRF) / 2 (`ROADCombined`):
 *   higher is better (removing the least relevant pixels hurts less than removing the most relevant).
 * The threshold is computed as numpy computes it (float64 interpolation between float32 order statistics) and
 * compared in float32, as torch compares a float32 tensor with a numpy scalar, so the kept pixels are the same.
 *
 * Where Quantus's `quantus.metrics.faithfulness.ROAD` (0.6) differs: it removes MoRF only (no LeRF, no combined
 * score); it removes exactly int(N·p/100) pixels ranked by `np.argsort(-map)` (ties in sort order) where
 * pytorch-grad-cam removes every pixel at or above a percentile threshold (ties together); its default percentages
 * are 1, 3, …, 99; and its score is whether the prediction still equals the label (an accuracy curve), not a change
 * of probability. Its imputation is the same noisy linear imputation (`noisy_linear_imputation`).
 *
 * A map whose lowest (MoRF) or highest (LeRF) values tie over more than p % of the pixels (a ReLU'd CAM's zeros)
 * keeps no pixel at p: road.py then imputes the whole image as 0 plus noise (imputation.ts), and so do we, listing
 * those percentiles in `unanchored` so a report can say so. A constant map, which keeps nothing anywhere, is
 * skipped ('constant-map').
 */
import { deriveSeed, mulberry32 } from '../../random';
import type { Heatmap } from '../../types';
import { checkImage } from './blur';
import type { Probe } from './classifier';
import { classIndexOf, settledProbe } from './classifier';
import type { ImputationOptions } from './imputation';
import { noisyLinearImputation, ROAD_NOISE } from './imputation';
import { checkMap, checkMapFitsImage, constantMap, isConstant } from './ranking';
import type { ModelImage, PixelMask, Skipped } from './types';

export const ROAD_PERCENTILES: readonly number[] = Object.freeze([10, 20, 30, 40, 50, 60, 70, 80, 90]);
export const DEFAULT_ROAD_SEED = 2022;

export type RoadOrder = 'morf' | 'lerf';

/** np.percentile(values, p) with the default 'linear' method, for float32 values, in numpy's float64 arithmetic. */
export function numpyPercentile(values: Float32Array, p: number): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const virtual = (n - 1) * (p / 100);
  if (virtual >= n - 1) return sorted[n - 1]!;
  if (virtual < 0) return sorted[0]!;
  const lo = Math.floor(virtual);
  const gamma = virtual - lo;
  const a = sorted[lo]!;
  const b = sorted[lo + 1]!;
  // numpy's _lerp: b − a in float32, then a + d·γ (γ < 0.5) or b − d·(1 − γ) in float64.
  const d = Math.fround(b - a);
  return gamma >= 0.5 ? b - d * (1 - gamma) : a + d * gamma;
}

/** The pixels road.py keeps at percentile p: map < t for MoRF, (1 − map) < t for LeRF (float32 comparisons). */
export function roadKeepMask(map: Heatmap, percentile: number, order: RoadOrder): PixelMask {
  const values = order === 'morf' ? map.data : map.data.map((v) => Math.fround(1 - v));
  const threshold = Math.fround(numpyPercentile(values, percentile));
  const data = new Uint8Array(values.length);
  let pixels = 0;
  values.forEach((v, i) => {
    if (v < threshold) {
      data[i] = 1;
      pixels++;
    }
  });
  return { width: map.width, height: map.height, data, pixels };
}

export interface RoadOptions {
  readonly percentiles?: readonly number[];
  readonly noise?: number;
  readonly seed?: number;
  /** Standard normal draws for one imputed image (see ImputationOptions.normals); default: seeded draws. */
  readonly normals?: (order: RoadOrder, percentile: number, count: number) => ArrayLike<number>;
}

export interface RoadScores {
  /** Per percentile, p(class | imputed) − p(class | image). */
  readonly perPercentile: readonly number[];
  readonly mean: number;
}

export interface Road {
  readonly status: 'ok';
  readonly classIndex: number;
  readonly percentiles: readonly number[];
  readonly noise: number;
  /** Most relevant first: lower (more negative) is better. */
  readonly morf: RoadScores;
  /** Least relevant first: higher (closer to 0) is better. */
  readonly lerf: RoadScores;
  /** (LeRF − MoRF) / 2: higher is better. */
  readonly combined: number;
  /** Percentiles where an order kept no pixel (see the file comment). */
  readonly unanchored: readonly { readonly order: RoadOrder; readonly percentile: number }[];
}

export type RoadResult = Road | Skipped;

export interface RoadInput {
  readonly image: ModelImage;
  readonly map: Heatmap;
  readonly labels: readonly string[];
  readonly className: string;
}

/** Images: the intact image, then MoRF at each percentile, then LeRF at each percentile. */
export function planRoad(input: RoadInput, options: RoadOptions = {}): Probe<RoadResult> {
  const { image, map } = input;
  checkImage(image);
  checkMap(map);
  checkMapFitsImage(map, image);
  const percentiles = options.percentiles ?? ROAD_PERCENTILES;
  if (percentiles.length === 0 || percentiles.some((p) => !(p > 0 && p < 100))) {
    throw new RangeError(`ROAD percentiles must lie strictly between 0 and 100, got [${percentiles.join(', ')}]`);
  }
  const classIndex = classIndexOf(input.labels, input.className);
  if (typeof classIndex !== 'number') return settledProbe(classIndex);
  if (isConstant(map.data)) return settledProbe(constantMap());
  const noise = options.noise ?? ROAD_NOISE;
  const seed = options.seed ?? DEFAULT_ROAD_SEED;
  const runs = (['morf', 'lerf'] as const).flatMap((order, o) => percentiles.map((percentile, k) => ({
    order, percentile, stream: [o, k], keep: roadKeepMask(map, percentile, order),
  })));
  return {
    size: 1 + runs.length,
    classIndex,
    image: (i) => {
      if (i === 0) return image.data;
      const { order, percentile, keep, stream } = runs[i - 1]!;
      const count = image.channels * (keep.width * keep.height - keep.pixels);
      const imputation: ImputationOptions = options.normals
        ? { noise, normals: options.normals(order, percentile, count) }
        : { noise, random: mulberry32(deriveSeed(seed, ...stream)) };
      return noisyLinearImputation(image, keep, imputation);
    },
    finish: (p) => {
      const scores = (from: number): RoadScores => {
        const perPercentile = percentiles.map((_, k) => p[from + k]! - p[0]!);
        return { perPercentile, mean: perPercentile.reduce((s, v) => s + v, 0) / perPercentile.length };
      };
      const morf = scores(1);
      const lerf = scores(1 + percentiles.length);
      return {
        status: 'ok',
        classIndex,
        percentiles: [...percentiles],
        noise,
        morf,
        lerf,
        combined: (lerf.mean - morf.mean) / 2,
        unanchored: runs.filter((r) => r.keep.pixels === 0).map(({ order, percentile }) => ({ order, percentile })),
      };
    },
  };
}
