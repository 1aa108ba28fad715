import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { DashboardPanel } from '../panels/dashboardPanel';
import { runTrainingWizard } from '../training/trainingWizard';

/**
 * Trains a model in the editor: with a run-config file (Explorer context menu, or a Uri) it trains that file's
 * run; otherwise the quick picks ask for the settings. The dashboard opens beside the editor; the command ends
 * when the run does.
 */
export function trainModel(ctx: Ctx): (config?: vscode.Uri) => Promise<void> {
  return async (config) => {
    const root = vscode.workspace.workspaceFolders?.[0]?.uri;
    if (!root) {
      void vscode.window.showErrorMessage('AU Lens: open a folder first: training writes its run to ' +
        '<workspace>/runs/<name>.', 'Open Folder…')
        .then((a) => a && vscode.commands.executeCommand('workbench.action.files.openFolder'));
      return;
    }
    const picked = config instanceof vscode.Uri
      ? { kind: 'config' as const, file: config } : await runTrainingWizard(root);
    if (!picked) return;
    await DashboardPanel.follow(ctx, () => (picked.kind === 'config'
      ? ctx.training.startConfig(picked.file) : ctx.training.start(picked.request)));
  };
}
