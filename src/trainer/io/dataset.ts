/**
 * Reading an image-folder dataset (`<root>/<class>/**\/<image>`) into a list of labelled samples
 * with subject ids (manifest.ts records exactly what a run trained on).
 * Images are not decoded here: a corrupt image is found, and recorded, by whoever decodes it.
 */
import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { Expression } from '../science/labels';
import { EXPRESSIONS, isExpression, parseExpression } from '../science/labels';

/** A dataset that cannot be used as given; the message says what to change. */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
}

/**
 * CK+ file names start with the subject (`S010_004_00000017.png`). Matched against the path inside
 * the class folder, so the prefix is also found when images sit in subfolders (`happy/a/S010_...`).
 */
export const DEFAULT_SUBJECT_PATTERN = /(?:^|\/)(S\d{3})_/;

/** Formats sharp decodes. BMP and GIF are left out: sharp cannot read BMP, and GIFs are rarely faces. */
export const DEFAULT_IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff'];

export interface ReadImageFolderOptions {
  /**
   * Finds the subject in the '/'-separated path of a file inside its class folder (for flat class
   * folders, the file name). The first capture group is the subject id, or the whole match when
   * the pattern has no group. A string is compiled with `new RegExp`. Default: CK+ `S###_` prefix.
   * A file that does not match becomes its own subject, with one warning counting such files.
   */
  readonly subjectPattern?: RegExp | string;
  /** Keep only these classes (e.g. drop contempt); the others' files are skipped with a reason. */
  readonly classes?: readonly Expression[];
  /** Image extensions, with or without the dot, any case. Default: DEFAULT_IMAGE_EXTENSIONS. */
  readonly extensions?: readonly string[];
}

export interface DatasetSample {
  /** Absolute path. */
  readonly path: string;
  /** Path relative to the root with '/' separators: stable across machines, used in manifests. */
  readonly relPath: string;
  readonly label: Expression;
  readonly subject: string;
}

export type SkipKind =
  | 'hidden'
  | 'not-an-image'
  | 'unknown-class'
  | 'excluded-class'
  | 'outside-class-folder'
  | 'unreadable'
  | 'already-read';

export interface SkippedFile {
  /** Absolute path (a hidden or unreadable folder is one entry, not one per file inside it). */
  readonly path: string;
  readonly kind: SkipKind;
  /** A sentence for people. */
  readonly reason: string;
}

export interface Dataset {
  /** Absolute root. */
  readonly root: string;
  /** Sorted by relPath, so the order (and any split of it) does not depend on the file system. */
  readonly samples: readonly DatasetSample[];
  readonly skipped: readonly SkippedFile[];
  readonly warnings: readonly string[];
  /** Classes with at least one sample: in the order of `options.classes` when given, else EXPRESSIONS order. */
  readonly classes: readonly Expression[];
  /** Images per class, for the classes present. */
  readonly classCounts: Readonly<Partial<Record<Expression, number>>>;
}

/** Prefix of the subject id given to a file that the subject pattern does not match. */
export const UNMATCHED_SUBJECT_PREFIX = 'file:';

/** The subject pattern as a RegExp (default: the CK+ prefix); a bad pattern is a DatasetError naming it. */
export function compileSubjectPattern(pattern: RegExp | string | undefined): RegExp {
  if (pattern === undefined) return DEFAULT_SUBJECT_PATTERN;
  let re: RegExp;
  try {
    re = typeof pattern === 'string' ? new RegExp(pattern) : pattern;
  } catch (err) {
    throw new DatasetError(`invalid subject pattern "${String(pattern)}": ${(err as Error).message}`);
  }
  // A global or sticky RegExp keeps lastIndex between exec calls and would skip matches.
  return new RegExp(re.source, re.flags.replace(/[gy]/g, ''));
}

function normaliseExtensions(extensions: readonly string[] | undefined): Set<string> {
  const list = extensions ?? DEFAULT_IMAGE_EXTENSIONS;
  if (list.length === 0) throw new DatasetError('extensions is empty: no file could be an image');
  return new Set(list.map((e) => (e.startsWith('.') ? e : `.${e}`).toLowerCase()));
}

export function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

interface WalkResult {
  readonly files: string[];
  readonly skipped: SkippedFile[];
}

/**
 * All files below `dir`, following symbolic links (datasets are often assembled from links) but
 * never into a folder already visited, so a link cycle cannot loop. Hidden entries are skipped.
 */
async function walk(dir: string, visited: Set<string>, out: WalkResult): Promise<void> {
  let entries: Dirent[];
  try {
    const real = await realpath(dir);
    if (visited.has(real)) {
      out.skipped.push({
        path: dir,
        kind: 'already-read',
        reason: `same folder as ${real}, already read through another link`,
      });
      return;
    }
    visited.add(real);
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    out.skipped.push({ path: dir, kind: 'unreadable', reason: `cannot read folder (${errorCode(err)})` });
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.name.startsWith('.')) {
      out.skipped.push({ path: full, kind: 'hidden', reason: `hidden ${entry.isDirectory() ? 'folder' : 'file'}` });
      continue;
    }
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      try {
        const target = await stat(full);
        isDir = target.isDirectory();
        isFile = target.isFile();
      } catch (err) {
        out.skipped.push({ path: full, kind: 'unreadable', reason: `broken link (${errorCode(err)})` });
        continue;
      }
    }
    if (isDir) await walk(full, visited, out);
    else if (isFile) out.files.push(full);
  }
}

function knownClassesHint(): string {
  return `known class names: ${EXPRESSIONS.join(', ')} (any case; synonyms such as angry, happiness, surprised, ` +
    `sadness, fearful, disgusted, normal are accepted)`;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
}

/**
 * Reads `<root>/<class folder>/**\/<image>`. Class folders are matched to expressions by name, any
 * case, synonyms included (`angry/`, `Happiness/`); two folders of one class are merged, with a
 * warning. Skipped, each with a reason: hidden entries, non-image files, files of unknown class
 * folders (one warning per folder), files of classes left out by `options.classes`, files directly
 * in the root, unreadable folders and broken links.
 *
 * Throws DatasetError when the root is missing or not a folder, when no image is found, or when
 * only one class has images.
 */
export async function readImageFolder(root: string, options: ReadImageFolderOptions = {}): Promise<Dataset> {
  const absRoot = path.resolve(root);
  const subjectPattern = compileSubjectPattern(options.subjectPattern);
  const extensions = normaliseExtensions(options.extensions);
  const keep = options.classes;
  if (keep !== undefined) {
    const bad = keep.filter((c) => !isExpression(c));
    if (bad.length > 0) {
      throw new DatasetError(`unknown class(es) in classes: ${bad.join(', ')}; ${knownClassesHint()}`);
    }
    if (keep.length === 0) throw new DatasetError('classes is empty: keep at least two classes');
  }

  let rootEntries: Dirent[];
  try {
    const info = await stat(absRoot);
    if (!info.isDirectory()) {
      throw new DatasetError(
        `dataset root ${absRoot} is a file, not a folder; give the folder that holds one subfolder per class`,
      );
    }
    rootEntries = await readdir(absRoot, { withFileTypes: true });
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    const code = errorCode(err);
    throw new DatasetError(code === 'ENOENT'
      ? `dataset root ${absRoot} does not exist; give the folder that holds one subfolder per class (e.g. happy/, sad/)`
      : `cannot read dataset root ${absRoot} (${code})`);
  }
  rootEntries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const samples: DatasetSample[] = [];
  const skipped: SkippedFile[] = [];
  const warnings: string[] = [];
  const folderOfClass = new Map<Expression, string>();
  const visited = new Set<string>([await realpath(absRoot)]);
  const unmatched: string[] = [];
  let imagesInRoot = 0;

  for (const entry of rootEntries) {
    const full = path.join(absRoot, entry.name);
    if (entry.name.startsWith('.')) {
      skipped.push({ path: full, kind: 'hidden', reason: `hidden ${entry.isDirectory() ? 'folder' : 'file'}` });
      continue;
    }
    const found: WalkResult = { files: [], skipped: [] };
    let isDir = entry.isDirectory();
    if (entry.isSymbolicLink()) isDir = await stat(full).then((s) => s.isDirectory(), () => false);
    if (!isDir) {
      if (extensions.has(path.extname(entry.name).toLowerCase())) imagesInRoot++;
      skipped.push({
        path: full,
        kind: 'outside-class-folder',
        reason: 'not inside a class folder (expected <root>/<class>/<image>)',
      });
      continue;
    }
    await walk(full, visited, found);
    skipped.push(...found.skipped);

    const label = parseExpression(entry.name);
    if (label === undefined) {
      for (const file of found.files) {
        skipped.push({ path: file, kind: 'unknown-class', reason: `folder "${entry.name}" is not a known class` });
      }
      warnings.push(
        `folder "${entry.name}" is not a known class, so its ${found.files.length} file(s) were skipped; ` +
          `${knownClassesHint()}`,
      );
      continue;
    }
    const other = folderOfClass.get(label);
    if (other !== undefined) {
      warnings.push(`folders "${other}" and "${entry.name}" both mean ${label}; their images were merged`);
    }
    else folderOfClass.set(label, entry.name);

    for (const file of found.files) {
      if (!extensions.has(path.extname(file).toLowerCase())) {
        skipped.push({
          path: file,
          kind: 'not-an-image',
          reason: `extension is not one of ${[...extensions].join(' ')}`,
        });
        continue;
      }
      if (keep !== undefined && !keep.includes(label)) {
        skipped.push({
          path: file,
          kind: 'excluded-class',
          reason: `class ${label} is not among the selected classes (${keep.join(', ')})`,
        });
        continue;
      }
      const inClass = toPosix(path.relative(full, file));
      const match = subjectPattern.exec(inClass);
      const id = match?.[1] ?? match?.[0];
      const relPath = toPosix(path.relative(absRoot, file));
      let subject: string;
      if (id === undefined || id === '') {
        // No subject known: the file stands alone, which is safe for leakage only if each image is a different person.
        subject = `${UNMATCHED_SUBJECT_PREFIX}${relPath}`;
        unmatched.push(relPath);
      } else {
        subject = id;
      }
      samples.push({ path: file, relPath, label, subject });
    }
  }

  if (unmatched.length > 0) {
    warnings.push(
      `${unmatched.length} of ${samples.length} image(s) do not match the subject pattern ${String(subjectPattern)} ` +
        `(e.g. ${unmatched[0] ?? ''}); each is treated as its own subject, so near-duplicate images of one person ` +
        'could land in different splits. Give a subject pattern whose first capture group is the subject id',
    );
  }

  samples.sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
  const order = keep ?? EXPRESSIONS;
  const classCounts: Partial<Record<Expression, number>> = {};
  for (const label of order) {
    const n = samples.filter((s) => s.label === label).length;
    if (n > 0) classCounts[label] = n;
  }
  const classes = order.filter((label) => classCounts[label] !== undefined);

  if (samples.length === 0) {
    const hints: string[] = [];
    if (imagesInRoot > 0) {
      hints.push(
        `${imagesInRoot} image(s) sit directly in the root: move them into class folders, or point at the parent ` +
          `folder`,
      );
    }
    if (skipped.length > 0) hints.push(`skipped ${skipped.length} file(s): ${countBy(skipped, (s) => s.kind)}`);
    throw new DatasetError(`no images found in ${absRoot}; expected <root>/<class>/<image> with image extensions ` +
      `${[...extensions].join(' ')} and ${knownClassesHint()}${hints.length > 0 ? `. ${hints.join('; ')}` : ''}`);
  }
  if (classes.length < 2) {
    const only = classes[0] ?? '';
    const excluded = skipped.some((s) => s.kind === 'excluded-class')
      ? ' (other classes were left out by the classes option)'
      : '';
    throw new DatasetError(`only one class found in ${absRoot}: ${only} (${samples.length} images)${excluded}; ` +
      'a classifier needs at least two class folders');
  }
  return { root: absRoot, samples, skipped, warnings, classes, classCounts };
}
