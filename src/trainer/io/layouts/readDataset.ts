/**
 * One entry point for every dataset a user may point at: it recognises the layout (detect.ts; or takes the one
 * asked for), reads it, and says which it was.
 */
import type { SkipKind } from '../dataset';
import { DatasetError, readImageFolder } from '../dataset';
import { readAffectNetCsv, readAffectNetNpy } from './affectnet';
import { readCsvManifest } from './csvManifest';
import { layoutFamily } from './detect';
import { readFer2013, readFerPlus } from './fer2013';
import type { RafDbOptions } from './rafdb';
import { readRafDb } from './rafdb';
import { relId } from './safeFiles';
import type { LayoutDataset, LayoutName, LayoutReadOptions, LayoutSkips } from './types';

export interface ReadDatasetOptions extends RafDbOptions {
  /** Read as this layout instead of recognising it (for a folder that looks like several). */
  readonly layout?: LayoutName;
}

/** The image-folder reader's result in the layout shape: skips counted by kind. */
async function readFolderLayout(root: string, options: LayoutReadOptions): Promise<LayoutDataset> {
  const d = await readImageFolder(root, {
    ...(options.classes !== undefined && { classes: options.classes }),
    ...(options.subjectPattern !== undefined && { subjectPattern: options.subjectPattern }),
  });
  const skips = new Map<SkipKind, { count: number; reason: string; examples: string[] }>();
  for (const s of d.skipped) {
    const entry = skips.get(s.kind) ?? { count: 0, reason: s.reason, examples: [] };
    entry.count++;
    if (entry.examples.length < 5) entry.examples.push(relId(d.root, s.path));
    skips.set(s.kind, entry);
  }
  const skipped: LayoutSkips[] = [...skips].map(([kind, s]) => ({ kind, ...s }));
  return {
    layout: 'image-folder', root: d.root, labelFiles: [], hasOfficialSplit: false, skipped, warnings: d.warnings,
    classes: d.classes, classCounts: d.classCounts,
    samples: d.samples.map((s) => ({
      relPath: s.relPath, label: s.label, subject: s.subject, source: { kind: 'file', path: s.path },
    })),
  };
}

/** Reads the dataset at `data` as its layout (recognised, or `options.layout`). Never writes. */
export async function readDataset(data: string, options: ReadDatasetOptions = {}): Promise<LayoutDataset> {
  const found = await layoutFamily(data);
  const layout = options.layout ?? found.family;
  switch (layout) {
    case 'rafdb':
      return readRafDb(found.root, options);
    case 'rafdb-aligned':
    case 'rafdb-original':
      return readRafDb(found.root, { ...options, images: layout === 'rafdb-aligned' ? 'aligned' : 'original' });
    case 'fer2013':
      return readFer2013(found.root, options);
    case 'ferplus':
      return readFerPlus(found.root, options);
    case 'affectnet-csv':
      return readAffectNetCsv(found.root, options);
    case 'affectnet-npy':
      return readAffectNetNpy(found.root, options);
    case 'csv-manifest':
      if (found.file === undefined) {
        throw new DatasetError(`layout csv-manifest needs the CSV file itself, not the folder ${found.root}`);
      }
      return readCsvManifest(found.file, options);
    case 'image-folder':
      return readFolderLayout(found.root, options);
  }
}
