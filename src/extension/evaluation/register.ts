import * as vscode from 'vscode';
import type { EvaluationPageState } from '../../webview/protocol/evaluation';
import type { Ctx } from '../ctx';
import { EVALUATION_VIEW_TYPE, EvaluationPanel } from '../panels/evaluationPanel';
import { registerRunsView } from '../runs/runsTree';
import { GateCodeActions } from './qualityGates';

/**
 * The runs view, the quality gates (every rescan re-checks the workspace's eval files), their quick fixes on eval
 * files, and the results panel's serializer. Nothing is scanned until the view or a command asks.
 */
export function registerRunsAndEvaluation(ctx: Ctx): void {
  for (const d of registerRunsView(ctx.runs)) ctx.pushExtCleanup(d);
  ctx.pushExtCleanup(ctx.runs.onDidScan((runs) => void ctx.qualityGates.onRuns(runs)));
  ctx.pushExtCleanup(vscode.languages.registerCodeActionsProvider({ pattern: '**/eval-*.json' }, new GateCodeActions(), { providedCodeActionKinds: GateCodeActions.kinds }));
  ctx.pushExtCleanup(vscode.window.registerWebviewPanelSerializer(EVALUATION_VIEW_TYPE, {
    deserializeWebviewPanel: (panel, state: unknown) => EvaluationPanel.revive(ctx, panel, state as EvaluationPageState | undefined).catch((err: Error) => {
      ctx.log.error(`restoring the evaluation panel: ${err.message}`);
      panel.dispose();
    }),
  }));
}
