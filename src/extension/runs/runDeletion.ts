/**
 * What Delete Run may remove: a run folder that holds only what a run owns — run.json, run.lock, progress.jsonl,
 * manifest.json, checkpoints, eval files, ONNX exports named as Export ONNX names them (with their sidecars) and
 * the temp files of interrupted writes of these — inside a workspace folder, never a workspace folder itself or a
 * folder above one. Anything else in it (a dataset, a notebook, a subfolder) is the user's, so the run is refused
 * with what was found rather than trashed with it. Plain node: the unit tests build the folders.
 */
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { isEvalFileName } from '../../trainer/eval/evalFile';
import { SIDECAR_SUFFIX } from '../../trainer/import/sidecar';
import { RUN_LOCK_FILE } from '../../trainer/train/runLock';
import { PROGRESS_FILE, RUN_FILE } from '../../trainer/train/runLog';
import { isInside } from '../panels/workspacePaths';

const OWNED_NAMES = new Set([RUN_FILE, RUN_LOCK_FILE, PROGRESS_FILE, 'manifest.json']);

/** Whether a run folder named `run` owns the file `name` (atomicFile.ts names temp files `.<name>.<pid>.<hex>.tmp`). */
export function runOwns(run: string, name: string): boolean {
  const temp = /^\.(.+)\.\d+\.[0-9a-f]+\.tmp$/.exec(name);
  const base = temp ? temp[1]! : name;
  const exported = base.startsWith(`${run}-`) && (base.endsWith('.onnx') || base.endsWith(SIDECAR_SUFFIX));
  return OWNED_NAMES.has(base) || base.endsWith('.ckpt') || isEvalFileName(base) || exported;
}

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
  const entries = await readdir(full, { withFileTypes: true });
  const others = entries.filter((e) => !e.isFile() || !runOwns(path.basename(full), e.name)).map((e) => e.name)
    .sort();
  if (others.length > 0) {
    const shown = others.slice(0, 3).join(', ') + (others.length > 3 ? ` and ${others.length - 3} more` : '');
    throw new RunDeletionRefused(`${full} holds files that are not the run's (${shown}); AU Lens deletes only ` +
      'folders that hold nothing but a run. Move them out first, or delete the folder yourself');
  }
  return entries.map((e) => path.join(full, e.name)).sort();
}
