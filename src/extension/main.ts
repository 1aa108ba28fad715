import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Ctx } from './ctx';
import { registerRunsAndEvaluation } from './evaluation/register';
import { EvaluationPanel } from './panels/evaluationPanel';
import { nativePartsProblem } from './nativeParts';
import { COMPARE_VIEW_TYPE, ComparePanel } from './panels/comparePanel';
import { DASHBOARD_VIEW_TYPE, DashboardPanel } from './panels/dashboardPanel';
import { EXPLAIN_VIEW_TYPE, ExplainPanel } from './panels/explainPanel';
import { reviveOnReload } from './panels/revive';
import { SWEEP_VIEW_TYPE, SweepPanel } from './panels/sweepPanel';
import type { SweepRunner } from './sweeps/sweepRunner';
import type { TrainingRuns } from './training/trainingRuns';
import type { DashboardPageState } from '../webview/protocol/dashboard';
import type { ComparePageState } from '../webview/protocol/compare';
import type { ExplainPageState } from '../webview/protocol/explain';
import type { SweepPageState } from '../webview/protocol/sweep';

/** What activate() returns: a window onto the panel for the integration tests (the webview's DOM is out of reach). */
export interface AuLensApi {
  readonly explainPanel: () => ExplainPanel | undefined;
  readonly comparePanel: () => ComparePanel | undefined;
  readonly evaluationPanel: () => EvaluationPanel | undefined;
  /** The runs view's provider and the quality-gate diagnostics. */
  readonly ctx: Pick<Ctx, 'runs' | 'qualityGates'>;
  /** Training runs of this window, and the training dashboard. */
  readonly training: TrainingRuns;
  readonly dashboardPanel: () => DashboardPanel | undefined;
  /** Sweeps of this window, and the sweep panel. */
  readonly sweeps: SweepRunner;
  readonly sweepPanel: () => SweepPanel | undefined;
}

export function activate(context: vscode.ExtensionContext): AuLensApi {
  const started = performance.now();
  const ctx = new Ctx(context);
  registerCommands(ctx);
  registerRunsAndEvaluation(ctx);
  // A VSIX for another platform lacks this one's binaries: say so now, not as "Cannot find module" on first use.
  const problem = nativePartsProblem(context.extensionPath,
    String((context.extension.packageJSON as { version?: unknown }).version));
  if (problem) {
    ctx.nativeProblem = problem.message;
    ctx.log.error(`${problem.message} Looked for: ${problem.lookedFor}`);
    void vscode.window.showErrorMessage(problem.message, 'Show Output').then((action) => action && ctx.log.show());
  }
  reviveOnReload<ExplainPageState>(ctx, EXPLAIN_VIEW_TYPE, 'explanation panel', ExplainPanel.revive);
  reviveOnReload<ComparePageState>(ctx, COMPARE_VIEW_TYPE, 'comparison panel', ComparePanel.revive);
  reviveOnReload<DashboardPageState>(ctx, DASHBOARD_VIEW_TYPE, 'training dashboard', DashboardPanel.revive);
  reviveOnReload<SweepPageState>(ctx, SWEEP_VIEW_TYPE, 'sweep panel', SweepPanel.revive);
  // After activation, not during it: runs whose window closed mid-run become "interrupted" and are offered for
  // resuming. That writes run.json, so an untrusted workspace waits until the user trusts it.
  const recoverInterrupted = (): void => void ctx.training.recoverInterrupted().catch((err: Error) =>
    ctx.log.error(`looking for interrupted runs: ${err.message}`));
  const recover = setTimeout(recoverInterrupted, 2000);
  recover.unref(); // never what keeps a process alive (the activation benchmark loads the extension in plain Node)
  ctx.pushExtCleanup({ dispose: () => clearTimeout(recover) });
  ctx.pushExtCleanup(vscode.workspace.onDidGrantWorkspaceTrust(recoverInterrupted));
  // Activation must stay cheap (the worker and its models start on first use); the log line lets tests check it.
  ctx.log.info(`activated in ${(performance.now() - started).toFixed(1)} ms`);
  return { explainPanel: () => ExplainPanel.currentPanel, comparePanel: () => ComparePanel.currentPanel,
    evaluationPanel: () => EvaluationPanel.currentPanel, ctx,
    training: ctx.training, dashboardPanel: () => DashboardPanel.currentPanel,
    sweeps: ctx.sweeps, sweepPanel: () => SweepPanel.currentPanel };
}

export function deactivate(): void {
  // Disposables registered on the context clean up, the worker included.
}
