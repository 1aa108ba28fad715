/**
 * Faithfulness numbers over a data set, aggregated as the paper aggregates ATT-COS (aggregate.ts): a mean per
 * class, then the unweighted mean over the six expression classes (neutral has no AUs, contempt is not in the
 * paper's data). Every mean comes with a 95 % bootstrap interval: per class over its faces (bootstrap.ts), for the
 * average stratified by class (bootstrapMacroMean). Faces a metric skipped are counted by reason, never averaged.
 */
import { EXPRESSIONS } from '../../labels';
import type { Expression } from '../../labels';
import { deriveSeed } from '../../random';
import { AVERAGED_EXPRESSIONS } from '../aggregate';
import type { BootstrapOptions, Estimate } from '../bootstrap';
import { DEFAULT_BOOTSTRAP_SEED, bootstrapMacroMean, bootstrapMean } from '../bootstrap';
import type { AuOcclusionResult } from './auOcclusion';
import type { SkipReason } from './types';

/** One face's value of one metric; a SkipReason when the metric skipped the face. */
export interface LabelledValue {
  readonly label: Expression;
  readonly value: number | SkipReason;
}

export interface ClassEstimate {
  /** Over the class's scored faces; null when there is none. */
  readonly estimate: Estimate | null;
  readonly skipped: Readonly<Partial<Record<SkipReason, number>>>;
}

export interface ClassSummary {
  /** The classes that have faces, in EXPRESSIONS order. */
  readonly perClass: Readonly<Partial<Record<Expression, ClassEstimate>>>;
  /** Mean of the class means over `averagedOver`; null when no averaged class has a scored face. */
  readonly average: Estimate | null;
  /** The six expression classes that had scored faces. */
  readonly averagedOver: readonly Expression[];
}

/** Per class and averaged; `stream` separates the bootstrap seeds of the metrics summarised with one seed. */
export function summariseByClass(
  values: readonly LabelledValue[],
  options: BootstrapOptions = {},
  stream = 0,
): ClassSummary {
  const seed = options.seed ?? DEFAULT_BOOTSTRAP_SEED;
  const byClass = new Map<Expression, { scores: number[]; skipped: Partial<Record<SkipReason, number>> }>();
  for (const { label, value } of values) {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new RangeError(`a ${label} face has a non-finite value (${value})`);
    }
    let cell = byClass.get(label);
    if (!cell) byClass.set(label, (cell = { scores: [], skipped: {} }));
    if (typeof value === 'number') cell.scores.push(value);
    else cell.skipped[value] = (cell.skipped[value] ?? 0) + 1;
  }
  const classes = EXPRESSIONS.filter((c) => byClass.has(c));
  // Each estimate has its own stream, so adding a class leaves the other intervals as they were.
  const seeded = (k: number): BootstrapOptions => ({ ...options, seed: deriveSeed(seed, stream, k) });
  const perClass = Object.fromEntries(classes.map((c, k) => {
    const { scores, skipped } = byClass.get(c)!;
    return [c, { estimate: scores.length > 0 ? bootstrapMean(scores, seeded(k)) : null, skipped }];
  }));
  const averagedOver = AVERAGED_EXPRESSIONS.filter((c) => (byClass.get(c)?.scores.length ?? 0) > 0);
  const groups = averagedOver.map((c) => byClass.get(c)!.scores);
  const average = averagedOver.length > 0 ? bootstrapMacroMean(groups, seeded(EXPRESSIONS.length)) : null;
  return { perClass, average, averagedOver };
}

export interface AuOcclusionSummary {
  /** Faces without a control region are left out here and counted in `noControl`. */
  readonly auSelectivity: ClassSummary;
  readonly controlDrop: ClassSummary;
  /** Per class, the mean drop of each of its AUs over the faces where the AU lies inside the image. */
  readonly auReliance: Readonly<Partial<Record<Expression, Readonly<Record<string, Estimate>>>>>;
  /** Faces scored but without a control region (no skin outside the AUs). */
  readonly noControl: number;
}

/** The data set's AU occlusion: selectivity and control drop per class and averaged, reliance per class and AU. */
export function summariseAuOcclusion(
  faces: readonly { readonly label: Expression; readonly result: AuOcclusionResult }[],
  options: BootstrapOptions = {},
): AuOcclusionSummary {
  const seed = options.seed ?? DEFAULT_BOOTSTRAP_SEED;
  const selectivity: LabelledValue[] = [];
  const control: LabelledValue[] = [];
  const drops = new Map<Expression, Map<string, number[]>>();
  let noControl = 0;
  for (const { label, result } of faces) {
    if (result.status === 'skipped') {
      selectivity.push({ label, value: result.reason });
      control.push({ label, value: result.reason });
      continue;
    }
    if (result.auSelectivity === null || result.control === null) noControl++;
    else {
      selectivity.push({ label, value: result.auSelectivity });
      control.push({ label, value: result.control.drop });
    }
    let byAu = drops.get(label);
    if (!byAu) drops.set(label, (byAu = new Map()));
    for (const [au, drop] of Object.entries(result.auReliance)) {
      const list = byAu.get(au) ?? [];
      list.push(drop);
      byAu.set(au, list);
    }
  }
  let stream = 2;
  const reliance = (): BootstrapOptions => ({ ...options, seed: deriveSeed(seed, stream++) });
  const auReliance = Object.fromEntries(EXPRESSIONS.filter((c) => drops.has(c)).map((c) => [
    c,
    Object.fromEntries([...drops.get(c)!].map(([au, list]) => [au, bootstrapMean(list, reliance())])),
  ]));
  return {
    auSelectivity: summariseByClass(selectivity, options, 0),
    controlDrop: summariseByClass(control, options, 1),
    auReliance,
    noControl,
  };
}
