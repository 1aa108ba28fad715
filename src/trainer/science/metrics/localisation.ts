/**
 * Localisation of a saliency map M against AU masks (anchors-and-metrics §3, P1), made AU-aware:
 * - pointing game: Zhang et al. 2018, "Top-down neural attention by excitation backprop"; TorchRay `pointing_game`;
 * - energy-based pointing game: Wang et al. 2020, Score-CAM (`energyPointGame.py`);
 * - relevance mass / relevance rank accuracy: Arras et al. 2022, "CLEVR-XAI"; Quantus;
 * - top-K intersection: Theiner et al. 2022, "Interpretable semantic photo geolocation"; Quantus;
 * - ROC-AUC: Quantus `AUC`, computed here as a Mann–Whitney U with average ranks for ties;
 * - per-AU energy share: ours (drives the "which AUs does the model look at" text).
 *
 * M and the AU heatmap H share one size; B = H > τ. Conventions for degenerate inputs, the same in every function:
 * - RangeError: sizes differ, M or H has a non-finite value (an invalid AU map), τ is not finite, K or the
 *   tolerance is out of range, or M has a negative value where energy is summed (energy pointing game, per-AU
 *   share): those assume non-negative saliency, as Score-CAM's does.
 * - null: the mask is empty (no AU region above τ); for energy metrics the total (positive) mass of M is 0; for
 *   ranking metrics (pointing game, relevance rank, top-K, AUC) M is constant, so it ranks nothing; for AUC the
 *   mask also covers every pixel (no negatives).
 * Ties in M are broken by expectation, not by pixel order: a constant region earns its average, so a flat or noisy
 * map cannot score by accident of index order.
 */
import { minMax } from '../raster';
import type { Heatmap } from '../types';
import { isValidAuMap } from './cosine';

/** τ used to binarise soft AU maps unless a caller says otherwise; it is returned with every report. */
export const DEFAULT_MASK_THRESHOLD = 0.5;

/** Quantus's default K (1000) is for 224×224 inputs; other sizes keep the same fraction of the map. */
export const QUANTUS_TOP_K = 1000;
const QUANTUS_SIDE = 224;

/** A binary AU mask B = H > τ, which remembers τ so no score is reported without it. */
export interface AuMask {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
  readonly threshold: number;
  /** |B|: how many pixels are inside. */
  readonly pixels: number;
}

export function binariseAuMap(auMap: Heatmap, threshold: number = DEFAULT_MASK_THRESHOLD): AuMask {
  if (!Number.isFinite(threshold)) throw new RangeError(`threshold must be finite, got ${threshold}`);
  if (!isValidAuMap(auMap)) throw new RangeError('AU map is invalid (non-finite values); exclude the sample');
  const data = new Uint8Array(auMap.data.length);
  let pixels = 0;
  for (let i = 0; i < data.length; i++) {
    if (auMap.data[i]! > threshold) {
      data[i] = 1;
      pixels++;
    }
  }
  return { width: auMap.width, height: auMap.height, data, threshold, pixels };
}

function checkSaliency(map: Heatmap): void {
  for (const v of map.data) if (!Number.isFinite(v)) throw new RangeError('saliency map has non-finite values');
}

function checkPair(map: Heatmap, mask: AuMask): void {
  if (map.width !== mask.width || map.height !== mask.height) {
    throw new RangeError(`saliency is ${map.width}×${map.height} but the AU mask is ${mask.width}×${mask.height}`);
  }
  checkSaliency(map);
}

/** Σ M over all pixels and over the mask (when given); throws on negative saliency (see the file comment). */
function energy(map: Heatmap, mask: Uint8Array | null): { inside: number; total: number } {
  let inside = 0;
  let total = 0;
  for (let i = 0; i < map.data.length; i++) {
    const v = map.data[i]!;
    if (v < 0) throw new RangeError('energy metrics need non-negative saliency; min-max normalise or ReLU first');
    total += v;
    if (mask?.[i]) inside += v;
  }
  return { inside, total };
}

/**
 * Hit when the peak of M lies within `tolerance` pixels (Euclidean) of a mask pixel. The peak is the first maximum
 * in row-major order, as numpy's argmax. TorchRay accepts distance < tolerance (default 15); we accept ≤, so
 * tolerance 0 means the peak pixel itself.
 */
export function pointingGame(map: Heatmap, mask: AuMask, tolerance = 0): boolean | null {
  checkPair(map, mask);
  if (!(tolerance >= 0)) throw new RangeError(`tolerance must be ≥ 0, got ${tolerance}`);
  const { min, max } = minMax(map.data);
  if (mask.pixels === 0 || min === max) return null;
  const peak = map.data.indexOf(max);
  const px = peak % map.width;
  const py = Math.floor(peak / map.width);
  const r = Math.floor(tolerance);
  for (let y = Math.max(0, py - r); y <= Math.min(map.height - 1, py + r); y++) {
    for (let x = Math.max(0, px - r); x <= Math.min(map.width - 1, px + r); x++) {
      if (mask.data[y * map.width + x] && (x - px) ** 2 + (y - py) ** 2 <= tolerance ** 2) return true;
    }
  }
  return false;
}

/** Score-CAM's energy-based pointing game Σ(M·B) / ΣM, for non-negative M. */
export function energyPointingGame(map: Heatmap, mask: AuMask): number | null {
  checkPair(map, mask);
  if (mask.pixels === 0) return null;
  const { inside, total } = energy(map, mask.data);
  return total > 0 ? inside / total : null;
}

/**
 * Relevance mass accuracy: positive relevance inside B over all positive relevance. Unlike the energy pointing game
 * it accepts signed maps and ignores their negative part; for M ≥ 0 the two coincide.
 */
export function relevanceMassAccuracy(map: Heatmap, mask: AuMask): number | null {
  checkPair(map, mask);
  if (mask.pixels === 0) return null;
  let inside = 0;
  let total = 0;
  for (let i = 0; i < map.data.length; i++) {
    const v = Math.max(0, map.data[i]!);
    total += v;
    if (mask.data[i]) inside += v;
  }
  return total > 0 ? inside / total : null;
}

/** Pixels ordered by decreasing saliency, shared by the ranking metrics so a report sorts once. */
interface Ranking {
  readonly values: Float32Array;
  readonly order: Uint32Array;
}

/** Null when M is constant: it ranks nothing. */
function rankPixels(map: Heatmap): Ranking | null {
  const { min, max } = minMax(map.data);
  if (min === max) return null;
  const values = map.data;
  const order = new Uint32Array(values.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => values[b]! - values[a]!);
  return { values, order };
}

/** Expected |top-k ∩ B| when the pixels tied with the k-th value are drawn at random. */
function topHits(ranking: Ranking, mask: Uint8Array, k: number): number {
  const { values, order } = ranking;
  const v = values[order[k - 1]!]!;
  let lo = k - 1;
  while (lo > 0 && values[order[lo - 1]!] === v) lo--;
  let hi = k;
  while (hi < order.length && values[order[hi]!] === v) hi++;
  let above = 0;
  for (let p = 0; p < lo; p++) above += mask[order[p]!]!;
  let tied = 0;
  for (let p = lo; p < hi; p++) tied += mask[order[p]!]!;
  return above + ((k - lo) * tied) / (hi - lo);
}

/** Mann–Whitney AUC: (R₊ − n₊(n₊+1)/2) / (n₊·n₋), R₊ the sum of average ascending ranks of mask pixels. */
function aucFromRanking(ranking: Ranking, mask: Uint8Array, positives: number): number | null {
  const { values, order } = ranking;
  const n = order.length;
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return null;
  let rankSum = 0;
  for (let p = 0; p < n;) {
    let q = p;
    while (q + 1 < n && values[order[q + 1]!] === values[order[p]!]) q++;
    let inGroup = 0;
    for (let r = p; r <= q; r++) inGroup += mask[order[r]!]!;
    // Descending positions p..q hold ascending ranks n−q..n−p; ties share their mean.
    rankSum += inGroup * (n - (p + q) / 2);
    p = q + 1;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

function checkTopK(k: number, size: number): void {
  if (!Number.isInteger(k) || k < 1 || k > size) throw new RangeError(`K must be an integer in 1..${size}, got ${k}`);
}

/** Relevance rank accuracy: |top-|B| pixels of M ∩ B| / |B|. */
export function relevanceRankAccuracy(map: Heatmap, mask: AuMask): number | null {
  checkPair(map, mask);
  const ranking = mask.pixels > 0 ? rankPixels(map) : null;
  return ranking ? topHits(ranking, mask.data, mask.pixels) / mask.pixels : null;
}

/** Top-K intersection: |top-K(M) ∩ B| / K, with K in 1..width·height. */
export function topKIntersection(map: Heatmap, mask: AuMask, k: number): number | null {
  checkPair(map, mask);
  checkTopK(k, map.data.length);
  const ranking = mask.pixels > 0 ? rankPixels(map) : null;
  return ranking ? topHits(ranking, mask.data, k) / k : null;
}

/** ROC-AUC of M as a scorer of mask pixels: 1 ranks every AU pixel first, 0.5 is chance, 0 is inverted. */
export function rocAuc(map: Heatmap, mask: AuMask): number | null {
  checkPair(map, mask);
  const ranking = mask.pixels > 0 ? rankPixels(map) : null;
  return ranking ? aucFromRanking(ranking, mask.data, mask.pixels) : null;
}

/** One AU's own map (normalised to [0, 1]); F is however the caller names AUs (12, 'AU12', ...). */
export interface AuRegion<F> {
  readonly facs: F;
  readonly map: Heatmap;
}

export interface AuEnergyShare<F> {
  readonly facs: F;
  /** Σ(M·[map > τ]) / ΣM; 0 for an AU with no pixel above τ. */
  readonly share: number;
  /** Region size, so a share can be read against the AU's area (its chance level is pixels / width·height). */
  readonly pixels: number;
}

/**
 * Share of M's energy inside each AU's region [map_a > τ]. Shares of disjoint AUs sum to at most 1; overlapping
 * AUs count shared pixels once per AU, so their sum can exceed 1. Null when ΣM = 0.
 */
export function perAuEnergyShare<F>(
  map: Heatmap,
  perAu: readonly AuRegion<F>[],
  threshold: number = DEFAULT_MASK_THRESHOLD,
): AuEnergyShare<F>[] | null {
  const regions = perAu.map(({ facs, map: auMap }) => ({ facs, mask: binariseAuMap(auMap, threshold) }));
  for (const { mask } of regions) checkPair(map, mask);
  checkSaliency(map);
  const total = energy(map, null).total;
  if (total === 0) return null;
  return regions.map(({ facs, mask }) => ({ facs, share: energy(map, mask.data).inside / total, pixels: mask.pixels }));
}

export interface LocalisationOptions {
  /** τ for B = H > τ and for the per-AU regions; default 0.5. */
  readonly threshold?: number;
  /** Pointing-game tolerance radius in pixels; default 0. */
  readonly tolerance?: number;
  /** K of the top-K intersection; default Quantus's 1000 at 224×224, scaled to the map's area. */
  readonly topK?: number;
}

/** Every localisation score of one map against one AU heatmap, with the parameters that produced them. */
export interface LocalisationReport<F> {
  readonly threshold: number;
  readonly tolerance: number;
  readonly topK: number;
  readonly maskPixels: number;
  readonly totalPixels: number;
  readonly pointingGame: boolean | null;
  readonly energyPointingGame: number | null;
  readonly relevanceMassAccuracy: number | null;
  readonly relevanceRankAccuracy: number | null;
  readonly topKIntersection: number | null;
  readonly rocAuc: number | null;
  readonly perAuEnergyShare: AuEnergyShare<F>[] | null;
}

export function defaultTopK(width: number, height: number): number {
  return Math.max(1, Math.round((QUANTUS_TOP_K * width * height) / (QUANTUS_SIDE * QUANTUS_SIDE)));
}

/** All of the above for map M (non-negative) against AU heatmap H, sorting M once. */
export function localisationReport<F>(
  map: Heatmap,
  auMap: Heatmap,
  perAu: readonly AuRegion<F>[],
  options: LocalisationOptions = {},
): LocalisationReport<F> {
  const threshold = options.threshold ?? DEFAULT_MASK_THRESHOLD;
  const tolerance = options.tolerance ?? 0;
  const topK = options.topK ?? defaultTopK(map.width, map.height);
  const mask = binariseAuMap(auMap, threshold);
  checkPair(map, mask);
  checkTopK(topK, map.data.length);
  const ranking = mask.pixels > 0 ? rankPixels(map) : null;
  return {
    threshold,
    tolerance,
    topK,
    maskPixels: mask.pixels,
    totalPixels: map.data.length,
    pointingGame: pointingGame(map, mask, tolerance),
    energyPointingGame: energyPointingGame(map, mask),
    relevanceMassAccuracy: relevanceMassAccuracy(map, mask),
    relevanceRankAccuracy: ranking ? topHits(ranking, mask.data, mask.pixels) / mask.pixels : null,
    topKIntersection: ranking ? topHits(ranking, mask.data, topK) / topK : null,
    rocAuc: ranking ? aucFromRanking(ranking, mask.data, mask.pixels) : null,
    perAuEnergyShare: perAuEnergyShare(map, perAu, threshold),
  };
}
