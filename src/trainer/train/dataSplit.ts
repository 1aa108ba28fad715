/**
 * The dataset and its split, derived the same way by training and by evaluation: from the data path (any layout
 * readDataset knows), the class list, the split mode, the seed and the fractions stored in the checkpoint. So
 * `au-lens eval --split test` sees exactly the images the run held out: the official test part, or the subjects
 * a split by subject left out.
 */
import * as path from 'node:path';
import { DatasetError } from '../io/dataset';
import { readDataset } from '../io/layouts/readDataset';
import type { LayoutDataset, LayoutSample, SampleSource } from '../io/layouts/types';
import type { Expression } from '../science/labels';
import { PAPER_CLASSES } from '../science/labels';
import type { Split, SplitFractions, SplitMode, SplitName } from '../science/split';
import { splitBySubject, splitOfficial } from '../science/split';

export interface SplitSettings {
  /** Classes to keep, in model output order; default: the paper's 7 classes (contempt dropped, as the paper). */
  readonly classes?: readonly Expression[];
  readonly seed: number;
  readonly fractions: SplitFractions;
  readonly subjectPattern?: string;
  /** Default: 'official' when the layout has an official split, else 'subjects'. */
  readonly split?: SplitMode;
  readonly signal?: AbortSignal;
}

export const DEFAULT_FRACTIONS: SplitFractions = { train: 0.7, val: 0.15, test: 0.15 };

export interface SplitDataset {
  readonly dataset: LayoutDataset;
  readonly split: Split;
  /** How `split` was made. */
  readonly mode: SplitMode;
  /** Output order of the model: the kept classes that have images. */
  readonly labels: readonly Expression[];
}

/**
 * The split of a dataset read through its layout: `mode` as asked, else 'official' when the layout has official
 * parts (RAF-DB, FER2013, FERPlus, AffectNet, a CSV manifest with a split column), else by subject.
 */
export function splitLayout(
  dataset: LayoutDataset,
  settings: Pick<SplitSettings, 'seed' | 'fractions'> & { readonly mode?: SplitMode },
): { readonly split: Split; readonly mode: SplitMode } {
  const mode = settings.mode ?? (dataset.hasOfficialSplit ? 'official' : 'subjects');
  if (mode === 'subjects') return { split: splitBySubject(dataset.samples, settings.fractions, settings.seed), mode };
  if (!dataset.hasOfficialSplit) {
    throw new DatasetError(`${dataset.root} (read as ${dataset.layout}) has no official split; ` +
      'split it by subject instead (--split subjects)');
  }
  return { split: splitOfficial(dataset.samples, settings.fractions, settings.seed), mode };
}

/** The data at `data`, read as its layout with the run's classes and subject rule. Never writes. */
export function readRunDataset(
  data: string,
  settings: Pick<SplitSettings, 'classes' | 'subjectPattern' | 'signal'>,
): Promise<LayoutDataset> {
  return readDataset(data, {
    classes: settings.classes ?? PAPER_CLASSES,
    ...(settings.subjectPattern !== undefined && { subjectPattern: settings.subjectPattern }),
    ...(settings.signal !== undefined && { signal: settings.signal }),
  });
}

/** `dataset` split as the settings say. */
export function splitDataset(dataset: LayoutDataset, settings: SplitSettings): SplitDataset {
  const { split, mode } = splitLayout(dataset, {
    seed: settings.seed, fractions: settings.fractions, ...(settings.split !== undefined && { mode: settings.split }),
  });
  return { dataset, split, mode, labels: dataset.classes };
}

export async function loadSplitDataset(data: string, settings: SplitSettings): Promise<SplitDataset> {
  return splitDataset(await readRunDataset(data, settings), settings);
}

/** A sample as preparation takes it: where its pixels are, and a path that names it in messages and reports. */
export interface SourcedSample {
  /** The image file; for a sample without one (a FER2013 row), `<root>/<relPath>` (`…/fer2013.csv#0000012`). */
  readonly path: string;
  readonly label: Expression;
  readonly source: SampleSource;
}

export function sourcedSample(dataset: Pick<LayoutDataset, 'root'>, sample: LayoutSample): SourcedSample {
  const { source } = sample;
  const named = source.kind === 'file' ? source.path : path.join(dataset.root, ...sample.relPath.split('/'));
  return { path: named, label: sample.label, source };
}

/** The samples of one split ('all' for every sample). */
export function samplesOf(data: Pick<SplitDataset, 'dataset' | 'split'>, which: SplitName | 'all'): SourcedSample[] {
  const { dataset } = data;
  if (which === 'all') return dataset.samples.map((s) => sourcedSample(dataset, s));
  return data.split[which].map((i) => sourcedSample(dataset, dataset.samples[i]!));
}
