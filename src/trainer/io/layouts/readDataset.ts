/**
 * One entry point for every dataset a user may point at: it recognises the layout (or takes the one asked for),
 * reads it, and says which it was. Recognised, in this order:
 * - a file: FER2013's / FERPlus's / AffectNet's own CSVs or RAF-DB's label list by name (their folder is read),
 *   any other `*.csv` as a CSV manifest;
 * - a folder holding RAF-DB's `EmoLabel/list_patition_label.txt` (or `basic/` holding it), `fer2013new.csv` (FERPlus)
 *   or `fer2013.csv` (FER2013), AffectNet's `training.csv` / `validation.csv` or `train_set|val_set/annotations/`;
 * - any other folder as image folders per class.
 */
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { SkipKind } from '../dataset';
import { DatasetError, readImageFolder } from '../dataset';
import { AFFECTNET_CSVS, affectNetShape, readAffectNetCsv, readAffectNetNpy } from './affectnet';
import { isCsvManifestName, readCsvManifest } from './csvManifest';
import { FER2013_FILES, fer2013File, FERPLUS_FILE, readFer2013, readFerPlus } from './fer2013';
import type { RafDbOptions } from './rafdb';
import { isRafDb, RAFDB_LIST, rafDbImages, readRafDb } from './rafdb';
import { isRegularFile, relId } from './safeFiles';
import type { LayoutDataset, LayoutName, LayoutReadOptions, LayoutSkips } from './types';

export interface ReadDatasetOptions extends RafDbOptions {
  /** Read as this layout instead of recognising it (for a folder that looks like several). */
  readonly layout?: LayoutName;
}

/** The layout `data` is read as, and the root its ids are relative to (the CSV's folder for a CSV file). */
export interface DetectedLayout {
  readonly layout: LayoutName;
  readonly root: string;
  /** For a CSV manifest: the file itself. */
  readonly file?: string;
}

type Family = 'rafdb' | Exclude<LayoutName, 'rafdb-aligned' | 'rafdb-original'>;

async function folderFamily(root: string): Promise<{ family: Family; root: string }> {
  if (await isRafDb(root)) return { family: 'rafdb', root };
  if (await isRafDb(path.join(root, 'basic'))) return { family: 'rafdb', root: path.join(root, 'basic') };
  if (await isRegularFile(path.join(root, FERPLUS_FILE))) return { family: 'ferplus', root };
  if ((await fer2013File(root)) !== undefined) return { family: 'fer2013', root };
  const affectNet = await affectNetShape(root);
  if (affectNet !== undefined) return { family: affectNet, root };
  return { family: 'image-folder', root };
}

function fileFamily(file: string): { family: Family; root: string; file?: string } {
  const name = path.basename(file);
  const dir = path.dirname(file);
  if ((FER2013_FILES as readonly string[]).includes(name)) return { family: 'fer2013', root: dir };
  if (name === FERPLUS_FILE) return { family: 'ferplus', root: dir };
  if (AFFECTNET_CSVS.some((c) => c.file === name)) return { family: 'affectnet-csv', root: dir };
  if (file.endsWith(path.join(...RAFDB_LIST.split('/')))) return { family: 'rafdb', root: path.dirname(dir) };
  if (isCsvManifestName(name)) return { family: 'csv-manifest', root: dir, file };
  throw new DatasetError(`${file} is a file but not a dataset file AU Lens knows; give a folder, or a CSV manifest ` +
    '(*.csv with a header path,label[,subject][,split])');
}

async function family(data: string): Promise<{ family: Family; root: string; file?: string }> {
  const abs = path.resolve(data);
  let info: Stats;
  try {
    info = await stat(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DatasetError(code === 'ENOENT'
      ? `dataset ${abs} does not exist`
      : `cannot read dataset ${abs} (${code ?? 'error'})`);
  }
  if (info.isDirectory()) return folderFamily(abs);
  if (info.isFile()) return fileFamily(abs);
  throw new DatasetError(`dataset ${abs} is neither a folder nor a regular file`);
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

/** Which layout `data` (a folder or a file) would be read as, without reading it. */
export async function detectLayout(data: string, options: Pick<ReadDatasetOptions, 'layout' | 'images'> = {}):
  Promise<DetectedLayout> {
  const found = await family(data);
  let layout: LayoutName;
  if (options.layout !== undefined) layout = options.layout;
  else if (found.family !== 'rafdb') layout = found.family;
  else layout = (await rafDbImages(found.root, options.images)) === 'aligned' ? 'rafdb-aligned' : 'rafdb-original';
  return { layout, root: found.root, ...(found.file !== undefined && { file: found.file }) };
}

/** Reads the dataset at `data` as its layout (recognised, or `options.layout`). Never writes. */
export async function readDataset(data: string, options: ReadDatasetOptions = {}): Promise<LayoutDataset> {
  const found = await family(data);
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
