/**
 * Pixel orders and ranks of a saliency map, shared by deletion/insertion and the sanity check. Ties are never
 * broken by pixel index: a flat region would then be removed top row first, which rewards or punishes a map for
 * where its plateau happens to sit. Deletion breaks them at random from a seed; ranks share the tie's mean.
 */
import type { Random } from '../../random';
import { shuffleInPlace } from '../../random';
import type { Heatmap } from '../../types';
import type { ModelImage, Skipped } from './types';
import { skipped } from './types';

/** Throws on a non-finite value: a NaN map is a bug upstream, not a map to score. */
export function checkMap(map: Heatmap, what = 'the map'): void {
  if (map.data.length !== map.width * map.height) {
    throw new RangeError(`${what} is ${map.width}×${map.height} but holds ${map.data.length} values`);
  }
  for (const v of map.data) if (!Number.isFinite(v)) throw new RangeError(`${what} has non-finite values`);
}

/** Throws unless the map has the image's size: a layer's map must be resized to the input first. */
export function checkMapFitsImage(map: Heatmap, image: ModelImage): void {
  if (map.width !== image.width || map.height !== image.height) {
    const sizes = `the map is ${map.width}×${map.height} but the image is ${image.width}×${image.height}`;
    throw new RangeError(`${sizes}; resize the map first`);
  }
}

/** What a pixel-order metric says of a constant map. */
export function constantMap(): Skipped {
  return skipped('constant-map', 'the map is constant, so it ranks no pixel above another');
}

export function isConstant(values: ArrayLike<number>): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return false;
  return true;
}

/** Pixel indices from the highest value to the lowest; equal values in an order drawn from `random`. */
export function orderByValue(values: ArrayLike<number>, random: Random): Uint32Array {
  const order = Array.from({ length: values.length }, (_, i) => i);
  shuffleInPlace(order, random);
  // Array.prototype.sort is stable, so the shuffle decides within each group of equal values.
  order.sort((a, b) => values[b]! - values[a]!);
  return Uint32Array.from(order);
}

/** Ascending ranks 1..n, ties given the mean of the ranks they span (as scipy.stats.rankdata's 'average'). */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Float64Array(n);
  for (let p = 0; p < n;) {
    let q = p;
    while (q + 1 < n && values[order[q + 1]!] === values[order[p]!]) q++;
    const rank = (p + q) / 2 + 1;
    for (let r = p; r <= q; r++) ranks[order[r]!] = rank;
    p = q + 1;
  }
  return ranks;
}
