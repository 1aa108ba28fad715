/**
 * The manifest that records exactly what a run trained on (`manifest.json` in the run folder), and the hash of
 * a dataset's content list that checkpoints keep to recognise their data.
 */
import { createHash } from 'node:crypto';
import type { Expression } from '../science/labels';
import type { Split, SplitMode, SplitName, SplitSummary } from '../science/split';
import { splitAssignments, splitSummary } from '../science/split';
import { writeFileAtomic } from './atomicFile';
import type { LayoutDataset, LayoutName, LayoutSkips } from './layouts/types';

/**
 * A fingerprint of the dataset's content list: sha256 over the sorted `relPath<TAB>label` lines.
 * Independent of the root's location, the layout's reader and the subject pattern, so a checkpoint can check that
 * it is resumed on the same images wherever the folder has moved. Image bytes are not hashed (that would read the
 * whole dataset); renaming or relabelling a file changes the hash.
 */
export function manifestHash(dataset: { readonly samples: readonly { relPath: string; label: Expression }[] }): string {
  const lines = dataset.samples.map((s) => `${s.relPath}\t${s.label}\n`);
  lines.sort();
  const hash = createHash('sha256');
  for (const line of lines) hash.update(line, 'utf8');
  return hash.digest('hex');
}

export interface ManifestSample {
  readonly relPath: string;
  readonly label: Expression;
  readonly subject: string;
  /** The part the dataset itself puts the sample in; null for layouts without an official split. */
  readonly part: SplitName | null;
  /** The run's split; null for a sample no split claims. */
  readonly split: SplitName | null;
}

export interface DatasetManifest {
  readonly format: 'au-lens-dataset-manifest';
  /** 2: layout, label files, split mode and each sample's official part. */
  readonly version: 2;
  readonly root: string;
  /** How the data was read (rafdb-aligned, fer2013, image-folder…). */
  readonly layout: LayoutName;
  /** The label and list files read, relative to the root. */
  readonly labelFiles: readonly string[];
  /** 'official': the dataset's own parts (validation carved from train); 'subjects': split by subject. */
  readonly splitMode: SplitMode;
  /** manifestHash of the dataset. */
  readonly hash: string;
  readonly classes: readonly Expression[];
  readonly counts: {
    readonly images: number;
    readonly subjects: number;
    readonly skipped: number;
    readonly classes: Readonly<Partial<Record<Expression, number>>>;
    readonly splits: SplitSummary;
  };
  readonly samples: readonly ManifestSample[];
  /** Skips counted by kind, with the first few ids (a large dataset may skip 100,000 rows). */
  readonly skipped: readonly LayoutSkips[];
  readonly warnings: readonly string[];
}

/** How many samples a dataset's reader left out, over every kind. */
export function skippedCount(dataset: Pick<LayoutDataset, 'skipped'>): number {
  return dataset.skipped.reduce((n, s) => n + s.count, 0);
}

/** The manifest object that writeManifest writes. No timestamp, so equal inputs give equal files. */
export function buildManifest(dataset: LayoutDataset, split: Split, splitMode: SplitMode): DatasetManifest {
  const assignments = splitAssignments(split, dataset.samples.length);
  return {
    format: 'au-lens-dataset-manifest',
    version: 2,
    root: dataset.root,
    layout: dataset.layout,
    labelFiles: dataset.labelFiles,
    splitMode,
    hash: manifestHash(dataset),
    classes: dataset.classes,
    counts: {
      images: dataset.samples.length,
      subjects: new Set(dataset.samples.map((s) => s.subject)).size,
      skipped: skippedCount(dataset),
      classes: dataset.classCounts,
      splits: splitSummary(dataset.samples, split),
    },
    samples: dataset.samples.map((s, i) => ({
      relPath: s.relPath,
      label: s.label,
      subject: s.subject,
      part: s.part ?? null,
      split: assignments[i] ?? null,
    })),
    skipped: dataset.skipped,
    warnings: dataset.warnings,
  };
}

/** Writes the manifest as JSON, atomically (temp file + rename), creating the folder if needed. */
export async function writeManifest(
  dataset: LayoutDataset,
  split: Split,
  splitMode: SplitMode,
  file: string,
): Promise<DatasetManifest> {
  const manifest = buildManifest(dataset, split, splitMode);
  await writeFileAtomic(file, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
