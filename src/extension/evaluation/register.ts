import * as vscode from 'vscode';
import type { EvaluationPageState } from '../../webview/protocol/evaluation';
import type { Ctx } from '../ctx';
import { EVALUATION_VIEW_TYPE, EvaluationPanel } from '../panels/evaluationPanel';
import { reviveOnReload } from '../panels/revive';
import { registerRunsView } from '../runs/runsTree';
import { GateCodeActions } from './qualityGates';

/**
 * The runs view, the quality gates (every rescan re-checks the workspace's eval files), their quick fixes on eval
 * files, and the results panel's serializer. Nothing is scanned until the view or a command asks.
 */
export function registerRunsAndEvaluation(ctx: Ctx): void {
  for (const d of registerRunsView(ctx.runs)) ctx.pushExtCleanup(d);
  ctx.pushExtCleanup(ctx.runs.onDidScan((runs) => void ctx.qualityGates.onRuns(runs)));
  ctx.pushExtCleanup(vscode.languages.registerCodeActionsProvider({ pattern: '**/eval-*.json' }, new GateCodeActions(),
    { providedCodeActionKinds: GateCodeActions.kinds }));
  reviveOnReload<EvaluationPageState>(ctx, EVALUATION_VIEW_TYPE, 'evaluation panel', EvaluationPanel.revive);
}
