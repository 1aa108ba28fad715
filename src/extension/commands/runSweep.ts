import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LoadedSweep } from '../../trainer/sweep/loadSweep';
import { loadSweep } from '../../trainer/sweep/loadSweep';
import { hasSbatch } from '../../trainer/sweep/slurm';
import type { Ctx } from '../ctx';
import { askSlurmOptions, confirmLargeSweep, pickWhere, sweepTargetOrPick } from '../sweeps/sweepPicks';

/** The sweep file read and expanded; a file that cannot run is reported with its place at fault, and opened. */
async function loadOrReport(file: string): Promise<LoadedSweep | undefined> {
  try {
    return await loadSweep(file);
  } catch (err) {
    const open = 'Open Sweep File';
    const picked = await vscode.window.showErrorMessage(`AU Lens: ${(err as Error).message}`, open);
    if (picked === open) await vscode.window.showTextDocument(vscode.Uri.file(file));
    return undefined;
  }
}

/**
 * Runs a sweep: its file from the argument (Explorer or editor context menu, the Runs view), the editor or a pick;
 * a sweep of more than 1,000 runs asks first; then here or on Slurm (offered where sbatch is on the PATH), with
 * progress and cancel in a notification and the status bar. Resolves when the sweep has ended.
 */
export function runSweep(ctx: Ctx): (arg?: unknown) => Promise<void> {
  return async (arg) => {
    const target = await sweepTargetOrPick(arg, 'AU Lens: Run Sweep');
    if (target === undefined) return;
    const loaded = await loadOrReport(path.resolve(target.file));
    if (!loaded || !(await confirmLargeSweep(loaded))) return;
    const env = ctx.config.workerEnv();
    const where = await pickWhere(loaded, hasSbatch(env));
    if (where === undefined) return;
    const { parallel, node, slurmOptions } = ctx.config.sweeps;
    let args: string[] = [];
    if (where === 'local') args = parallel > 0 ? ['--parallel', String(parallel)] : [];
    else {
      const options = await askSlurmOptions(slurmOptions);
      if (options === undefined) return;
      // The compute nodes start the node binary that submitted, unless the options or the setting name another.
      const named = options.some((o) => o === '--node' || o.startsWith('--node='));
      args = [...options, ...(node && !named ? ['--node', node] : [])];
    }
    await ctx.sweeps.run(loaded, where, args);
  };
}
