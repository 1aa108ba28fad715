/**
 * FER2013 (Goodfellow et al. 2013) and FERPlus (Barsoum et al. 2016), both read from `fer2013.csv` (~290 MB,
 * streamed): one row per 48×48 grey face, `emotion,pixels,Usage`, Usage Training / PublicTest / PrivateTest =
 * train / validation / test, as is customary. FERPlus relabels the same rows with ten votes per image
 * (`fer2013new.csv`, row i ↔ row i of fer2013.csv), turned into one label by FERPlus's own "majority" rule
 * (science/datasetLabels.ts, ferPlusMajority); rows without a majority, "unknown" or "not a face" are dropped.
 */
import * as path from 'node:path';
import type { FerPlusLabel } from '../../science/datasetLabels';
import { FER2013_CODING, FERPLUS_VOTE_COLUMNS, ferPlusMajority } from '../../science/datasetLabels';
import type { SplitName } from '../../science/split';
import { DatasetError } from '../dataset';
import { codedLabel, SampleCollector } from './collect';
import { FER_SIDE, parsePixels } from './pixels';
import { FER2013_FILES, fer2013File, FERPLUS_FILE } from './detect';
import { excerpt } from './safeFiles';
import type { TextRow } from './textRows';
import { headerColumns, textRows } from './textRows';
import type { LayoutDataset, LayoutReadOptions, SampleSource } from './types';


const USAGE: Readonly<Record<string, SplitName>> = { training: 'train', publictest: 'val', privatetest: 'test' };

function usagePart(value: string, where: string): SplitName {
  const part = USAGE[value.trim().toLowerCase()];
  if (part === undefined) {
    throw new DatasetError(`${where}: Usage ${excerpt(value)} is none of Training, PublicTest, PrivateTest`);
  }
  return part;
}

function checkWidth(row: TextRow, header: readonly string[], where: string): void {
  if (row.fields.length !== header.length) {
    const names = header.map((h) => h.trim()).join(', ');
    throw new DatasetError(`${where}: expected ${header.length} fields (${names}), found ${row.fields.length}`);
  }
}

interface FerRow {
  readonly index: number;
  readonly line: number;
  readonly code: string;
  readonly part: SplitName;
  readonly source: SampleSource;
}

/** The rows of FER2013's file, each checked: field count, Usage, and a pixel string of 48 × 48 values 0–255. */
async function* ferRows(root: string, name: string, signal: AbortSignal | undefined): AsyncGenerator<FerRow> {
  const file = path.join(root, name);
  const shown = { what: 'FER2013 file', shownAs: name };
  const { size, rows } = await textRows(file, { ...shown, format: 'csv', signal });
  let header: readonly string[] | undefined;
  let columns: Record<'emotion' | 'pixels' | 'usage', number> | undefined;
  let index = 0;
  for await (const row of rows) {
    if (header === undefined || columns === undefined) {
      header = row.fields;
      columns = headerColumns(header, ['emotion', 'pixels', 'usage'], shown);
      continue;
    }
    const where = `${name} line ${row.line}`;
    checkWidth(row, header, where);
    const pixels = parsePixels(row.fields[columns.pixels]!, FER_SIDE, FER_SIDE);
    if (typeof pixels === 'string') throw new DatasetError(`${where}: ${pixels}`);
    const source: SampleSource = {
      kind: 'csv-pixels', file, fileSize: size, offset: row.start, length: row.end - row.start, line: row.line,
      column: columns.pixels, width: FER_SIDE, height: FER_SIDE,
    };
    const part = usagePart(row.fields[columns.usage]!, where);
    yield { index: index++, line: row.line, code: row.fields[columns.emotion]!, part, source };
  }
  if (header === undefined) throw new DatasetError(`FER2013 file ${name} is empty`);
}

const rowId = (name: string, index: number): string => `${name}#${String(index).padStart(7, '0')}`;

/** Reads FER2013 from `<root>/fer2013.csv` (or icml_face_data.csv). */
export async function readFer2013(root: string, options: LayoutReadOptions = {}): Promise<LayoutDataset> {
  const absRoot = path.resolve(root);
  const name = await fer2013File(absRoot);
  if (name === undefined) {
    throw new DatasetError(`no FER2013 file in ${absRoot}: expected ${FER2013_FILES.join(' or ')}`);
  }
  const collector = new SampleCollector('fer2013', absRoot, options);
  for await (const row of ferRows(absRoot, name, options.signal)) {
    const where = `${name} line ${row.line}`;
    const meaning = codedLabel(FER2013_CODING, row.code, where);
    if (!('expression' in meaning)) continue;
    const relPath = rowId(name, row.index);
    collector.add({ relPath, label: meaning.expression, part: row.part, source: row.source }, where);
  }
  return collector.finish([name]);
}

/** One fer2013new.csv row's label by FERPlus's majority rule; its vote counts checked. */
function ferPlusLabel(row: TextRow, voteColumns: readonly number[], where: string): FerPlusLabel {
  const votes = voteColumns.map((c) => {
    const text = row.fields[c]!.trim();
    const v = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
    if (!Number.isFinite(v)) throw new DatasetError(`${where}: vote ${excerpt(text)} is not a count ≥ 0`);
    return v;
  });
  return ferPlusMajority(votes);
}

const DROP_REASONS: Readonly<Record<Exclude<FerPlusLabel, { expression: unknown }>['dropped'], string>> = {
  'no-majority': 'no class has more than half of the votes (FERPlus majority mode drops it)',
  'voted-unknown': 'the majority voted "unknown"',
  'not-a-face': 'not a face (the majority voted NF, or FERPlus gives the row no image)',
};

const SAME_ORDER = '; the two files must list the same images in the same order';

/** Reads FERPlus: labels from `<root>/fer2013new.csv`, pixels from `<root>/fer2013.csv`, row by row. */
export async function readFerPlus(root: string, options: LayoutReadOptions = {}): Promise<LayoutDataset> {
  const absRoot = path.resolve(root);
  const pixelsName = await fer2013File(absRoot);
  if (pixelsName === undefined) {
    throw new DatasetError(`FERPlus at ${absRoot} needs FER2013's pixels too: put fer2013.csv beside ${FERPLUS_FILE} ` +
      '(FERPlus only has the votes)');
  }
  const shown = { what: 'FERPlus file', shownAs: FERPLUS_FILE };
  const labelFile = path.join(absRoot, FERPLUS_FILE);
  const { rows: labelRows } = await textRows(labelFile, { ...shown, format: 'csv', signal: options.signal });
  const pixelRows = ferRows(absRoot, pixelsName, options.signal);
  const collector = new SampleCollector('ferplus', absRoot, options);
  let header: readonly string[] | undefined;
  let columns: Record<string, number> = {};
  try {
    for await (const row of labelRows) {
      if (header === undefined) {
        header = row.fields;
        columns = headerColumns(header, ['usage', 'image name', ...FERPLUS_VOTE_COLUMNS], shown);
        continue;
      }
      const where = `${FERPLUS_FILE} line ${row.line}`;
      checkWidth(row, header, where);
      const pixels = await pixelRows.next();
      if (pixels.done) {
        throw new DatasetError(`${where}: ${pixelsName} has fewer rows than ${FERPLUS_FILE}${SAME_ORDER}`);
      }
      const part = usagePart(row.fields[columns['usage']!]!, where);
      if (part !== pixels.value.part) {
        throw new DatasetError(`${where}: its Usage disagrees with ${pixelsName} ` +
          `line ${pixels.value.line}${SAME_ORDER}`);
      }
      const relPath = rowId(pixelsName, pixels.value.index);
      const label: FerPlusLabel = row.fields[columns['image name']!]!.trim() === ''
        ? { dropped: 'not-a-face' }
        : ferPlusLabel(row, FERPLUS_VOTE_COLUMNS.map((c) => columns[c]!), where);
      if (!('expression' in label)) collector.skip(label.dropped, relPath, DROP_REASONS[label.dropped]);
      else collector.add({ relPath, label: label.expression, part, source: pixels.value.source }, where);
    }
    if (header === undefined) throw new DatasetError(`FERPlus file ${FERPLUS_FILE} is empty`);
    if (!(await pixelRows.next()).done) {
      throw new DatasetError(`${pixelsName} has more rows than ${FERPLUS_FILE}${SAME_ORDER}`);
    }
  } finally {
    await pixelRows.return(undefined);
  }
  return collector.finish([FERPLUS_FILE, pixelsName]);
}
