import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { errorHelp } from '../workerErrors';
import { showAuMaps } from './auMaps';
import { compareModels } from './compareModels';
import { deleteRun } from './deleteRun';
import { evaluateModel } from './evaluateModel';
import { exportOnnx } from './exportOnnx';
import { importOnnxModel } from './importOnnxModel';
import { openFailingImages } from '../evaluation/openFailingImages';
import { explainWithModel } from '../runs/explainWithModel';
import { refreshRuns } from './refreshRuns';
import { revealRun } from './revealRun';
import { explainExpression } from './explain';
import { selectModel } from './selectModel';
import { trainModel } from './trainModel';
import { resumeTraining } from './resumeTraining';
import { cancelTraining } from './cancelTraining';
import { showTrainingDashboard } from './showTrainingDashboard';
import { runSweep } from './runSweep';
import { showSweep } from './showSweep';
import { cancelSweep } from './cancelSweep';

type CommandFactory = (ctx: Ctx) => (...args: never[]) => Promise<void>;

/** Every command, by its id without the `auLens.` prefix; package.json declares the same ids. */
const COMMANDS: Readonly<Record<string, CommandFactory>> = {
  showAuMaps,
  compareModels,
  evaluateModel,
  exportOnnx,
  importOnnxModel,
  refreshRuns,
  revealRun,
  deleteRun,
  explainWithModel,
  openFailingImages,
  explainExpression,
  selectModel,
  trainModel,
  resumeTraining,
  cancelTraining,
  showTrainingDashboard,
  runSweep,
  showSweep,
  cancelSweep,
};

export function registerCommands(ctx: Ctx): void {
  for (const [name, factory] of Object.entries(COMMANDS)) {
    const run = factory(ctx) as (...args: unknown[]) => Promise<void>;
    ctx.pushExtCleanup(vscode.commands.registerCommand(`auLens.${name}`, async (...args: unknown[]) => {
      try {
        await run(...args);
      } catch (err) {
        // VS Code swallows errors thrown by command handlers; surface them.
        ctx.log.error(`auLens.${name}: ${(err as Error).stack ?? String(err)}`);
        const help = errorHelp(err);
        const action = help.action;
        void vscode.window.showErrorMessage(`AU Lens: ${help.message}`, ...(action ? [action.label] : []),
          'Show Output').then((a) => (a === 'Show Output' ? ctx.log.show()
          : a && action && vscode.commands.executeCommand(action.command)));
      }
    }));
  }
}
