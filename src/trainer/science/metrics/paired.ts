/**
 * Paired comparison of two models on the same images: Δ accuracy (B − A) with a paired bootstrap interval and
 * McNemar's test, Δ ATT-COS per layer pair and class with intervals, and the images whose prediction flipped.
 * Every difference is B − A, so a positive number means B did better.
 */
import type { LayerPair } from '../layerMatch';
import { EXPRESSIONS } from '../labels';
import { deriveSeed } from '../random';
import type { BootstrapOptions, Estimate } from './bootstrap';
import { DEFAULT_BOOTSTRAP_SEED, DEFAULT_RESAMPLES, bootstrapMean } from './bootstrap';
import type { McNemarResult } from './mcnemar';
import { mcnemar } from './mcnemar';

/** What one model said about one image. */
export interface ImageOutcome {
  readonly predicted: string;
  /** ATT-COS per layer; null where the image's AU map is invalid (e.g. neutral). */
  readonly attCos: Readonly<Record<string, number | null>>;
}

export interface PairedImage {
  readonly path: string;
  readonly label: string;
  readonly a: ImageOutcome;
  readonly b: ImageOutcome;
}

/** right→wrong: A was right and B is wrong; wrong→right the reverse; changed: both wrong, with different classes. */
export type FlipKind = 'right-to-wrong' | 'wrong-to-right' | 'changed';

export interface Flip {
  readonly path: string;
  readonly label: string;
  readonly predictedA: string;
  readonly predictedB: string;
  readonly kind: FlipKind;
}

export interface LayerDelta {
  readonly layer: LayerPair;
  /** Over every image whose AU map is valid for both; null when there is none. */
  readonly all: Estimate | null;
  readonly perClass: Readonly<Record<string, Estimate | null>>;
}

export interface PairedComparison {
  readonly n: number;
  readonly classes: readonly string[];
  readonly accuracyA: number;
  readonly accuracyB: number;
  /** B − A, as a fraction (0.036 = 3.6 points). */
  readonly deltaAccuracy: Estimate;
  readonly mcnemar: McNemarResult;
  readonly attCos: readonly LayerDelta[];
  readonly flips: readonly Flip[];
  readonly resamples: number;
  readonly seed: number;
}

export interface Paired<T> {
  readonly pairs: readonly { readonly path: string; readonly a: T; readonly b: T }[];
  /** Images only one model was evaluated on: left out of every statistic. */
  readonly onlyA: readonly string[];
  readonly onlyB: readonly string[];
}

/** Pairs per-image records of A and B by path, in A's order; a path listed twice in one list is an error. */
export function pairByPath<T extends { readonly path: string }>(a: readonly T[], b: readonly T[]): Paired<T> {
  const byPath = (records: readonly T[], side: string): Map<string, T> => {
    const map = new Map<string, T>();
    for (const r of records) {
      if (map.has(r.path)) throw new RangeError(`${side} lists ${r.path} twice; records cannot be paired`);
      map.set(r.path, r);
    }
    return map;
  };
  const mapA = byPath(a, 'A');
  const mapB = byPath(b, 'B');
  const pairs = [...mapA].flatMap(([path, ra]) => {
    const rb = mapB.get(path);
    return rb ? [{ path, a: ra, b: rb }] : [];
  });
  return {
    pairs,
    onlyA: [...mapA.keys()].filter((p) => !mapB.has(p)),
    onlyB: [...mapB.keys()].filter((p) => !mapA.has(p)),
  };
}

export function comparePaired(
  images: readonly PairedImage[],
  layers: readonly LayerPair[],
  options: BootstrapOptions = {},
): PairedComparison {
  if (images.length === 0) throw new RangeError('no image was seen by both models');
  const seed = options.seed ?? DEFAULT_BOOTSTRAP_SEED;
  // Each estimate gets its own stream, so adding a layer or class leaves the other intervals unchanged.
  let stream = 0;
  const estimate = (values: readonly number[]): Estimate | null =>
    values.length === 0 ? null : bootstrapMean(values, { ...options, seed: deriveSeed(seed, stream++) });

  let b = 0;
  let c = 0;
  let rightA = 0;
  let rightB = 0;
  const correctness: number[] = [];
  const flips: Flip[] = [];
  for (const image of images) {
    const okA = image.a.predicted === image.label;
    const okB = image.b.predicted === image.label;
    rightA += Number(okA);
    rightB += Number(okB);
    correctness.push(Number(okB) - Number(okA));
    if (okA && !okB) b++;
    if (!okA && okB) c++;
    if (image.a.predicted === image.b.predicted) continue;
    const kind: FlipKind = okA ? 'right-to-wrong' : okB ? 'wrong-to-right' : 'changed';
    flips.push({
      path: image.path,
      label: image.label,
      predictedA: image.a.predicted,
      predictedB: image.b.predicted,
      kind,
    });
  }
  const deltaAccuracy = estimate(correctness)!;
  const classes = classOrder(images.map((i) => i.label));
  const attCos = layers.map((layer): LayerDelta => {
    const deltas = images.flatMap((image) => {
      const va = image.a.attCos[layer.a];
      const vb = image.b.attCos[layer.b];
      return va === null || va === undefined || vb === null || vb === undefined
        ? []
        : [{ label: image.label, d: vb - va }];
    });
    return {
      layer,
      all: estimate(deltas.map((x) => x.d)),
      perClass: Object.fromEntries(
        classes.map((cls) => [cls, estimate(deltas.filter((x) => x.label === cls).map((x) => x.d))]),
      ),
    };
  });
  return {
    n: images.length,
    classes,
    accuracyA: rightA / images.length,
    accuracyB: rightB / images.length,
    deltaAccuracy,
    mcnemar: mcnemar(b, c),
    attCos,
    flips,
    resamples: options.resamples ?? DEFAULT_RESAMPLES,
    seed,
  };
}

/** The expressions in the codebook's order, then any other label alphabetically. */
function classOrder(labels: readonly string[]): string[] {
  const present = new Set(labels);
  const known: string[] = EXPRESSIONS.filter((e) => present.has(e));
  return [...known, ...[...present].filter((l) => !known.includes(l)).sort()];
}

/** A p-value as people read it: two significant digits, "< 0.001" below that. */
export function formatP(p: number): string {
  return p < 0.001 ? '< 0.001' : `= ${Number(p.toPrecision(2))}`;
}

/** Percentage points with a typographic minus: "−0.8". */
const points = (fraction: number): string => `${fraction < 0 ? '−' : ''}${Math.abs(fraction * 100).toFixed(1)}`;
/** The same with an explicit sign for a difference: "+3.6", "−0.8", "±0.0". */
const signed = (fraction: number): string => `${fraction > 0 ? '+' : fraction < 0 ? '' : '±'}${points(fraction)}`;

/**
 * The accuracy result in plain words, e.g. "B is more accurate: +3.6 points [0.7, 6.5], McNemar p = 0.02". A model is
 * called more accurate only when the interval excludes 0 and McNemar's p is below 0.05.
 */
export function describeAccuracy(result: Pick<PairedComparison, 'deltaAccuracy' | 'mcnemar'>): string {
  const { value, low, high } = result.deltaAccuracy;
  const interval = low === null || high === null ? '' : ` [${points(low)}, ${points(high)}]`;
  const evidence = `${signed(value)} points${interval}, McNemar p ${formatP(result.mcnemar.p)}`;
  const clear = low !== null && high !== null && (low > 0 || high < 0) && result.mcnemar.p < 0.05;
  if (!clear) return `No clear difference in accuracy: ${evidence}`;
  return `${value > 0 ? 'B' : 'A'} is more accurate: ${evidence}`;
}
