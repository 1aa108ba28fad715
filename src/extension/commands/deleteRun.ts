import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { workspaceFolderPaths } from '../panels/basePanel';
import { runFilesToDelete } from '../runs/runDeletion';
import { runLockHolder } from '../runs/runLockHolder';
import { isRunsNode, runFolderOf } from '../runs/runNodes';
import { runStatus } from '../runs/runsTree';
import type { RunEntry } from '../runs/runScan';
import { readRun } from '../runs/runScan';

/**
 * Why `run` may not be deleted now (undefined: it may): it is training (run.json, or a live run lock) or its folder
 * holds more than the run, or lies outside the workspace (runDeletion.ts).
 */
async function refusal(run: RunEntry): Promise<string | undefined> {
  if (runStatus(run) === 'running') return `"${run.name}" is training; cancel it before deleting it.`;
  const holder = await runLockHolder(run.folder);
  if (holder) return `"${run.name}" is in use by a training (${holder}); wait for it to end or stop it first.`;
  return runFilesToDelete(run.folder, workspaceFolderPaths()).then(() => undefined, (err: Error) => err.message);
}

/**
 * Deletes a run folder after a modal confirmation that names it and what it holds. Only a folder that holds nothing
 * but the run, inside the workspace, and that no training holds — checked again once confirmed, since a training
 * may have started meanwhile. It goes to the trash where the platform has one, so a slip can be undone.
 */
export function deleteRun(ctx: Ctx): (arg?: unknown) => Promise<void> {
  return async (arg) => {
    const folder = runFolderOf(arg);
    if (folder === undefined) throw new Error('pick a run in the Runs view to delete');
    const run = isRunsNode(arg) && arg.kind !== 'metric' && arg.kind !== 'sweep'
      ? arg.run : await readRun(folder.endsWith('.ckpt') ? path.dirname(folder) : folder);
    const refused = await refusal(run);
    if (refused) {
      ctx.log.warn(`not deleting ${run.folder}: ${refused}`);
      void vscode.window.showWarningMessage(`AU Lens: ${refused}`);
      return;
    }
    const count = (n: number, what: string): string => `${n} ${what}${n > 1 ? 's' : ''}`;
    const parts = [
      run.checkpoints.length > 0
        && `${count(run.checkpoints.length, 'checkpoint')} (${run.checkpoints.map((c) => c.name).join(', ')})`,
      run.evaluations.length > 0 && count(run.evaluations.length, 'evaluation'),
    ].filter(Boolean);
    const answer = await vscode.window.showWarningMessage(`Delete the run "${run.name}"?`, {
      modal: true,
      detail: `The folder ${run.folder}${parts.length ? ` with ${parts.join(' and ')}` : ''} moves to the trash.`,
    }, 'Delete');
    if (answer !== 'Delete') return;
    const now = await refusal(await readRun(run.folder));
    if (now) {
      ctx.log.warn(`not deleting ${run.folder}: ${now}`);
      void vscode.window.showWarningMessage(`AU Lens: ${now}`);
      return;
    }
    const uri = vscode.Uri.file(run.folder);
    try {
      await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: true });
    } catch (err) {
      // Some remote and container file systems have no trash.
      const again = await vscode.window.showWarningMessage(`The trash is not available ` +
        `(${(err as Error).message}). Delete "${run.name}" permanently?`, { modal: true }, 'Delete Permanently');
      if (again !== 'Delete Permanently') return;
      await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: false });
    }
    ctx.log.info(`deleted run ${run.folder}`);
    await ctx.runs.refresh();
  };
}
