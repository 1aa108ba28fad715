/**
 * The dataset and its split by subject, derived the same way by training and by evaluation: from the folder,
 * the class list, the seed and the fractions stored in the checkpoint. So `au-lens eval --split test` sees
 * exactly the subjects the run held out.
 */
import type { Dataset, DatasetSample } from '../io/dataset';
import { DatasetError, readImageFolder } from '../io/dataset';
import type { LayoutDataset } from '../io/layouts/types';
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
}

export const DEFAULT_FRACTIONS: SplitFractions = { train: 0.7, val: 0.15, test: 0.15 };

export interface SplitDataset {
  readonly dataset: Dataset;
  readonly split: Split;
  /** Output order of the model: the kept classes that have images. */
  readonly labels: readonly Expression[];
}

export async function loadSplitDataset(root: string, settings: SplitSettings): Promise<SplitDataset> {
  const dataset = await readImageFolder(root, {
    classes: settings.classes ?? PAPER_CLASSES,
    ...(settings.subjectPattern !== undefined && { subjectPattern: settings.subjectPattern }),
  });
  const split = splitBySubject(dataset.samples, settings.fractions, settings.seed);
  return { dataset, split, labels: dataset.classes };
}

/** The samples of one split ('all' for every sample), each with its label index in `labels`. */
export function samplesOf(data: SplitDataset, which: SplitName | 'all'): { path: string; label: Expression }[] {
  const pick = (s: DatasetSample): { path: string; label: Expression } => ({ path: s.path, label: s.label });
  if (which === 'all') return data.dataset.samples.map(pick);
  return data.split[which].map((i) => pick(data.dataset.samples[i]!));
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
