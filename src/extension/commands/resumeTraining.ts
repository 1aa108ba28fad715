import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { DashboardPanel } from '../panels/dashboardPanel';
import { pickRun } from '../training/pickRun';

/**
 * Continues a cancelled or interrupted run from its last.ckpt. With a run folder (Uri or path: the dashboard, the
 * notifications) it resumes that run; otherwise it asks which.
 */
export function resumeTraining(ctx: Ctx): (folder?: vscode.Uri | string) => Promise<void> {
  return async (folder) => {
    const target = folder instanceof vscode.Uri ? folder.fsPath : folder ?? await pickRun(ctx.training, {
      title: 'AU Lens: Resume Training', placeholder: 'The run to continue from its last checkpoint',
      none: 'no cancelled or interrupted run to resume in this workspace.',
      keep: (r) => r.status === 'cancelled' || r.status === 'interrupted',
    });
    if (target === undefined) return;
    await DashboardPanel.follow(ctx, () => ctx.training.resume(target));
  };
}
