/**
 * The files a run folder owns: what training, evaluation and Export ONNX write there, and the temp files of their
 * interrupted writes (io/atomicFile.ts names them `.<name>.<pid>.<hex>.tmp`). A new run goes only into a folder
 * that holds nothing else, so that Delete Run, which removes only such folders, never takes a user's files with it.
 */
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { isEvalFileName } from '../eval/evalFile';
import { SIDECAR_SUFFIX } from '../import/sidecar';
import { RUN_LOCK_FILE } from './runLock';
import { PROGRESS_FILE, RUN_FILE } from './runLog';

/** The log a sweep task appends each attempt on this machine to (sweep/localRunner.ts), inside its run's folder. */
export const LOCAL_LOG = 'local.log';
/** The log of an attempt as a Slurm array task (sweep/slurmScript.ts): slurm-<job>_<task>.log. */
const SLURM_TASK_LOG = /^slurm-\d+_\d+\.log$/;

const OWNED_NAMES = new Set([RUN_FILE, RUN_LOCK_FILE, PROGRESS_FILE, 'manifest.json', LOCAL_LOG]);

/** Whether a run folder named `run` owns the file `name`. */
export function runOwns(run: string, name: string): boolean {
  const temp = /^\.(.+)\.\d+\.[0-9a-f]+\.tmp$/.exec(name);
  const base = temp ? temp[1]! : name;
  const exported = base.startsWith(`${run}-`) && (base.endsWith('.onnx') || base.endsWith(SIDECAR_SUFFIX));
  return OWNED_NAMES.has(base) || SLURM_TASK_LOG.test(base) || base.endsWith('.ckpt') || isEvalFileName(base) ||
    exported;
}

/** The names in `folder` that are not its run's, sorted; none for a missing folder. By name: see runDeletion.ts. */
export async function foreignEntries(folder: string): Promise<string[]> {
  const names = await readdir(folder).catch(() => [] as string[]);
  return names.filter((name) => !runOwns(path.basename(folder), name)).sort();
}

/** "a.png, b.png, c.png and 2 more". */
export function someNames(names: readonly string[]): string {
  return names.slice(0, 3).join(', ') + (names.length > 3 ? ` and ${names.length - 3} more` : '');
}

/**
 * Why `out` cannot take a new run training on `data` (undefined: it can): it is or holds the data, or it holds
 * files that are not a run's — `.` or a parent folder given by mistake, a dataset, a workspace.
 */
export async function newRunFolderProblem(out: string, data: string): Promise<string | undefined> {
  const rel = path.relative(path.resolve(out), path.resolve(data));
  if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) {
    return `${out} is the dataset's folder or holds it; give a folder of its own for the run, e.g. runs/<name>`;
  }
  const others = await foreignEntries(out);
  return others.length === 0 ? undefined : `${out} holds files that are not a run's (${someNames(others)}); give ` +
    'a new or empty folder for the run, e.g. runs/<name>';
}
