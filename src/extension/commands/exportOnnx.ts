import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { checkpointOf } from '../runs/runNodes';

/** Exports a checkpoint as a standalone ONNX model (in the worker), to a file chosen in a save dialog. */
export function exportOnnx(ctx: Ctx): (arg?: unknown) => Promise<void> {
  return async (arg) => {
    let checkpoint = checkpointOf(arg);
    if (checkpoint === undefined) {
      const active = ctx.models.active;
      if (active?.endsWith('.ckpt')) checkpoint = active;
    }
    if (checkpoint === undefined) {
      const files = await vscode.window.showOpenDialog({ title: 'AU Lens: Export ONNX — checkpoint',
        canSelectMany: false, filters: { 'AU Lens checkpoints': ['ckpt'] } });
      checkpoint = files?.[0]?.fsPath;
      if (checkpoint === undefined) return;
    }
    const suggested = path.join(path.dirname(checkpoint),
      `${path.basename(path.dirname(checkpoint))}-${path.basename(checkpoint, '.ckpt')}.onnx`);
    const target = await vscode.window.showSaveDialog({ title: 'AU Lens: Export ONNX',
      defaultUri: vscode.Uri.file(suggested), filters: { 'ONNX models': ['onnx'] } });
    if (!target) return;
    const summary = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification,
      title: `AU Lens: exporting ${path.basename(checkpoint)}`, cancellable: false },
      () => ctx.trainer.request('export/onnx', { checkpoint, out: target.fsPath }));
    ctx.log.info(`exported ${checkpoint} to ${summary.out} (${summary.bytes} bytes, ${summary.preset}, classes ` +
      `${summary.labels.join(', ')})`);
    const size = `${(summary.bytes / 1e6).toFixed(1)} MB`;
    const open = await vscode.window.showInformationMessage(
      `AU Lens: exported ${path.basename(summary.out)} (${size}).`, 'Explain with It', 'Reveal in Explorer');
    if (open === 'Explain with It') await vscode.commands.executeCommand('auLens.selectModel', summary.out);
    if (open === 'Reveal in Explorer') await vscode.commands.executeCommand('revealInExplorer',
      vscode.Uri.file(summary.out));
  };
}
