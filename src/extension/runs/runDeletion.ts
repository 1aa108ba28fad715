/**
 * What Delete Run may remove: a run folder that holds only what a run owns (trainer/train/runFiles.ts: run.json,
 * run.lock, progress.jsonl, manifest.json, checkpoints, eval files, exports, temp files) inside a workspace folder,
 * never a workspace folder itself or a folder above one. Anything else in it (a dataset, a notebook, a subfolder)
 * is the user's, so the run is refused with what was found rather than trashed with it. Plain node: the unit
 * tests build the folders.
 */
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { foreignEntries, someNames } from '../../trainer/train/runFiles';
import { isInside } from '../panels/workspacePaths';

/** A run folder Delete Run must not remove, and why. */
export class RunDeletionRefused extends Error {
  override readonly name = 'RunDeletionRefused';
}

/**
 * The files of `folder` Delete Run would remove, once it is sure they are all the run's; RunDeletionRefused naming
 * the reason otherwise.
 */
export async function runFilesToDelete(folder: string, workspace: readonly string[]): Promise<string[]> {
  const full = path.resolve(folder);
  if (!workspace.some((w) => isInside(full, w))) {
    throw new RunDeletionRefused(workspace.some((w) => path.resolve(w) === full || isInside(w, full))
      ? `${full} is a workspace folder or holds one; AU Lens deletes run folders inside the workspace only`
      : `${full} is outside the workspace; AU Lens deletes run folders inside the workspace only`);
  }
  // By type too: a folder named like a run's file (best.ckpt/) may hold anything.
  const folders = (await readdir(full, { withFileTypes: true })).filter((e) => !e.isFile()).map((e) => e.name);
  const others = [...new Set([...await foreignEntries(full), ...folders])].sort();
  if (others.length > 0) {
    throw new RunDeletionRefused(`${full} holds files that are not the run's (${someNames(others)}); AU Lens ` +
      'deletes only folders that hold nothing but a run. Move them out first, or delete the folder yourself');
  }
  return (await readdir(full)).map((name) => path.join(full, name)).sort();
}
