/**
 * The model-randomisation sanity check (Adebayo et al. 2018, "Sanity Checks for Saliency Maps", NeurIPS, §3): a
 * map method that explains the model must change when the model's weights do. The engine computes each face's map
 * twice, with the trained weights and with the top layers' weights re-drawn at random; here the two are compared
 * by Spearman's rank correlation, as the paper does (its Fig. 2–4, also with absolute values for signed maps), and
 * a method is flagged when its maps barely change.
 *
 * Flag rule: the mean ρ over the faces is at least SANITY_RHO_THRESHOLD = 0.5, i.e. after randomisation the map
 * still orders pixels much as before. The paper gives no threshold; 0.5 is the conventional border of a "strong"
 * rank correlation, and the bootstrap interval goes with the mean so a report can show how sure that is.
 */
import type { Heatmap } from '../../types';
import type { BootstrapOptions, Estimate } from '../bootstrap';
import { bootstrapMean } from '../bootstrap';
import { averageRanks, checkMap, isConstant } from './ranking';

export const SANITY_RHO_THRESHOLD = 0.5;

/** Pearson's r of two equally long series; null when either is constant. */
function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]! - ma;
    const y = b[i]! - mb;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : null;
}

/** Spearman's ρ: Pearson's r of the average ranks (scipy.stats.spearmanr); null when either series is constant. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  if (a.length !== b.length) {
    throw new RangeError(`rank correlation needs equal lengths, got ${a.length} and ${b.length}`);
  }
  if (a.length < 2 || isConstant(a) || isConstant(b)) return null;
  return pearson(averageRanks(a), averageRanks(b));
}

export interface SimilarityOptions {
  /** Compare |map|, for signed maps (the paper reports both); default false. */
  readonly absolute?: boolean;
}

/**
 * ρ between a face's map under the trained and under the randomised model (same size); null when either map is
 * constant, e.g. a CAM that randomisation flattened to zero: it no longer ranks pixels, which is a change.
 */
export function randomisationSimilarity(
  trained: Heatmap,
  randomised: Heatmap,
  options: SimilarityOptions = {},
): number | null {
  checkMap(trained, 'the trained model\'s map');
  checkMap(randomised, 'the randomised model\'s map');
  if (trained.width !== randomised.width || trained.height !== randomised.height) {
    const sizes = `${trained.width}×${trained.height} and ${randomised.width}×${randomised.height}`;
    throw new RangeError(`the maps differ in size: ${sizes}`);
  }
  const prep = (m: Heatmap): Float32Array => (options.absolute ? m.data.map(Math.abs) : m.data);
  return spearman(prep(trained), prep(randomised));
}

export interface SanityVerdict {
  /** Mean ρ over the faces with a ρ, with its bootstrap interval; null when none has one. */
  readonly rho: Estimate | null;
  /** Faces left out because a map was constant. */
  readonly constant: number;
  readonly threshold: number;
  /** True when the maps barely changed: the method does not pass the check. */
  readonly flagged: boolean;
  /** One sentence for reports. */
  readonly reading: string;
}

/** The verdict for one map method from its faces' ρ values. */
export interface SanityOptions extends BootstrapOptions {
  /** Mean ρ at or above which a method is flagged; default 0.5. */
  readonly threshold?: number;
}

export function sanityVerdict(rhos: readonly (number | null)[], options: SanityOptions = {}): SanityVerdict {
  const threshold = options.threshold ?? SANITY_RHO_THRESHOLD;
  const values = rhos.filter((r): r is number => r !== null);
  const constant = rhos.length - values.length;
  if (values.length === 0) {
    return { rho: null, constant, threshold, flagged: false, reading: 'no face had two non-constant maps to compare' };
  }
  const rho = bootstrapMean(values, options);
  const flagged = rho.value >= threshold;
  const rhoText = rho.value.toFixed(2);
  const reading = flagged
    ? `maps barely change when the model is randomised (Spearman ρ ${rhoText} ≥ ${threshold}): they may not explain it`
    : `maps change when the model is randomised (Spearman ρ ${rhoText} < ${threshold})`;
  return { rho, constant, threshold, flagged, reading };
}
