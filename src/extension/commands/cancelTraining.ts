import * as vscode from 'vscode';
import type { Ctx } from '../ctx';

/** Stops the run in progress after its current step; it saves last.ckpt and can be resumed. */
export function cancelTraining(ctx: Ctx): () => Promise<void> {
  return async () => {
    if (!ctx.training.cancel()) void vscode.window.showInformationMessage('AU Lens: no run is training.');
  };
}
