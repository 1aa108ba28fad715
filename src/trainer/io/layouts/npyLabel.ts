/**
 * AffectNet's `<id>_exp.npy`: one label per file, saved by NumPy as a scalar or one-element array, an integer or a
 * string of digits (the widespread copy stores `'3'`, dtype `<U1`; the reference reads both with
 * `int(np.load(f).reshape((1,))[0])`). Parsed with npyjs (aplbrain/npyjs, maintained, `parse` takes a buffer so no
 * fetch is involved); anything else — floats, object arrays (pickles, never loaded), several values — is refused.
 */
import { readFile } from 'node:fs/promises';
import { DatasetError } from '../dataset';
import { excerpt, regularFile, SMALL_FILE_CAP } from './safeFiles';

const INTEGER_DTYPES = new Set(['i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8']);

function badDtype(shownAs: string, dtype: string): string {
  return `${shownAs}: dtype ${excerpt(dtype)} cannot hold a label; ` +
    'an expression label must be an integer or a string of digits';
}

/** The label in an `_exp.npy` file as a decimal string (checked against the label coding by the caller). */
export async function readNpyLabel(file: string, shownAs: string): Promise<string> {
  await regularFile(file, SMALL_FILE_CAP, 'AffectNet annotation');
  const bytes = await readFile(file);
  // npyjs is an ES module; this file compiles to CommonJS, which reaches it through import().
  const { parse } = await import('npyjs');
  let array: ReturnType<typeof parse>;
  try {
    array = parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  } catch (err) {
    const dtype = /^Unsupported dtype: (.*)$/.exec((err as Error).message)?.[1];
    const problem = err instanceof RangeError ? 'its header or data is cut short' : 'bad header';
    throw new DatasetError(dtype !== undefined
      ? badDtype(shownAs, dtype)
      : `${shownAs}: not a valid .npy file (${problem})`);
  }
  const { dtype, shape } = array;
  const isText = /^U\d+$/.test(dtype);
  if (!INTEGER_DTYPES.has(dtype) && !isText) {
    throw new DatasetError(badDtype(shownAs, dtype));
  }
  const values = array.data as unknown as ArrayLike<number | bigint | string>;
  if (shape.reduce((a, b) => a * b, 1) !== 1 || values.length !== 1) {
    throw new DatasetError(`${shownAs}: holds ${values.length} values (shape (${shape.join(', ')})); ` +
      'an expression label is one value');
  }
  return String(values[0]).trim();
}
