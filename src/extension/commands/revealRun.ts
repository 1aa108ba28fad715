import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { checkpointOf, isRunsNode, runFolderOf } from '../runs/runNodes';

/** Shows a run folder (or the checkpoint or eval file of the node, or a sweep's folder) in the Explorer. */
export function revealRun(_ctx: Ctx): (arg?: unknown) => Promise<void> {
  return async (arg) => {
    const target = isRunsNode(arg) && arg.kind === 'sweep' ? arg.sweep.out
      : isRunsNode(arg) && arg.kind === 'checkpoint' ? checkpointOf(arg)
        : isRunsNode(arg) && arg.kind === 'evaluation' ? arg.evaluation.file
          : runFolderOf(arg);
    if (target === undefined) throw new Error('pick a run in the Runs view to reveal');
    await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(target));
  };
}
