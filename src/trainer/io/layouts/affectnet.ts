/**
 * AffectNet (Mollahosseini et al. 2017) in its two common shapes:
 * - 'affectnet-csv', as distributed: `training.csv` / `validation.csv` with `subDirectory_filePath`, the face box
 *   (`face_x, face_y, face_width, face_height`) and `expression` 0–10, images under `Manually_Annotated_Images/`;
 * - 'affectnet-npy', the widespread re-packing the paper's reference reads: `train_set|val_set/images/<id>.jpg` with
 *   `annotations/<id>_exp.npy`.
 * As the reference (affectnet.py at 66e2bde): 0–6 kept, contempt (7) left to the class list (dropped by default),
 * 8–10 (none, uncertain, no face) dropped; the training part is train, the validation part is the test part.
 * The CSV's face box is kept on the sample for the landmark detector to start from.
 */
import * as path from 'node:path';
import { AFFECTNET_CODING } from '../../science/datasetLabels';
import type { Expression } from '../../science/labels';
import type { Box } from '../../science/types';
import { DatasetError } from '../dataset';
import { codedLabel, SampleCollector } from './collect';
import { mapLimit } from './concurrency';
import { AFFECTNET_CSVS, AFFECTNET_SETS, affectNetImageFolder } from './detect';
import { readNpyLabel } from './npyLabel';
import { excerpt, fileNames, insideRoot, isRegularFile, relId } from './safeFiles';
import { checkWidth, headerColumns, textRows } from './textRows';
import type { LayoutDataset, LayoutReadOptions } from './types';

const LABEL_SUFFIX = '_exp.npy';

/** The expression of an AffectNet code; a code the paper drops is counted as skipped and gives undefined. */
function keptLabel(collector: SampleCollector, code: string, where: string, relPath: string): Expression | undefined {
  const meaning = codedLabel(AFFECTNET_CODING, code, where);
  if ('expression' in meaning) return meaning.expression;
  collector.skip('dropped-label', relPath,
    `AffectNet label ${code.trim()} (${meaning.dropped}) is not an expression; the paper drops it`);
  return undefined;
}

function faceBox(fields: readonly string[], columns: readonly number[], where: string): Box {
  const [x, y, width, height] = columns.map((c) => {
    const text = fields[c]!.trim();
    const v = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
    if (!Number.isFinite(v)) throw new DatasetError(`${where}: face box value ${excerpt(text)} is not a number`);
    return v;
  }) as [number, number, number, number];
  if (width <= 0 || height <= 0) {
    throw new DatasetError(`${where}: the face box is empty (width ${width}, height ${height})`);
  }
  return { x, y, width, height };
}

const CSV_COLUMNS = ['subdirectory_filepath', 'face_x', 'face_y', 'face_width', 'face_height', 'expression'] as const;

/** Reads AffectNet's CSV shape at `root` (the folder holding training.csv and validation.csv). */
export async function readAffectNetCsv(root: string, options: LayoutReadOptions = {}): Promise<LayoutDataset> {
  const absRoot = path.resolve(root);
  const images = (await affectNetImageFolder(absRoot)) ?? absRoot;
  const collector = new SampleCollector('affectnet-csv', absRoot, options);
  const listings = new Map<string, Set<string> | undefined>();
  const read: string[] = [];
  for (const { file, part } of AFFECTNET_CSVS) {
    if (!(await isRegularFile(path.join(absRoot, file)))) continue;
    read.push(file);
    const shown = { what: 'AffectNet file', shownAs: file };
    const { rows } = await textRows(path.join(absRoot, file), { ...shown, format: 'csv', signal: options.signal });
    let columns: Record<(typeof CSV_COLUMNS)[number], number> | undefined;
    let width = 0;
    for await (const row of rows) {
      if (columns === undefined) {
        columns = headerColumns(row.fields, CSV_COLUMNS, shown);
        width = row.fields.length;
        continue;
      }
      const where = `${file} line ${row.line}`;
      checkWidth(row, width, where);
      const full = insideRoot(absRoot, images, row.fields[columns.subdirectory_filepath]!, where);
      const relPath = relId(absRoot, full);
      const label = keptLabel(collector, row.fields[columns.expression]!, where, relPath);
      const box = faceBox(row.fields, [columns.face_x, columns.face_y, columns.face_width, columns.face_height], where);
      if (label === undefined) continue;
      const dir = path.dirname(full);
      if (!listings.has(dir)) listings.set(dir, await fileNames(dir));
      if (!listings.get(dir)?.has(path.basename(full))) {
        collector.skip('missing-file', relPath, `listed in ${file} but not found`);
        continue;
      }
      collector.add({ relPath, label, part, source: { kind: 'file', path: full, faceBox: box } }, where);
    }
  }
  if (read.length === 0) {
    const expected = AFFECTNET_CSVS.map((c) => c.file).join(' or ');
    throw new DatasetError(`no AffectNet CSV in ${absRoot}: expected ${expected}`);
  }
  return collector.finish(read);
}

/** Reads AffectNet's `train_set|val_set/{images,annotations}` shape at `root`. */
export async function readAffectNetNpy(root: string, options: LayoutReadOptions = {}): Promise<LayoutDataset> {
  const absRoot = path.resolve(root);
  const collector = new SampleCollector('affectnet-npy', absRoot, options);
  const read: string[] = [];
  for (const { dir, part } of AFFECTNET_SETS) {
    const annotations = await fileNames(path.join(absRoot, dir, 'annotations'));
    if (annotations === undefined) continue;
    read.push(`${dir}/annotations`);
    const images = await fileNames(path.join(absRoot, dir, 'images')) ?? new Set<string>();
    const labelFiles = [...annotations].filter((n) => n.endsWith(LABEL_SUFFIX));
    const ids = labelFiles.map((n) => n.slice(0, -LABEL_SUFFIX.length)).sort();
    await mapLimit(ids, 16, async (id) => {
      const shownAs = `${dir}/annotations/${id}_exp.npy`;
      const code = await readNpyLabel(path.join(absRoot, dir, 'annotations', `${id}_exp.npy`), shownAs);
      const relPath = `${dir}/images/${id}.jpg`;
      const label = keptLabel(collector, code, shownAs, relPath);
      if (label === undefined) return;
      if (!images.has(`${id}.jpg`)) {
        collector.skip('missing-file', relPath, `${shownAs} has no image ${relPath}`);
        return;
      }
      const source = { kind: 'file' as const, path: path.join(absRoot, dir, 'images', `${id}.jpg`) };
      collector.add({ relPath, label, part, source }, shownAs);
    }, options.signal);
  }
  if (read.length === 0) {
    const expected = AFFECTNET_SETS.map((s) => `${s.dir}/annotations/`).join(' or ');
    throw new DatasetError(`no AffectNet annotations in ${absRoot}: expected ${expected}`);
  }
  return collector.finish(read);
}
