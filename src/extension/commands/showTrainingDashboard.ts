import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { DashboardPanel } from '../panels/dashboardPanel';
import { pickRun } from '../training/pickRun';

/** Opens the dashboard of a run: the given folder, else the run in progress, else the one the user picks. */
export function showTrainingDashboard(ctx: Ctx): (folder?: vscode.Uri | string) => Promise<void> {
  return async (folder) => {
    const target = folder instanceof vscode.Uri ? folder.fsPath : folder ?? ctx.training.current?.folder
      ?? await pickRun(ctx.training, {
      title: 'AU Lens: Training Dashboard', placeholder: 'The run to show',
      none: 'no training runs in this workspace yet.',
    });
    if (target !== undefined) await DashboardPanel.show(ctx, target, false);
  };
}
