import * as path from 'node:path';
import * as vscode from 'vscode';
import { WorkerRequestError } from '../../trainer/workerClient';
import type { Ctx } from '../ctx';
import { onImage } from './images';

/** Draws landmarks and every expression's AU heatmap on an image and opens the result beside it. */
export function showAuMaps(ctx: Ctx): (uri?: vscode.Uri) => Promise<void> {
  return onImage(async (image) => {
    const name = path.basename(image.fsPath);
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `AU Lens: drawing AU heatmaps on ${name}`,
        cancellable: true },
      async (_progress, token) => {
        const work = ctx.trainer.request('auMaps/draw', {
          imagePath: image.fsPath,
          codebook: ctx.config.codebook,
          maxPixels: ctx.config.maxImagePixels,
        });
        // The worker finishes the image anyway; cancelling only stops us from opening the result.
        const cancelled = new Promise<undefined>((resolve) => token.onCancellationRequested(() => resolve(undefined)));
        return Promise.race([work, cancelled]);
      },
    ).then(
      (r) => r,
      (err: Error) => {
        ctx.log.error(`${name}: ${err.message}`);
        const detail = err instanceof WorkerRequestError
          ? err.message : `${err.message} (details in the AU Lens output)`;
        void vscode.window.showErrorMessage(`AU Lens: ${detail}`, 'Show Output').then((a) => a && ctx.log.show());
        return undefined;
      },
    );
    if (!result) return;
    for (const line of [`AU maps of ${image.fsPath}`,
      ...result.report.expressions.map((e) =>
        `  ${e.expression}: ${e.aus.map((a) => `AU${a}`).join(' ')}`)]) ctx.log.info(line);
    const dir = vscode.Uri.joinPath(ctx.extCtx.globalStorageUri, 'aumaps');
    await vscode.workspace.fs.createDirectory(dir);
    const out = vscode.Uri.joinPath(dir, `${path.parse(name).name}-aumaps.png`);
    await vscode.workspace.fs.writeFile(out, result.png);
    await vscode.commands.executeCommand('vscode.open', out, { viewColumn: vscode.ViewColumn.Beside, preview: true });
  });
}
