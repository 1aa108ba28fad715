/**
 * RAF-DB basic (Li et al. 2017): `EmoLabel/list_patition_label.txt` lists `train_00001.jpg 5`, codes 1..7 =
 * surprise, fear, disgust, happy, sad, anger, neutral, and the official split in the name (`train_` / `test_`).
 * The images are either RAF-DB's own aligned faces (`Image/aligned/<name>_aligned.jpg`) or the original photos
 * (`Image/original/<name>`) cut with `Annotation/boundingbox/<name>_boundingbox.txt` as the paper's reference does.
 *
 * Reference: sbelharbi/interpretable-fer-aus at 66e2bde, dlib/datasets/raf_db.py (`split_RAFDB`): the box's four
 * numbers are clamped at 0 and truncated to integers, each extent grows by 30 % (15 % per side, truncated), and the
 * crop is resized to 224 × 224 (LANCZOS). The reference reads the numbers as (y0, x0, y1, x1) — its PIL box is
 * (n2, n1, n4, n3), clamped right ≤ height − 1 and bottom ≤ width − 1 — which is the default here ('reference');
 * 'xyxy' reads them as (x0, y0, x1, y1), as other RAF-DB tools do.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { RAFDB_CODING } from '../../science/datasetLabels';
import { DatasetError } from '../dataset';
import { codedLabel, SampleCollector } from './collect';
import { mapLimit } from './concurrency';
import type { RafDbImages } from './detect';
import { RAFDB_ALIGNED_DIR, RAFDB_BOX_DIR, RAFDB_LIST, RAFDB_ORIGINAL_DIR, rafDbImages } from './detect';
import { excerpt, fileNames, insideRoot, regularFile, relId, SMALL_FILE_CAP } from './safeFiles';
import { textRows } from './textRows';
import type { CropSpec, LayoutDataset, LayoutReadOptions } from './types';

/** The reference's `bbx_upscale` and `CROP_SIZE`. */
const BOX_UPSCALE = 0.3;
const CROP_SIZE = 224;

export type RafDbBoxOrder = 'reference' | 'xyxy';

export interface RafDbOptions extends LayoutReadOptions {
  /** Default: 'original' when Image/original and Annotation/boundingbox exist (the paper's crop), else 'aligned'. */
  readonly images?: RafDbImages;
  /** How the box file's four numbers are read (see the file comment). Default 'reference'. */
  readonly boxOrder?: RafDbBoxOrder;
}

/** The reference's crop of a photo from the four numbers of its box file. */
export function rafDbCrop(numbers: readonly [number, number, number, number], order: RafDbBoxOrder): CropSpec {
  const [a, b, c, d] = numbers.map((n) => Math.trunc(Math.max(n, 0))) as [number, number, number, number];
  // raf_db.py: half_w = int(widths * bbx_upscale / 2.) with widths = x1 − x0 of the numbers as read.
  const half1 = Math.trunc(((c - a) * BOX_UPSCALE) / 2);
  const half2 = Math.trunc(((d - b) * BOX_UPSCALE) / 2);
  return order === 'reference'
    ? { left: b - half2, top: a - half1, right: d + half2, bottom: c + half1, clamp: 'transposed', side: CROP_SIZE }
    : { left: a - half1, top: b - half2, right: c + half1, bottom: d + half2, clamp: 'image', side: CROP_SIZE };
}

async function readBox(file: string, where: string): Promise<[number, number, number, number]> {
  await regularFile(file, SMALL_FILE_CAP, 'RAF-DB box file');
  const first = (await readFile(file, 'latin1')).split(/\r?\n/, 1)[0] ?? '';
  const fields = first.trim().split(/\s+/);
  const numbers = fields.slice(0, 4).map(Number);
  if (fields.length < 4 || numbers.some((n) => !Number.isFinite(n))) {
    throw new DatasetError(`${where}: the first line ${excerpt(first)} is not four numbers (x0 y0 x1 y1)`);
  }
  const box = numbers as [number, number, number, number];
  const crop = rafDbCrop(box, 'xyxy');
  if (crop.right <= crop.left || crop.bottom <= crop.top) {
    throw new DatasetError(`${where}: the box ${excerpt(first)} is empty (each end must exceed its start)`);
  }
  return box;
}

interface ListedImage {
  readonly name: string;
  readonly code: string;
  readonly line: number;
}

/** Reads RAF-DB basic at `root` (the folder holding EmoLabel/ and Image/). */
export async function readRafDb(root: string, options: RafDbOptions = {}): Promise<LayoutDataset> {
  const absRoot = path.resolve(root);
  const listFile = path.join(absRoot, ...RAFDB_LIST.split('/'));
  const images = await rafDbImages(absRoot, options.images);
  const imageDir = images === 'aligned' ? RAFDB_ALIGNED_DIR : RAFDB_ORIGINAL_DIR;
  const dir = path.join(absRoot, ...imageDir.split('/'));
  const present = await fileNames(dir);
  if (present === undefined) {
    throw new DatasetError(`RAF-DB at ${absRoot} has no ${imageDir}/ folder; ` +
      `expected ${RAFDB_ALIGNED_DIR}/ (RAF-DB's aligned faces) or ${RAFDB_ORIGINAL_DIR}/ with ${RAFDB_BOX_DIR}/`);
  }
  const boxes = images === 'original' ? await fileNames(path.join(absRoot, ...RAFDB_BOX_DIR.split('/'))) : undefined;
  if (images === 'original' && boxes === undefined) {
    throw new DatasetError(`RAF-DB at ${absRoot} has ${RAFDB_ORIGINAL_DIR}/ but no ${RAFDB_BOX_DIR}/ to crop it with`);
  }

  const listed: ListedImage[] = [];
  const shown = { what: 'RAF-DB label list', shownAs: RAFDB_LIST };
  const { rows } = await textRows(listFile, { ...shown, format: 'whitespace', signal: options.signal });
  for await (const row of rows) {
    const where = `${RAFDB_LIST} line ${row.line}`;
    const [name, code] = row.fields;
    if (row.fields.length !== 2 || name === undefined || code === undefined) {
      throw new DatasetError(`${where}: expected "<image> <label>" (e.g. train_00001.jpg 5), ` +
        `found ${row.fields.length} field(s)`);
    }
    if (!/^(train|test)_/.test(name)) {
      throw new DatasetError(`${where}: image ${excerpt(name)} starts with neither train_ nor test_, ` +
        'so its official part is unknown');
    }
    listed.push({ name, code, line: row.line });
  }

  const collector = new SampleCollector(images === 'aligned' ? 'rafdb-aligned' : 'rafdb-original', absRoot, options);
  const order = options.boxOrder ?? 'reference';
  await mapLimit(listed, 8, async ({ name, code, line }) => {
    const where = `${RAFDB_LIST} line ${line}`;
    const meaning = codedLabel(RAFDB_CODING, code, where);
    const stem = name.replace(/\.[^./\\]*$/, '');
    const file = images === 'aligned' ? `${stem}_aligned.jpg` : name;
    const full = insideRoot(absRoot, dir, file, where);
    const relPath = relId(absRoot, full);
    if (!('expression' in meaning)) return;
    if (!present.has(path.basename(full))) {
      collector.skip('missing-file', relPath, `listed in ${RAFDB_LIST} but not in ${imageDir}/`);
      return;
    }
    const part = name.startsWith('train_') ? 'train' as const : 'test' as const;
    if (images === 'aligned') {
      collector.add({ relPath, label: meaning.expression, part, source: { kind: 'file', path: full } }, where);
      return;
    }
    const boxName = `${stem}_boundingbox.txt`;
    const boxFile = insideRoot(absRoot, path.join(absRoot, ...RAFDB_BOX_DIR.split('/')), boxName, where);
    if (!boxes?.has(path.basename(boxFile))) {
      collector.skip('missing-file', relPath, `no ${RAFDB_BOX_DIR}/${boxName} to crop it with`);
      return;
    }
    const crop = rafDbCrop(await readBox(boxFile, `${RAFDB_BOX_DIR}/${boxName}`), order);
    collector.add({ relPath, label: meaning.expression, part, source: { kind: 'file', path: full, crop } }, where);
  }, options.signal);
  return collector.finish([RAFDB_LIST]);
}
