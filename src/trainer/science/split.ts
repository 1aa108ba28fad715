/**
 * Train/validation/test splits by subject. Face datasets hold several near-identical frames of
 * one person (CK+ keeps 3 frames of each sequence), so splitting by image would put the same face
 * in train and test and inflate every score: every image of a subject goes to one split.
 */
import type { Expression } from './labels';
import { EXPRESSIONS } from './labels';
import { mulberry32, shuffleInPlace } from './random';

export const SPLIT_NAMES = ['train', 'val', 'test'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

/** Relative sizes; they are normalised by their sum, so 70/15/15 and 0.7/0.15/0.15 are the same. */
export type SplitFractions = Readonly<Record<SplitName, number>>;

/** Sample indices of each split, ascending. */
export type Split = Record<SplitName, number[]>;

export interface SplitSample {
  readonly subject: string;
  readonly label: Expression;
}

interface SubjectGroup {
  readonly subject: string;
  readonly indices: number[];
  readonly counts: Record<Expression, number>;
}

type PerSplit<T> = Record<SplitName, T>;

function zeroCounts(): Record<Expression, number> {
  return Object.fromEntries(EXPRESSIONS.map((e) => [e, 0])) as Record<Expression, number>;
}

function perSplit<T>(make: (name: SplitName) => T): PerSplit<T> {
  return { train: make('train'), val: make('val'), test: make('test') };
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function normaliseFractions(fractions: SplitFractions): PerSplit<number> {
  let sum = 0;
  for (const name of SPLIT_NAMES) {
    const f = fractions[name];
    if (!Number.isFinite(f) || f < 0) {
      throw new RangeError(`split fraction "${name}" must be a finite number >= 0, got ${f}`);
    }
    sum += f;
  }
  if (sum <= 0) throw new RangeError('split fractions must not all be 0');
  return perSplit((name) => fractions[name] / sum);
}

function groupBySubject(samples: readonly SplitSample[]): SubjectGroup[] {
  const bySubject = new Map<string, SubjectGroup>();
  samples.forEach((sample, index) => {
    let group = bySubject.get(sample.subject);
    if (group === undefined) {
      group = { subject: sample.subject, indices: [], counts: zeroCounts() };
      bySubject.set(sample.subject, group);
    }
    group.indices.push(index);
    group.counts[sample.label] += 1;
  });
  // Sorted before the seeded shuffle so the result depends on the samples, not on their order.
  return [...bySubject.values()].sort((a, b) => compareStrings(a.subject, b.subject));
}

/**
 * Splits sample indices into train/val/test so that all images of a subject land in one split,
 * stratified by label with iterative stratification over subjects (Sechidis et al., 2011, with a
 * subject's label-count vector as its "labels"):
 *
 * - labels are handled rarest first (fewest images not yet assigned), because rare classes are the
 *   ones a greedy split starves;
 * - the unassigned subjects that show that label go, largest count first (ties in a seeded random
 *   order), to the split with the largest remaining deficit for that label (desired minus assigned
 *   images), ties to the largest overall deficit, then train before val before test;
 * - when the subjects left for a label are no more than the splits still lacking it, the subject goes
 *   to one of those splits, so every class reaches every split whenever it has enough subjects.
 *
 * Splits with fraction 0 get nothing. Deterministic for a seed and independent of sample order.
 */
export function splitBySubject(samples: readonly SplitSample[], fractions: SplitFractions, seed: number): Split {
  const weights = normaliseFractions(fractions);
  const groups = shuffleInPlace(groupBySubject(samples), mulberry32(seed));
  const active = SPLIT_NAMES.filter((name) => weights[name] > 0);

  const remaining = zeroCounts();
  for (const sample of samples) remaining[sample.label] += 1;
  const desired = perSplit((name) => {
    const d = zeroCounts();
    for (const label of EXPRESSIONS) d[label] = weights[name] * remaining[label];
    return d;
  });
  const desiredSize = perSplit((name) => weights[name] * samples.length);
  const assigned = perSplit(() => zeroCounts());
  const assignedSize = perSplit(() => 0);
  const result: Split = perSplit(() => []);
  const done = new Set<SubjectGroup>();

  const chooseSplit = (label: Expression, subjectsLeft: number): SplitName => {
    const lacking = active.filter((name) => assigned[name][label] === 0);
    const pool = lacking.length > 0 && subjectsLeft <= lacking.length ? lacking : active;
    let best = pool[0] as SplitName;
    for (const name of pool.slice(1)) {
      const gain = desired[name][label] - assigned[name][label] - (desired[best][label] - assigned[best][label]);
      const sizeGain = desiredSize[name] - assignedSize[name] - (desiredSize[best] - assignedSize[best]);
      if (gain > 1e-9 || (Math.abs(gain) <= 1e-9 && sizeGain > 1e-9)) best = name;
    }
    return best;
  };

  for (;;) {
    let label: Expression | undefined;
    for (const l of EXPRESSIONS) {
      if (remaining[l] > 0 && (label === undefined || remaining[l] < remaining[label])) label = l;
    }
    if (label === undefined) break;
    const current: Expression = label;
    // Array.prototype.sort is stable, so equal counts keep the seeded order.
    const candidates = groups
      .filter((g) => !done.has(g) && g.counts[current] > 0)
      .sort((a, b) => b.counts[current] - a.counts[current] || b.indices.length - a.indices.length);
    candidates.forEach((group, i) => {
      const name = chooseSplit(current, candidates.length - i);
      done.add(group);
      result[name].push(...group.indices);
      assignedSize[name] += group.indices.length;
      for (const l of EXPRESSIONS) {
        assigned[name][l] += group.counts[l];
        remaining[l] -= group.counts[l];
      }
    });
  }
  for (const name of SPLIT_NAMES) result[name].sort((a, b) => a - b);
  return result;
}

/**
 * The split each sample belongs to, or null where none claims it. Throws a RangeError on an index
 * outside the samples or claimed twice, since such a split cannot have come from splitBySubject.
 */
export function splitAssignments(split: Split, sampleCount: number): (SplitName | null)[] {
  const out: (SplitName | null)[] = new Array<SplitName | null>(sampleCount).fill(null);
  for (const name of SPLIT_NAMES) {
    for (const index of split[name]) {
      if (!Number.isInteger(index) || index < 0 || index >= sampleCount) {
        throw new RangeError(`split "${name}" holds index ${index}, outside 0..${sampleCount - 1}`);
      }
      const previous = out[index];
      if (previous !== null && previous !== undefined) {
        throw new RangeError(`sample ${index} is in both "${previous}" and "${name}"`);
      }
      out[index] = name;
    }
  }
  return out;
}

export interface SplitClassCount {
  readonly images: number;
  readonly subjects: number;
}

export interface SplitPartSummary {
  readonly images: number;
  readonly subjects: number;
  /** Every expression, with zeros for the absent ones, so a missing class is visible at a glance. */
  readonly classes: Readonly<Record<Expression, SplitClassCount>>;
}

export type SplitSummary = Readonly<Record<SplitName, SplitPartSummary>>;

/** Images and distinct subjects per split, overall and per class. */
export function splitSummary(samples: readonly SplitSample[], split: Split): SplitSummary {
  splitAssignments(split, samples.length);
  return perSplit((name): SplitPartSummary => {
    const subjects = new Set<string>();
    const classSubjects = new Map<Expression, Set<string>>(EXPRESSIONS.map((e) => [e, new Set<string>()]));
    const classImages = zeroCounts();
    for (const index of split[name]) {
      const sample = samples[index] as SplitSample;
      subjects.add(sample.subject);
      classSubjects.get(sample.label)?.add(sample.subject);
      classImages[sample.label] += 1;
    }
    const classes = Object.fromEntries(
      EXPRESSIONS.map((e) => [e, { images: classImages[e], subjects: classSubjects.get(e)?.size ?? 0 }]),
    ) as Record<Expression, SplitClassCount>;
    return { images: split[name].length, subjects: subjects.size, classes };
  });
}

/** Subjects whose images sit in more than one split, sorted; empty for any split from splitBySubject. */
export function subjectsInSeveralSplits(samples: readonly SplitSample[], split: Split): string[] {
  splitAssignments(split, samples.length);
  const seen = new Map<string, SplitName>();
  const shared = new Set<string>();
  for (const name of SPLIT_NAMES) {
    for (const index of split[name]) {
      const subject = (samples[index] as SplitSample).subject;
      const first = seen.get(subject);
      if (first === undefined) seen.set(subject, name);
      else if (first !== name) shared.add(subject);
    }
  }
  return [...shared].sort(compareStrings);
}

/**
 * How a run splits its data: 'official' keeps the dataset's own train / test parts (published numbers are only
 * comparable on them), 'subjects' splits every sample by subject with splitBySubject.
 */
export const SPLIT_MODES = ['official', 'subjects'] as const;
export type SplitMode = (typeof SPLIT_MODES)[number];

/** A sample with the official part its dataset puts it in. */
export interface OfficialSplitSample extends SplitSample {
  readonly part?: SplitName;
}

/**
 * The official split. Test is the dataset's test part, and only that: nothing is carved from it, so a run that never
 * reads its test indices never sees a test image. Validation is the dataset's validation part when it has one
 * (FER2013's PublicTest); otherwise it is carved from the training part with splitBySubject, seeded — by subject
 * when subjects are known, stratified by class where each image is its own subject — taking the share
 * val / (train + val) of `fractions` (test's fraction is not used: the dataset fixes the test part).
 * Throws a RangeError when a sample has no part.
 */
export function splitOfficial(samples: readonly OfficialSplitSample[], fractions: SplitFractions, seed: number): Split {
  const weights = normaliseFractions({ ...fractions, test: 0 });
  const result: Split = perSplit(() => []);
  samples.forEach((sample, index) => {
    if (sample.part === undefined) {
      throw new RangeError(`sample ${index} has no official part; split it by subject instead`);
    }
    result[sample.part].push(index);
  });
  if (result.val.length > 0 || weights.val === 0) return result;
  const trainPart = result.train;
  const trainSamples = trainPart.map((i) => samples[i] as SplitSample);
  const carved = splitBySubject(trainSamples, { train: weights.train, val: weights.val, test: 0 }, seed);
  const back = (indices: readonly number[]): number[] => indices.map((i) => trainPart[i] as number);
  return { train: back(carved.train), val: back(carved.val), test: result.test };
}
