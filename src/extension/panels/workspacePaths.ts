/**
 * Which paths a panel may use when they come from somewhere it does not control: a page's restored state, an
 * eval file's image list. Plain node (no vscode): the panels pass the workspace folders in, and unit tests feed it.
 */
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { BUILTIN_MODEL } from '../../trainer/protocol';

/** Whether `file` lies strictly inside `folder` (by path: `/w2/x` is not inside `/w`, nor `/w/../x`). */
export function isInside(file: string, folder: string): boolean {
  const rel = path.relative(folder, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** Whether `file` is an absolute path inside one of `folders`. */
export function insideAny(file: string, folders: readonly string[]): boolean {
  return path.isAbsolute(file) && folders.some((f) => isInside(file, f));
}

/**
 * The folder a page may load `file` from: the file's own folder, or undefined when that is a file-system root —
 * one image at `/x.png` must not let the page read the whole disk.
 */
export function resourceFolder(file: string): string | undefined {
  const folder = path.dirname(path.resolve(file));
  return path.parse(folder).root === folder ? undefined : folder;
}

/**
 * The folder a page may load a dataset's images from: the dataset's folder, or the folder of a dataset given as a
 * file (a CSV manifest); undefined for a relative path or a file-system root.
 */
export function datasetFolder(data: string): string | undefined {
  if (!path.isAbsolute(data)) return undefined;
  const isFile = statSync(data, { throwIfNoEntry: false })?.isFile() === true;
  return resourceFolder(isFile ? data : path.join(data, 'x'));
}

/**
 * Checks the paths a restored page state names against the workspace: each must lie in a workspace folder (a
 * model may also be the built-in one, or the model the user chose, which may live elsewhere). Throws saying which
 * path was refused, so the panel is not rebuilt from a state the workspace does not back.
 */
export function checkRestoredPaths(paths: { readonly files: readonly string[]; readonly models?: readonly string[] },
  workspace: readonly string[], chosenModel?: string): void {
  for (const file of paths.files) {
    if (!insideAny(file, workspace)) throw new Error(`its saved state names ${file}, which is outside the workspace`);
  }
  for (const model of paths.models ?? []) {
    if (model !== BUILTIN_MODEL && model !== chosenModel && !insideAny(model, workspace)) {
      throw new Error(`its saved state names the model ${model}, which is outside the workspace`);
    }
  }
}
