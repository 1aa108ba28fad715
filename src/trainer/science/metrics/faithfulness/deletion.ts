/**
 * Deletion and insertion curves (Petsiuk et al. 2018, "RISE", §4.1): pixels are removed from the face in the map's
 * order, most salient first, and the class probability is read after each step; insertion starts from the blurred
 * face and puts the original pixels back in the same order. A map that names what the model uses makes the
 * deletion curve fall early (low AUC, better) and the insertion curve rise early (high AUC, better).
 *
 * Here both go onto the same blurred copy of the face (blur.ts, σ = 8 px at 224; RISE deletes to black and
 * inserts onto a blur), in DEFAULT_STEPS = 20 equal steps: after step k the first round(k·N/20) of the N pixels
 * are changed, every channel at once. AUC is the trapezoidal area under probability against the fraction of
 * pixels changed, over [0, 1]. The map must have the image's size (upsample a layer's map first); ties in the map
 * are ordered at random from `seed`, so a flat map behaves like a random one rather than like a raster scan.
 */
import { deriveSeed, mulberry32 } from '../../random';
import type { Heatmap } from '../../types';
import { blurSigmaFor, checkImage, gaussianBlur, pasteFirst } from './blur';
import type { Probe } from './classifier';
import { classIndexOf, settledProbe } from './classifier';
import { checkMap, checkMapFitsImage, constantMap, isConstant, orderByValue } from './ranking';
import type { ModelImage, Skipped } from './types';

export const DEFAULT_STEPS = 20;
export const DEFAULT_ORDER_SEED = 7;

export interface Curve {
  /** Fraction of pixels changed at each point, 0 … 1 (steps + 1 points). */
  readonly fractions: readonly number[];
  readonly probabilities: readonly number[];
  readonly auc: number;
}

export interface DeletionInsertion {
  readonly status: 'ok';
  readonly classIndex: number;
  readonly steps: number;
  readonly sigma: number;
  /** Lower is better. */
  readonly deletion: Curve;
  /** Higher is better. */
  readonly insertion: Curve;
}

export type DeletionInsertionResult = DeletionInsertion | Skipped;

export interface DeletionOptions {
  readonly steps?: number;
  /** Blur σ in pixels; default blurSigmaFor(width). */
  readonly sigma?: number;
  /** Seed of the order within ties. */
  readonly seed?: number;
}

export interface DeletionInput {
  readonly image: ModelImage;
  readonly map: Heatmap;
  readonly labels: readonly string[];
  readonly className: string;
}

/** Trapezoidal area under y(x). */
export function trapezoid(x: readonly number[], y: readonly number[]): number {
  let area = 0;
  for (let i = 1; i < x.length; i++) area += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
  return area;
}

/** Images: steps + 1 of deletion (0 … N pixels blurred), then steps + 1 of insertion (0 … N restored). */
export function planDeletionInsertion(
  input: DeletionInput,
  options: DeletionOptions = {},
): Probe<DeletionInsertionResult> {
  const { image, map } = input;
  checkImage(image);
  checkMap(map);
  checkMapFitsImage(map, image);
  const steps = options.steps ?? DEFAULT_STEPS;
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a positive integer, got ${steps}`);
  const classIndex = classIndexOf(input.labels, input.className);
  if (typeof classIndex !== 'number') return settledProbe(classIndex);
  if (isConstant(map.data)) return settledProbe(constantMap());
  const sigma = options.sigma ?? blurSigmaFor(image.width);
  const n = image.width * image.height;
  const counts = Array.from({ length: steps + 1 }, (_, k) => Math.round((k * n) / steps));
  const order = orderByValue(map.data, mulberry32(deriveSeed(options.seed ?? DEFAULT_ORDER_SEED)));
  let blurred: ModelImage | undefined;
  return {
    size: 2 * (steps + 1),
    classIndex,
    image: (i) => {
      blurred ??= gaussianBlur(image, sigma);
      if (i <= steps) return pasteFirst(image, blurred, order, counts[i]!);
      return pasteFirst(blurred, image, order, counts[i - steps - 1]!);
    },
    finish: (p) => {
      const fractions = counts.map((c) => c / n);
      const curve = (from: number): Curve => {
        const probabilities = Array.from(p.subarray(from, from + steps + 1));
        return { fractions, probabilities, auc: trapezoid(fractions, probabilities) };
      };
      return { status: 'ok', classIndex, steps, sigma, deletion: curve(0), insertion: curve(steps + 1) };
    },
  };
}
