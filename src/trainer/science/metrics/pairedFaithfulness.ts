/**
 * Paired comparison of two models' faithfulness on the same images (issue 19's comparison panel): Δ AU selectivity
 * and Δ deletion AUC per map, B − A, over every image both scored and per class, each with a paired bootstrap
 * interval. Lower deletion AUC is better, so there a negative Δ means B's map names what the model uses better.
 */
import type { SampleFaithfulness } from '../report';
import { deriveSeed } from '../random';
import type { BootstrapOptions, Estimate } from './bootstrap';
import { DEFAULT_BOOTSTRAP_SEED, bootstrapMean } from './bootstrap';

/** Separates these intervals' seeds from comparePaired's, which share the options' seed. */
const STREAM = 19;

export interface FaithfulnessPair {
  readonly label: string;
  readonly a: SampleFaithfulness;
  readonly b: SampleFaithfulness;
}

export interface FaithfulnessDelta {
  /** 'auSelectivity', or the map's key on both sides (`attention` pairs the two models' CAM layers). */
  readonly key: string;
  readonly title: string;
  /** Lower is better for deletion AUC; higher for AU selectivity. */
  readonly better: 'higher' | 'lower';
  /** Over every image both models scored; null when there is none. */
  readonly all: Estimate | null;
  readonly perClass: Readonly<Record<string, Estimate | null>>;
}

/** A map's key and title in each evaluation's summary (EvalFaithfulness.maps). */
type MapTitles = Readonly<Record<string, { readonly title: string }>>;

/** The deletion maps both sides scored: the same keys, and each side's one attention map paired with the other's. */
function mapPairs(a: MapTitles, b: MapTitles): { key: string; title: string; a: string; b: string }[] {
  const attention = (maps: MapTitles): string[] => Object.keys(maps).filter((k) => k.startsWith('attention:'));
  const [attA, attB] = [attention(a), attention(b)];
  const pairs = attA.length === 1 && attB.length === 1
    ? [{ key: 'attention', a: attA[0]!, b: attB[0]!,
      title: attA[0] === attB[0] ? a[attA[0]!]!.title : `${a[attA[0]!]!.title} → ${b[attB[0]!]!.title}` }]
    : [];
  for (const [key, m] of Object.entries(a)) {
    if (!key.startsWith('attention:') && key in b) pairs.push({ key, title: m.title, a: key, b: key });
  }
  return pairs;
}

/** Null when no image has faithfulness values on both sides. */
export function comparePairedFaithfulness(
  pairs: readonly FaithfulnessPair[],
  classes: readonly string[],
  maps: { readonly a: MapTitles; readonly b: MapTitles },
  options: BootstrapOptions = {},
): FaithfulnessDelta[] | null {
  if (pairs.length === 0) return null;
  const seed = deriveSeed(options.seed ?? DEFAULT_BOOTSTRAP_SEED, STREAM);
  let stream = 0;
  const estimate = (values: readonly number[]): Estimate | null =>
    values.length === 0 ? null : bootstrapMean(values, { ...options, seed: deriveSeed(seed, stream++) });
  const delta = (key: string, title: string, better: FaithfulnessDelta['better'],
    value: (s: SampleFaithfulness, side: 'a' | 'b') => unknown): FaithfulnessDelta => {
    const deltas = pairs.flatMap((p) => {
      const [va, vb] = [value(p.a, 'a'), value(p.b, 'b')];
      return typeof va === 'number' && typeof vb === 'number' ? [{ label: p.label, d: vb - va }] : [];
    });
    return { key, title, better, all: estimate(deltas.map((x) => x.d)),
      perClass: Object.fromEntries(classes.map((c) => [c, estimate(deltas.filter((x) => x.label === c)
        .map((x) => x.d))])) };
  };
  return [
    delta('auSelectivity', 'AU selectivity', 'higher', (s) => s.auSelectivity),
    ...mapPairs(maps.a, maps.b).map((m) =>
      delta(m.key, `Deletion AUC · ${m.title}`, 'lower', (s, side) => s.maps[m[side]]?.deletion)),
  ];
}
