import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunRecord } from '../../trainer/train/runLog';
import type { TrainingRuns } from './trainingRuns';

/**
 * A quick pick of the workspace's runs that `keep` accepts, latest first; undefined when the user escapes or there
 * is none (then `none` says so, with Train Model… as the way on).
 */
export async function pickRun(training: TrainingRuns, options: {
  title: string; placeholder: string; none: string; keep?: (record: RunRecord) => boolean;
}): Promise<string | undefined> {
  const runs = (await training.records()).filter(({ record }) => options.keep?.(record) ?? true);
  if (runs.length === 0) {
    void vscode.window.showInformationMessage(`AU Lens: ${options.none}`,
      'Train Model…').then((a) => a && vscode.commands.executeCommand('auLens.trainModel'));
    return undefined;
  }
  runs.sort((a, b) => b.record.updatedAt.localeCompare(a.record.updatedAt));
  const picked = await vscode.window.showQuickPick(runs.map(({ folder, record }) => ({
    label: record.name, description: `${record.status} · ${record.epochs.done}/${record.epochs.total} epochs`,
    detail: vscode.workspace.asRelativePath(path.dirname(folder)), folder,
  })), { title: options.title, placeHolder: options.placeholder });
  return picked?.folder;
}
