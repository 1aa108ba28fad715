/**
 * The settings that make a run what it is, as the checkpoint stores them: what resuming must not change (the
 * split, the data order and augmentation, the loss, the optimiser) and what a resume without flags inherits.
 * The epoch count is not among them: extending a run is what resuming is for.
 */
import type { LayoutName } from '../io/layouts/types';
import { isModelName } from '../models/modelNames';
import type { ClassWeightsSpec } from '../science/classWeights';
import { parseClassWeights } from '../science/classWeights';
import type { Codebook } from '../science/codebook';
import { ausForExpression } from '../science/codebook';
import type { Expression } from '../science/labels';
import { EXPRESSIONS } from '../science/labels';
import type { SplitFractions, SplitMode } from '../science/split';
import type { Checkpoint, JsonValue } from './checkpoint';
import type { TrainOptions } from './options';

/** What the run found out about its data, recorded beside its options. */
export interface RunDataRecord {
  readonly labels: readonly Expression[];
  readonly layout: LayoutName;
  readonly splitMode: SplitMode;
  /** The cross-entropy's weight of each label, in label order; undefined: none. */
  readonly classWeights: readonly number[] | undefined;
}

/** A run's class weights as its checkpoint records them: how they were chosen, and the weight of each class. */
function classWeightsRecord(spec: ClassWeightsSpec | undefined, data: RunDataRecord): { [key: string]: JsonValue } {
  const weights = data.classWeights;
  if (spec === undefined || spec.kind === 'none' || weights === undefined) return { mode: 'none' };
  return {
    mode: spec.kind,
    ...(spec.kind === 'file' && { file: spec.file }),
    weights: Object.fromEntries(data.labels.map((l, i) => [l, weights[i]!])),
  };
}

/** What goes into `optimizer.settings` (besides the fields the checkpoint has at its top level). */
export function settingsRecord(options: TrainOptions, data: RunDataRecord): { [key: string]: JsonValue } {
  return {
    baseLr: options.lr, momentum: options.momentum, nesterov: true, weightDecay: options.weightDecay,
    lrStepEpochs: options.lrStepEpochs, lrGamma: options.lrGamma, batch: options.batch, epochs: options.epochs,
    fractions: { ...options.fractions }, classes: [...data.labels], layout: data.layout, split: data.splitMode,
    classWeights: classWeightsRecord(options.classWeights, data),
    ...(options.init !== undefined && { init: options.init }),
    ...(options.recipe !== undefined && { recipe: options.recipe }),
    ...(options.subjectPattern !== undefined && { subjectPattern: options.subjectPattern }),
  };
}

/**
 * How a run chose its class weights, as a comparable string: "none", "inverse", or a table's weights of `classes`
 * (a checkpoint records those of its own classes; the file may name more).
 */
function classWeightsKey(spec: ClassWeightsSpec | undefined, classes: readonly string[]): string {
  if (spec === undefined || spec.kind !== 'file') return spec?.kind ?? 'none';
  const weights = spec.weights as Readonly<Record<string, number>>;
  return [...classes].sort().map((c) => `${c} ${weights[c] ?? '–'}`).join(', ');
}

/** The class weights a checkpoint recorded; undefined where it recorded none (a run from before class weights). */
function storedClassWeights(record: JsonValue | undefined): ClassWeightsSpec | undefined {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return undefined;
  const r = record as { readonly [key: string]: JsonValue };
  if (r['mode'] === 'none' || r['mode'] === 'inverse') return { kind: r['mode'] };
  if (r['mode'] !== 'file' || typeof r['file'] !== 'string' || typeof r['weights'] !== 'object') return undefined;
  try {
    return { kind: 'file', file: r['file'], weights: parseClassWeights(r['weights'], r['file']) };
  } catch {
    return undefined;
  }
}

/** A codebook as the loss sees it: the AUs of each expression (names and descriptions do not matter). */
function codebookKey(codebook: Codebook): string {
  return EXPRESSIONS.map((e) => `${e}:${ausForExpression(codebook, e).join('+')}`).join(' ');
}

function fractionsKey(f: SplitFractions): string {
  const sum = f.train + f.val + f.test;
  return `${f.train / sum}/${f.val / sum}/${f.test / sum}`;
}

/**
 * Each setting of `options` that differs from the run's, as "name: X in the run, Y now". Settings a checkpoint
 * does not record (written by another tool) are not compared.
 */
export function resumeDifferences(run: Checkpoint, options: TrainOptions, layers: readonly string[]): string[] {
  const s = run.optimizer.settings ?? {};
  const pairs: [name: string, stored: JsonValue | undefined, asked: JsonValue][] = [
    ['model', run.model.preset, options.preset],
    ['lambda', run.lambda, options.lambda],
    ['layers', run.layers.join(','), layers.join(',')],
    ['seed', run.optimizer.seed, options.seed],
    ['batch', s['batch'], options.batch],
    ['lr', s['baseLr'], options.lr],
    ['weight decay', s['weightDecay'], options.weightDecay],
    ['momentum', s['momentum'], options.momentum],
    ['lr step epochs', s['lrStepEpochs'], options.lrStepEpochs],
    ['lr gamma', s['lrGamma'], options.lrGamma],
    [
      'split fractions',
      s['fractions'] === undefined ? undefined : fractionsKey(s['fractions'] as unknown as SplitFractions),
      fractionsKey(options.fractions),
    ],
    ['subject pattern', s['subjectPattern'] ?? null, options.subjectPattern ?? null],
    ['split', s['split'], options.split ?? s['split'] ?? null],
    [
      'class weights',
      s['classWeights'] === undefined ? undefined : classWeightsKey(storedClassWeights(s['classWeights']), run.labels),
      classWeightsKey(options.classWeights, run.labels),
    ],
  ];
  const differences = pairs
    .filter(([, stored, asked]) => stored !== undefined && stored !== asked)
    .map(([name, stored, asked]) => `${name}: ${String(stored)} in the run, ${String(asked)} now`);
  if (codebookKey(run.codebook) !== codebookKey(options.codebook)) {
    differences.push(
      `codebook: "${run.codebook.name}" in the run, "${options.codebook.name}" now, with other AUs for some ` +
        `expressions`,
    );
  }
  return differences;
}

/** The run's own settings, for a resume that does not repeat them. */
export function resumeDefaults(run: Checkpoint): Partial<TrainOptions> {
  const s = run.optimizer.settings ?? {};
  const num = (key: string): number | undefined => (typeof s[key] === 'number' ? s[key] : undefined);
  const picked: Partial<Record<keyof TrainOptions, unknown>> = {
    preset: isModelName(run.model.preset) ? run.model.preset : undefined,
    lambda: run.lambda,
    layers: run.layers,
    seed: run.optimizer.seed,
    codebook: run.codebook,
    classes: run.labels,
    batch: num('batch'),
    lr: num('baseLr'),
    weightDecay: num('weightDecay'),
    momentum: num('momentum'),
    lrStepEpochs: num('lrStepEpochs'),
    lrGamma: num('lrGamma'),
    epochs: num('epochs'),
    fractions: s['fractions'],
    subjectPattern: typeof s['subjectPattern'] === 'string' ? s['subjectPattern'] : undefined,
    split: s['split'] === 'official' || s['split'] === 'subjects' ? s['split'] : undefined,
    classWeights: storedClassWeights(s['classWeights']),
  };
  return Object.fromEntries(Object.entries(picked).filter(([, v]) => v !== undefined)) as Partial<TrainOptions>;
}
