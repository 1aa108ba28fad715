/**
 * The rules every dataset reader follows with files it did not write (issue 18): a file is opened only when it is a
 * regular file under a size cap (a FIFO named `list.txt` would hang a read; a 40 GB "CSV" would fill memory), a path
 * named inside a dataset file stays inside the dataset root, and an error shows at most a short, escaped excerpt of
 * the field at fault, never the file's contents.
 */
import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { DatasetError } from '../dataset';

/** Streamed files (CSVs, lists): far above FER2013's 290 MB or AffectNet's CSVs, far below a runaway file. */
export const STREAMED_FILE_CAP = 4 * 1024 ** 3;
/** One CSV record: a FER2013 pixel string is ~9 KB, an AffectNet landmark field ~1 KB. */
export const RECORD_CAP = 1024 * 1024;
/** Files read whole: an AffectNet `_exp.npy` (~130 bytes), a RAF-DB box file (~40 bytes). */
export const SMALL_FILE_CAP = 64 * 1024;

function bytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  return n >= 1024 ** 2 ? `${(n / 1024 ** 2).toFixed(1)} MiB` : `${n} bytes`;
}

/**
 * A field of a dataset file as it may appear in a message: at most 40 characters, JSON-escaped (so control
 * characters and quotes cannot forge output), with the full length when cut.
 */
export function excerpt(value: string): string {
  const cut = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return `${JSON.stringify(cut)}${value.length > 40 ? ` (${value.length} characters)` : ''}`;
}

/** A path for messages: relative to the root when inside it. */
export function shown(root: string, file: string): string {
  const rel = path.relative(root, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : file;
}

/**
 * The stats of `file` if it is a regular file of at most `cap` bytes (links followed); otherwise a DatasetError
 * that says what it is instead. `what` names the file's role ("the RAF-DB label list").
 */
export async function regularFile(file: string, cap: number, what: string): Promise<Stats> {
  let info: Stats;
  try {
    info = await stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new DatasetError(code === 'ENOENT'
      ? `${what} ${file} does not exist`
      : `cannot read ${what} ${file} (${code})`);
  }
  if (!info.isFile()) {
    const kind = info.isDirectory() ? 'a folder' : 'not a regular file';
    throw new DatasetError(`${what} ${file} is ${kind}; give the file itself`);
  }
  if (info.size > cap) {
    throw new DatasetError(`${what} ${file} is ${bytes(info.size)}, above the ${bytes(cap)} limit for such a file`);
  }
  return info;
}

/** Whether `file` exists as a regular file (links followed). */
export async function isRegularFile(file: string): Promise<boolean> {
  return stat(file).then((s) => s.isFile(), () => false);
}

/**
 * The absolute path of `named`, a path written inside a dataset file, resolved against `base` (a folder inside
 * `root`). Refused when it is absolute or its `..` steps leave `root`: a list must not make the trainer read
 * `/etc/passwd` or `../../secrets`. Checked on the text of the path; links inside the root are followed later, as
 * datasets are often assembled from links.
 */
export function insideRoot(root: string, base: string, named: string, where: string): string {
  if (named === '' || named.includes('\0')) {
    throw new DatasetError(`${where}: the path ${excerpt(named)} is empty or holds a NUL character`);
  }
  const posixish = named.replace(/\\/g, '/');
  if (path.isAbsolute(named) || path.posix.isAbsolute(posixish) || /^[A-Za-z]:/.test(posixish)) {
    throw new DatasetError(`${where}: the path ${excerpt(named)} is absolute; ` +
      'paths in a dataset file must be relative to its folder');
  }
  const full = path.resolve(base, ...posixish.split('/'));
  const rel = path.relative(root, full);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new DatasetError(`${where}: the path ${excerpt(named)} leads outside the dataset folder ${root}`);
  }
  return full;
}

/** `relPath`-style id of a file inside the root: '/'-separated. */
export function relId(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

/**
 * Names of the entries of `dir` that may be files (regular files and links; a link is checked when it is opened),
 * or undefined when `dir` is not a readable folder. One listing answers "is it there?" for a whole folder, instead of
 * one stat per listed image. Hidden names are left out: a copy unpacked on macOS holds `._<name>` resource forks
 * beside every file, which are not the files they are named after.
 */
export async function fileNames(dir: string): Promise<Set<string> | undefined> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    const files = entries.filter((e) => !e.name.startsWith('.') && (e.isFile() || e.isSymbolicLink()));
    return new Set(files.map((e) => e.name));
  } catch {
    return undefined;
  }
}
