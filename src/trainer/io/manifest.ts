/**
 * The manifest that records exactly what a run trained on (`manifest.json` in the run folder), and the hash of
 * a dataset's content list that checkpoints keep to recognise their data.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { Expression } from '../science/labels';
import type { Split, SplitName, SplitSummary } from '../science/split';
import { splitAssignments, splitSummary } from '../science/split';
import { writeFileAtomic } from './atomicFile';
import type { Dataset, SkipKind } from './dataset';
import { toPosix } from './dataset';

/**
 * A fingerprint of the dataset's content list: sha256 over the sorted `relPath<TAB>label` lines.
 * Independent of the root's location and of the subject pattern, so a checkpoint can check that it
 * is resumed on the same images wherever the folder has moved. Image bytes are not hashed (that
 * would read the whole dataset); renaming or relabelling a file changes the hash.
 */
export function manifestHash(dataset: Pick<Dataset, 'samples'>): string {
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
  /** null for a sample no split claims. */
  readonly split: SplitName | null;
}

export interface DatasetManifest {
  readonly format: 'au-lens-dataset-manifest';
  readonly version: 1;
  readonly root: string;
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
  /** Paths relative to the root, '/'-separated. */
  readonly skipped: readonly { readonly relPath: string; readonly kind: SkipKind; readonly reason: string }[];
  readonly warnings: readonly string[];
}

/** The manifest object that writeManifest writes. No timestamp, so equal inputs give equal files. */
export function buildManifest(dataset: Dataset, split: Split): DatasetManifest {
  const assignments = splitAssignments(split, dataset.samples.length);
  return {
    format: 'au-lens-dataset-manifest',
    version: 1,
    root: dataset.root,
    hash: manifestHash(dataset),
    classes: dataset.classes,
    counts: {
      images: dataset.samples.length,
      subjects: new Set(dataset.samples.map((s) => s.subject)).size,
      skipped: dataset.skipped.length,
      classes: dataset.classCounts,
      splits: splitSummary(dataset.samples, split),
    },
    samples: dataset.samples.map((s, i) => ({
      relPath: s.relPath,
      label: s.label,
      subject: s.subject,
      split: assignments[i] ?? null,
    })),
    skipped: dataset.skipped.map((s) => ({
      relPath: toPosix(path.relative(dataset.root, s.path)),
      kind: s.kind,
      reason: s.reason,
    })),
    warnings: dataset.warnings,
  };
}

/** Writes the manifest as JSON, atomically (temp file + rename), creating the folder if needed. */
export async function writeManifest(dataset: Dataset, split: Split, file: string): Promise<DatasetManifest> {
  const manifest = buildManifest(dataset, split);
  await writeFileAtomic(file, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
