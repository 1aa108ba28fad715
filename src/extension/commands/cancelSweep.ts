import * as vscode from 'vscode';
import { cancelSweep as scancelSweep } from '../../trainer/sweep/slurmSweep';
import type { Ctx } from '../ctx';
import { sweepTargetOrPick } from '../sweeps/sweepPicks';
import { sweepDefinition } from '../sweeps/sweepView';

/**
 * Cancels a sweep: the one this window runs (as its notification's Cancel does), else, after asking, the Slurm
 * tasks it has queued or running (submitted from this window before, or from a terminal).
 */
export function cancelSweep(ctx: Ctx): (arg?: unknown) => Promise<void> {
  return async (arg) => {
    const target = await sweepTargetOrPick(arg, 'AU Lens: Cancel Sweep');
    if (!target) return;
    const sweep = await sweepDefinition(target.file, target.out);
    if (ctx.sweeps.cancel(sweep.out)) return;
    const go = 'Cancel Slurm Tasks';
    const answer = await vscode.window.showWarningMessage(`Cancel the Slurm tasks of the sweep "${sweep.name}"?`,
      { modal: true, detail: 'Running tasks save last.ckpt and stop; Run Sweep again resumes them.' }, go);
    if (answer !== go) return;
    const jobs = await scancelSweep(sweep.out, ctx.config.workerEnv());
    void vscode.window.showInformationMessage(jobs.length === 0
      ? `AU Lens: the sweep "${sweep.name}" has no queued or running Slurm task.`
      : `AU Lens: cancelled Slurm job(s) ${jobs.join(', ')} of the sweep "${sweep.name}".`);
  };
}
