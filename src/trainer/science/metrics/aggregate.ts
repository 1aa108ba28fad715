/**
 * Aggregation as the paper reports it (Belharbi et al. 2024, Tables 1–2; paper-notes §7): per-sample scores are
 * averaged per class, then the "Average" row is the unweighted mean over the six expression classes (reference
 * `update_avg_per_cl_au_cosine` / `print_avg_per_cl_au_cosine`). Classification: accuracy, balanced accuracy and the
 * confusion matrix (reference `cl_accuracy`; balanced accuracy as scikit-learn's `balanced_accuracy_score`).
 */
import { EXPRESSIONS } from '../labels';
import type { Expression } from '../labels';

/**
 * The classes of the paper's "Average" row. Neutral has no AUs (its AU map is always invalid) and contempt is not
 * in the paper's datasets, so both are reported per class but never averaged.
 */
export const AVERAGED_EXPRESSIONS: readonly Expression[] = ['happy', 'surprise', 'fear', 'anger', 'disgust', 'sad'];

/** One sample's score for one key, or 'invalid' when its AU map is invalid and the reference would skip it. */
export type SampleScore = number | 'invalid';

export interface ClassScore {
  /** Mean over the class's valid samples; null when it has none. */
  readonly mean: number | null;
  readonly valid: number;
  readonly invalid: number;
}

export interface KeyScores {
  /** One entry per reported class, in the aggregator's class order. */
  readonly perClass: Readonly<Partial<Record<Expression, ClassScore>>>;
  /**
   * Unweighted mean of the per-class means over the averaged classes that have a mean. A class with no valid
   * sample is left out, where the reference (`synch_au_cosine`) would average in a 0 for it; `averagedOver` says
   * which classes counted. Null when no averaged class has a valid sample.
   */
  readonly average: number | null;
  /** The averaged classes that actually entered `average`. */
  readonly averagedOver: readonly Expression[];
  readonly valid: number;
  readonly invalid: number;
}

/** Plain JSON: keys in first-seen order, then per key the class means and the average. */
export interface ScoreSummary {
  readonly classes: readonly Expression[];
  readonly averagedClasses: readonly Expression[];
  readonly keys: readonly string[];
  readonly byKey: Readonly<Record<string, KeyScores>>;
}

interface Cell {
  sum: number;
  valid: number;
  invalid: number;
}

/**
 * Accumulates per-sample scores by (key, class), where a key is a layer name ("layer5") or a CAM method ("cam").
 * Built for ATT-COS and CAM-COS but takes any per-sample scalar (energy pointing game, AUC, ...).
 */
export class CosineAggregator {
  private readonly cells = new Map<string, Map<Expression, Cell>>();
  private readonly classes: readonly Expression[];

  /** `classes` are the ones reported, in order; the averaged ones are the six expressions among them. */
  constructor(classes: readonly Expression[] = EXPRESSIONS) {
    this.classes = [...classes];
  }

  add(label: Expression, key: string, score: SampleScore): void {
    if (!this.classes.includes(label)) throw new RangeError(`class ${label} is not reported by this aggregator`);
    if (score !== 'invalid' && !Number.isFinite(score)) {
      throw new RangeError(`score for ${label}/${key} must be finite or 'invalid', got ${score}`);
    }
    let byClass = this.cells.get(key);
    if (!byClass) this.cells.set(key, (byClass = new Map()));
    let cell = byClass.get(label);
    if (!cell) byClass.set(label, (cell = { sum: 0, valid: 0, invalid: 0 }));
    if (score === 'invalid') cell.invalid++;
    else {
      cell.sum += score;
      cell.valid++;
    }
  }

  /** One sample's scores for several keys, e.g. `{ layer5: 0.81, cam: 0.64 }`. */
  addSample(label: Expression, scores: Readonly<Record<string, SampleScore>>): void {
    for (const [key, score] of Object.entries(scores)) this.add(label, key, score);
  }

  summary(): ScoreSummary {
    const averagedClasses = this.classes.filter((c) => AVERAGED_EXPRESSIONS.includes(c));
    const byKey: [string, KeyScores][] = [];
    for (const [key, byClass] of this.cells) {
      const perClass: [Expression, ClassScore][] = this.classes.map((c) => {
        const cell = byClass.get(c) ?? { sum: 0, valid: 0, invalid: 0 };
        return [c, { mean: cell.valid > 0 ? cell.sum / cell.valid : null, valid: cell.valid, invalid: cell.invalid }];
      });
      const means = new Map(perClass);
      const averagedOver = averagedClasses.filter((c) => means.get(c)?.mean !== null);
      const total = averagedOver.reduce((s, c) => s + (means.get(c)?.mean ?? 0), 0);
      byKey.push([key, {
        perClass: Object.fromEntries(perClass),
        average: averagedOver.length > 0 ? total / averagedOver.length : null,
        averagedOver,
        valid: perClass.reduce((s, [, p]) => s + p.valid, 0),
        invalid: perClass.reduce((s, [, p]) => s + p.invalid, 0),
      }]);
    }
    return {
      classes: [...this.classes],
      averagedClasses,
      keys: [...this.cells.keys()],
      byKey: Object.fromEntries(byKey),
    };
  }
}

function checkLabels(truth: ArrayLike<number>, predicted: ArrayLike<number>, classCount: number): void {
  if (truth.length !== predicted.length) {
    throw new RangeError(`truth and predictions differ in length: ${truth.length} vs ${predicted.length}`);
  }
  if (!Number.isInteger(classCount) || classCount <= 0) {
    throw new RangeError(`classCount must be ≥ 1, got ${classCount}`);
  }
  for (const labels of [truth, predicted]) {
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i]!;
      if (!Number.isInteger(l) || l < 0 || l >= classCount) {
        throw new RangeError(`label ${l} outside 0..${classCount - 1}`);
      }
    }
  }
}

/** Rows are true labels, columns predicted labels: m[t][p] counts samples of class t predicted as p. */
export function confusionMatrix(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classCount: number,
): number[][] {
  checkLabels(truth, predicted, classCount);
  const m = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  for (let i = 0; i < truth.length; i++) m[truth[i]!]![predicted[i]!]!++;
  return m;
}

/** Top-1 accuracy as a fraction in [0, 1] (the paper prints ×100); null for no samples. */
export function accuracy(truth: ArrayLike<number>, predicted: ArrayLike<number>): number | null {
  if (truth.length !== predicted.length) {
    throw new RangeError(`truth and predictions differ in length: ${truth.length} vs ${predicted.length}`);
  }
  if (truth.length === 0) return null;
  let hits = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === predicted[i]) hits++;
  return hits / truth.length;
}

/** Recall of each class (diagonal over row sum); null for a class with no true samples. */
export function perClassRecall(matrix: readonly (readonly number[])[]): (number | null)[] {
  return matrix.map((row, t) => {
    const n = row.reduce((s, v) => s + v, 0);
    return n > 0 ? row[t]! / n : null;
  });
}

/**
 * Mean per-class recall over the classes present in `truth` (scikit-learn leaves absent classes out the same way).
 * RAF-DB is imbalanced, so this is reported beside plain accuracy. Null for no samples.
 */
export function balancedAccuracy(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classCount: number,
): number | null {
  const recalls = perClassRecall(confusionMatrix(truth, predicted, classCount)).filter((r): r is number => r !== null);
  return recalls.length > 0 ? recalls.reduce((s, r) => s + r, 0) / recalls.length : null;
}
