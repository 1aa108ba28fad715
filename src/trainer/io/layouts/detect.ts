/**
 * Which layout a dataset path has, from file and folder names alone: a few stats and listings, nothing parsed. Light
 * on purpose: the editor's data-folder pick runs it in the extension host, so it imports no parser, no image library
 * and no engine (test/unit/boundaries.test.ts holds it to that). The readers take their file names from here.
 *
 * Recognised, in this order:
 * - a file: FER2013's / FERPlus's / AffectNet's own CSVs or RAF-DB's label list by name (their folder is read),
 *   any other `*.csv` as a CSV manifest;
 * - a folder holding RAF-DB's `EmoLabel/list_patition_label.txt` (or `basic/` holding it), `fer2013new.csv` (FERPlus)
 *   or `fer2013.csv` (FER2013), AffectNet's `training.csv` / `validation.csv` or `train_set|val_set/annotations/`;
 * - any other folder as image folders per class.
 */
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { SplitName } from '../../science/split';
import { DatasetError } from '../dataset';
import { fileNames, isRegularFile } from './safeFiles';
import type { LayoutName } from './types';

export const RAFDB_LIST = 'EmoLabel/list_patition_label.txt';
export const RAFDB_ALIGNED_DIR = 'Image/aligned';
export const RAFDB_ORIGINAL_DIR = 'Image/original';
export const RAFDB_BOX_DIR = 'Annotation/boundingbox';
export type RafDbImages = 'aligned' | 'original';

/** The names FER2013's file goes by: Kaggle's challenge file, and the ICML 2013 workshop's. */
export const FER2013_FILES = ['fer2013.csv', 'icml_face_data.csv'] as const;
export const FERPLUS_FILE = 'fer2013new.csv';

export const AFFECTNET_CSVS: readonly { readonly file: string; readonly part: SplitName }[] = [
  { file: 'training.csv', part: 'train' }, { file: 'validation.csv', part: 'test' },
];
export const AFFECTNET_SETS: readonly { readonly dir: string; readonly part: SplitName }[] = [
  { dir: 'train_set', part: 'train' }, { dir: 'val_set', part: 'test' },
];

/** Where AffectNet's CSVs' `subDirectory_filePath` is relative to, first found wins (else the CSVs' folder). */
export const AFFECTNET_IMAGE_FOLDERS = ['Manually_Annotated_Images', 'Manually_Annotated/Manually_Annotated_Images'];

const under = (root: string, rel: string): string => path.join(root, ...rel.split('/'));

/** Whether `root` looks like RAF-DB basic: it holds the label list. */
export async function isRafDb(root: string): Promise<boolean> {
  return isRegularFile(under(root, RAFDB_LIST));
}

/** The images RAF-DB at `root` is read from: `asked`, else 'original' when the photos and their boxes are there. */
export async function rafDbImages(root: string, asked: RafDbImages | undefined): Promise<RafDbImages> {
  if (asked !== undefined) return asked;
  const original = (await fileNames(under(root, RAFDB_ORIGINAL_DIR))) !== undefined
    && (await fileNames(under(root, RAFDB_BOX_DIR))) !== undefined;
  return original ? 'original' : 'aligned';
}

/** The FER2013 file in `root`, if any. */
export async function fer2013File(root: string): Promise<string | undefined> {
  for (const name of FER2013_FILES) if (await isRegularFile(path.join(root, name))) return name;
  return undefined;
}

/** Which AffectNet shape `root` has, if any. */
export async function affectNetShape(root: string): Promise<'affectnet-csv' | 'affectnet-npy' | undefined> {
  for (const { file } of AFFECTNET_CSVS) if (await isRegularFile(path.join(root, file))) return 'affectnet-csv';
  for (const { dir } of AFFECTNET_SETS) {
    if ((await fileNames(path.join(root, dir, 'annotations'))) !== undefined) return 'affectnet-npy';
  }
  return undefined;
}

/** The folder AffectNet's CSV images are under, if `root` has one. */
export async function affectNetImageFolder(root: string): Promise<string | undefined> {
  for (const folder of AFFECTNET_IMAGE_FOLDERS) {
    const dir = under(root, folder);
    if ((await fileNames(dir)) !== undefined) return dir;
  }
  return undefined;
}

/** Whether `file` may be a CSV manifest: a file (not a folder) named *.csv. */
export function isCsvManifestName(file: string): boolean {
  return /\.csv$/i.test(file);
}

/** The layout `data` is read as, and the root its ids are relative to (the CSV's folder for a CSV file). */
export interface DetectedLayout {
  readonly layout: LayoutName;
  readonly root: string;
  /** For a CSV manifest: the file itself. */
  readonly file?: string;
}

export type LayoutFamily = 'rafdb' | Exclude<LayoutName, 'rafdb-aligned' | 'rafdb-original'>;

async function folderFamily(root: string): Promise<{ family: LayoutFamily; root: string }> {
  if (await isRafDb(root)) return { family: 'rafdb', root };
  if (await isRafDb(path.join(root, 'basic'))) return { family: 'rafdb', root: path.join(root, 'basic') };
  if (await isRegularFile(path.join(root, FERPLUS_FILE))) return { family: 'ferplus', root };
  if ((await fer2013File(root)) !== undefined) return { family: 'fer2013', root };
  const affectNet = await affectNetShape(root);
  if (affectNet !== undefined) return { family: affectNet, root };
  return { family: 'image-folder', root };
}

function fileFamily(file: string): { family: LayoutFamily; root: string; file?: string } {
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

/** The layout family of `data` (a folder or a file) and its root; throws a DatasetError when it is neither. */
export async function layoutFamily(data: string): Promise<{ family: LayoutFamily; root: string; file?: string }> {
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

/** Which layout `data` (a folder or a file) would be read as, without reading it. */
export async function detectLayout(
  data: string,
  options: { readonly layout?: LayoutName; readonly images?: RafDbImages } = {},
): Promise<DetectedLayout> {
  const found = await layoutFamily(data);
  let layout: LayoutName;
  if (options.layout !== undefined) layout = options.layout;
  else if (found.family !== 'rafdb') layout = found.family;
  else layout = (await rafDbImages(found.root, options.images)) === 'aligned' ? 'rafdb-aligned' : 'rafdb-original';
  return { layout, root: found.root, ...(found.file !== undefined && { file: found.file }) };
}
