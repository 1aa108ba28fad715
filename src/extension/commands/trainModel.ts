import * as vscode from 'vscode';
import type { Ctx } from '../ctx';

/**
 * Starts `au-lens train` in a terminal on a data folder the user picks (one sub-folder per class). Training runs in
 * the CLI, where its progress and cancel (Ctrl+C, resumable) already work; its best.ckpt is then a model to select.
 */
export function trainModel(ctx: Ctx): () => Promise<void> {
  return async () => {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const data = await vscode.window.showOpenDialog({
      title: 'AU Lens: training data (one folder per class: happy/, sad/, …)', canSelectFiles: false, canSelectFolders: true, canSelectMany: false,
      ...(folder && { defaultUri: folder }),
    });
    if (!data?.[0]) return;
    const cli = vscode.Uri.joinPath(ctx.extCtx.extensionUri, 'bin', 'au-lens.js').fsPath;
    const out = folder ? vscode.Uri.joinPath(folder, 'runs', 'au-lens-run').fsPath : 'au-lens-run';
    const terminal = vscode.window.createTerminal({ name: 'AU Lens: train' });
    terminal.show();
    terminal.sendText(`node ${JSON.stringify(cli)} train --data ${JSON.stringify(data[0].fsPath)} --out ${JSON.stringify(out)}`);
    ctx.log.info(`training started in a terminal: data ${data[0].fsPath}, run folder ${out}`);
    void vscode.window.showInformationMessage(`AU Lens: training in the terminal. When it ends, select ${out}/best.ckpt as the model.`, 'Select Model…')
      .then((a) => a && vscode.commands.executeCommand('auLens.selectModel'));
  };
}
