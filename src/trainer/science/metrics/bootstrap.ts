/**
 * Paired bootstrap percentile intervals (Efron & Tibshirani 1993, §13.3): resample the images with replacement, keep
 * each image's A and B values together, recompute the statistic, and read the interval off the resampled values'
 * percentiles. Seeded, so a comparison reads the same every time it is shown.
 */
import type { Random } from '../random';
import { mulberry32, randomInt } from '../random';

export const DEFAULT_RESAMPLES = 2000;
export const DEFAULT_BOOTSTRAP_SEED = 20240;

export interface BootstrapOptions {
  readonly resamples?: number;
  readonly seed?: number;
  /** Coverage of the interval; default 0.95. */
  readonly level?: number;
}

export interface Estimate {
  /** The statistic on the images as they are. */
  readonly value: number;
  /** Percentile interval; null with fewer than two images (nothing to resample). */
  readonly low: number | null;
  readonly high: number | null;
  /** Images the statistic was computed on. */
  readonly n: number;
}

/**
 * The mean of `differences` (one B − A value per image) with its bootstrap interval. The mean of a resample is all
 * the statistics here need (Δ accuracy is the mean of per-image correctness differences), which keeps each resample
 * a single pass over n random indices.
 */
export function bootstrapMean(differences: readonly number[], options: BootstrapOptions = {}): Estimate {
  const n = differences.length;
  if (n === 0) throw new RangeError('a bootstrap needs at least one image');
  return resampled(mean(differences), n, options, (random) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += differences[randomInt(random, n)]!;
    return sum / n;
  });
}

/**
 * The paper's "Average" row, the unweighted mean of per-class means, with its interval: the samples are resampled
 * within each class (a stratified bootstrap; Efron & Tibshirani 1993, §8.2), so the class sizes stay as they are
 * and each class keeps its weight. Every class needs at least one value.
 */
export function bootstrapMacroMean(classes: readonly (readonly number[])[], options: BootstrapOptions = {}): Estimate {
  if (classes.length === 0 || classes.some((c) => c.length === 0)) {
    throw new RangeError('a macro average needs at least one value in every class');
  }
  const n = classes.reduce((s, c) => s + c.length, 0);
  return resampled(mean(classes.map(mean)), n, options, (random) => {
    let total = 0;
    for (const c of classes) {
      let sum = 0;
      for (let i = 0; i < c.length; i++) sum += c[randomInt(random, c.length)]!;
      total += sum / c.length;
    }
    return total / classes.length;
  });
}

const mean = (values: readonly number[]): number => values.reduce((s, v) => s + v, 0) / values.length;

/** `value` with the percentile interval of `resample` drawn `resamples` times from a seeded stream. */
function resampled(
  value: number,
  n: number,
  options: BootstrapOptions,
  resample: (random: Random) => number,
): Estimate {
  if (n < 2) return { value, low: null, high: null, n };
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new RangeError(`resamples must be a positive integer, got ${resamples}`);
  }
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  const random = mulberry32(options.seed ?? DEFAULT_BOOTSTRAP_SEED);
  const values = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) values[r] = resample(random);
  values.sort();
  const tail = (1 - level) / 2;
  return { value, low: quantileSorted(values, tail), high: quantileSorted(values, 1 - tail), n };
}

/** The q-quantile of sorted values with linear interpolation between order statistics (NumPy's default, type 7). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new RangeError('no values');
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}
