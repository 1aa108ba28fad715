/**
 * Streams the rows of a CSV or whitespace-separated list, never holding more than one record, with the byte range of
 * each record so that one row can be read back later on its own (a FER2013 image is a row of a 290 MB file).
 *
 * Parsing is csv-parse's (the `csv` project's parser: RFC 4180 quotes, CRLF, BOM, a record size cap, byte and line
 * counts per record, and a Node stream API with no dependencies). Its errors are re-worded here: its own messages can
 * quote the file's text.
 */
import { createReadStream } from 'node:fs';
import type { Info } from 'csv-parse';
import { CsvError, parse } from 'csv-parse';
import { DatasetError } from '../dataset';
import { excerpt, RECORD_CAP, regularFile, STREAMED_FILE_CAP } from './safeFiles';

export interface TextRow {
  readonly fields: readonly string[];
  /** 1-based line where the record ends (a quoted field may span lines). */
  readonly line: number;
  /** The record's bytes in the file: [start, end), blank lines before it and its line break included. */
  readonly start: number;
  readonly end: number;
}

export interface TextRowsOptions {
  /** The file's role in messages: "FER2013 file". */
  readonly what: string;
  /** The name messages give the file: usually its path relative to the dataset root. */
  readonly shownAs: string;
  /** 'csv' (comma, with quotes) or 'whitespace' (runs of spaces or tabs, no quotes: RAF-DB's list). */
  readonly format: 'csv' | 'whitespace';
  readonly signal?: AbortSignal | undefined;
}

const CSV_PROBLEMS: Readonly<Record<string, string>> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed',
  CSV_INVALID_CLOSING_QUOTE: 'a closing quote is followed by text before the next comma',
  INVALID_OPENING_QUOTE: 'a quote opens inside an unquoted field',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'a closing quote is followed by text before the next comma',
  CSV_MAX_RECORD_SIZE: `a record is longer than ${RECORD_CAP / 1024 / 1024} MiB (is this the right file?)`,
};

function csvProblem(err: CsvError, options: TextRowsOptions): DatasetError {
  const line = typeof err['lines'] === 'number' ? ` line ${err['lines']}` : '';
  const problem = CSV_PROBLEMS[err.code]
    ?? `it cannot be parsed as ${options.format === 'csv' ? 'CSV' : 'a list'} (${err.code})`;
  return new DatasetError(`${options.what} ${options.shownAs}${line}: ${problem}`);
}

/** The file's size (checked: a regular file under the streamed-file cap) and its rows, header included. */
export async function textRows(file: string, options: TextRowsOptions):
  Promise<{ size: number; rows: AsyncGenerator<TextRow> }> {
  const info = await regularFile(file, STREAMED_FILE_CAP, options.what);
  return { size: info.size, rows: rowsOf(file, info.size, options) };
}

async function* rowsOf(file: string, size: number, options: TextRowsOptions): AsyncGenerator<TextRow> {
  const whitespace = options.format === 'whitespace';
  // `end` stops at the size checked above, so a file that grows while it is read cannot pass the cap.
  const stream = createReadStream(file, { end: Math.max(0, size - 1), signal: options.signal });
  const parser = stream.pipe(parse({
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: RECORD_CAP,
    ...(whitespace ? { delimiter: [' ', '\t'], quote: false } : {}),
  }));
  stream.on('error', (err) => parser.destroy(err));
  let start = 0;
  try {
    for await (const chunk of parser as AsyncIterable<{ record: string[]; info: Info }>) {
      const { record, info } = chunk;
      const fields = whitespace ? record.filter((f) => f !== '') : record;
      yield { fields, line: info.lines, start, end: info.bytes };
      start = info.bytes;
    }
  } catch (err) {
    if (err instanceof CsvError) throw csvProblem(err, options);
    if ((err as Error).name === 'AbortError') throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'read error';
    throw new DatasetError(`cannot read ${options.what} ${options.shownAs} (${code})`);
  } finally {
    stream.destroy();
  }
}

/** Throws, naming the line, when a data row has not as many fields as the header. */
export function checkWidth(row: TextRow, width: number, where: string): void {
  if (row.fields.length !== width) {
    throw new DatasetError(`${where}: expected ${width} fields like the header, found ${row.fields.length}`);
  }
}

/** The index of each wanted column in a header row, matched by name (trimmed, any case); throws naming a missing
 * one. */
export function headerColumns<K extends string>(header: readonly string[], wanted: readonly K[],
  options: Pick<TextRowsOptions, 'what' | 'shownAs'>, optional: readonly K[] = []): Record<K, number> {
  const names = header.map((h) => h.trim().toLowerCase());
  const out = {} as Record<K, number>;
  for (const name of wanted) {
    const i = names.indexOf(name.toLowerCase());
    if (i < 0 && !optional.includes(name)) {
      throw new DatasetError(`${options.what} ${options.shownAs} line 1: the header has no "${name}" column ` +
        `(expected ${wanted.filter((w) => !optional.includes(w)).join(', ')}; found ${excerpt(header.join(','))})`);
    }
    out[name] = i;
  }
  return out;
}
