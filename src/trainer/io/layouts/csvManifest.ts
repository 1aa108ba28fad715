/**
 * A plain CSV manifest for any dataset without a layout of its own: a header naming `path` and `label`, optionally
 * `subject` and `split`, e.g.
 *
 *   path,label,subject,split
 *   images/p01/smile.jpg,happy,p01,train
 *
 * Paths are relative to the CSV's folder and must stay inside it; labels are class names (any case, synonyms);
 * split is train, val (or validation) or test and, when the column is there, gives the official split.
 */
import * as path from 'node:path';
import type { SplitName } from '../../science/split';
import { DatasetError } from '../dataset';
import { namedLabel, SampleCollector } from './collect';
import { excerpt, fileNames, insideRoot, relId } from './safeFiles';
import { checkWidth, headerColumns, textRows } from './textRows';
import type { LayoutDataset, LayoutReadOptions } from './types';

const PARTS: Readonly<Record<string, SplitName>> = { train: 'train', val: 'val', validation: 'val', test: 'test' };

/** Reads the CSV manifest `file`; its folder is the dataset root. */
export async function readCsvManifest(file: string, options: LayoutReadOptions = {}): Promise<LayoutDataset> {
  const absFile = path.resolve(file);
  const root = path.dirname(absFile);
  const name = path.basename(absFile);
  const shown = { what: 'CSV manifest', shownAs: name };
  const { rows } = await textRows(absFile, { ...shown, format: 'csv', signal: options.signal });
  const collector = new SampleCollector('csv-manifest', root, options);
  const listings = new Map<string, Set<string> | undefined>();
  let columns: Record<'path' | 'label' | 'subject' | 'split', number> | undefined;
  let width = 0;
  for await (const row of rows) {
    if (columns === undefined) {
      columns = headerColumns(row.fields, ['path', 'label', 'subject', 'split'], shown, ['subject', 'split']);
      width = row.fields.length;
      continue;
    }
    const where = `${name} line ${row.line}`;
    checkWidth(row, width, where);
    const full = insideRoot(root, root, row.fields[columns.path]!.trim(), where);
    const relPath = relId(root, full);
    const label = namedLabel(row.fields[columns.label]!, where);
    let part: SplitName | undefined;
    if (columns.split >= 0) {
      const value = row.fields[columns.split]!;
      part = PARTS[value.trim().toLowerCase()];
      if (part === undefined) {
        throw new DatasetError(`${where}: split ${excerpt(value)} is none of train, val, validation, test`);
      }
    }
    const subject = columns.subject >= 0 ? row.fields[columns.subject]!.trim() : '';
    const dir = path.dirname(full);
    if (!listings.has(dir)) listings.set(dir, await fileNames(dir));
    if (!listings.get(dir)?.has(path.basename(full))) {
      collector.skip('missing-file', relPath, `listed in ${name} but not found`);
      continue;
    }
    const source = { kind: 'file' as const, path: full };
    const optional = { ...(part !== undefined && { part }), ...(subject !== '' && { subject }) };
    collector.add({ relPath, label, source, ...optional }, where);
  }
  if (columns === undefined) {
    throw new DatasetError(`CSV manifest ${name} is empty; ` +
      'its first line must be a header such as path,label,subject,split');
  }
  return collector.finish([name]);
}
