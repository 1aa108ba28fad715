/**
 * Paths that a model's own files name (a sidecar's codebook, an ONNX model's external data) must stay inside the
 * model's folder: a file from an untrusted workspace must not make AU Lens read /etc/passwd or ../../secrets.
 */
import { realpath } from 'node:fs/promises';
import * as path from 'node:path';

/** A path that leaves its folder; `problem` is the sentence after the naming file, quoting only the path. */
export class OutsideFolderError extends Error {
  override readonly name = 'OutsideFolderError';
}

/**
 * `relative` resolved inside `folder`: refused when it is absolute, climbs out with `..`, or leads out through a
 * symbolic link (both sides are resolved). A path that does not exist is returned as resolved, for the reader's
 * own "file not found".
 */
export async function resolveInside(folder: string, relative: string, what: string): Promise<string> {
  const parts = relative.split(/[\\/]+/);
  if (path.isAbsolute(relative) || path.win32.isAbsolute(relative) || /^[a-zA-Z]:/.test(relative)) {
    throw new OutsideFolderError(`${what} "${relative}" must be a path relative to the model's folder, not absolute`);
  }
  if (parts.includes('..')) {
    throw new OutsideFolderError(`${what} "${relative}" must stay inside the model's folder (no "..")`);
  }
  const target = path.resolve(folder, relative);
  const real = await realpath(target).catch(() => undefined);
  if (real === undefined) return target;
  const root = await realpath(folder);
  if (real !== root && !real.startsWith(root.endsWith(path.sep) ? root : root + path.sep)) {
    throw new OutsideFolderError(
      `${what} "${relative}" leads outside the model's folder through a symbolic link; copy the file into the folder`,
    );
  }
  return real;
}
