import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Ctx } from './ctx';
import { registerRunsAndEvaluation } from './evaluation/register';
import { EvaluationPanel } from './panels/evaluationPanel';
import { missingNativeParts, nativePartsMessage } from './nativeParts';
import { COMPARE_VIEW_TYPE, ComparePanel } from './panels/comparePanel';
import { EXPLAIN_VIEW_TYPE, ExplainPanel } from './panels/explainPanel';
import type { ComparePageState } from '../webview/protocol/compare';
import type { ExplainPageState } from '../webview/protocol/explain';

/** What activate() returns: a window onto the panel for the integration tests (the webview's DOM is out of reach). */
export interface AuLensApi {
  readonly explainPanel: () => ExplainPanel | undefined;
  readonly comparePanel: () => ComparePanel | undefined;
  readonly evaluationPanel: () => EvaluationPanel | undefined;
  /** The runs view's provider and the quality-gate diagnostics. */
  readonly ctx: Pick<Ctx, 'runs' | 'qualityGates'>;
}

export function activate(context: vscode.ExtensionContext): AuLensApi {
  const started = performance.now();
  const ctx = new Ctx(context);
  registerCommands(ctx);
  registerRunsAndEvaluation(ctx);
  // A VSIX for another platform lacks this one's binaries: say so now, not as "Cannot find module" on first use.
  const missing = missingNativeParts(context.extensionPath);
  if (missing.length) {
    const message = nativePartsMessage(missing, { version: String((context.extension.packageJSON as { version: unknown }).version) });
    ctx.log.error(`${message} Looked for: ${missing.map((m) => m.path).join(', ')}`);
    void vscode.window.showErrorMessage(message, 'Show Output').then((action) => action && ctx.log.show());
  }
  // Panels survive a window reload (activation event onWebviewPanel:auLens.explain).
  ctx.pushExtCleanup(vscode.window.registerWebviewPanelSerializer(EXPLAIN_VIEW_TYPE, {
    deserializeWebviewPanel: (panel, state: unknown) => ExplainPanel.revive(ctx, panel, state as ExplainPageState | undefined).catch((err: Error) => {
      ctx.log.error(`restoring the explanation panel: ${err.message}`);
    }),
  }));
  ctx.pushExtCleanup(vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, {
    deserializeWebviewPanel: (panel, state: unknown) => ComparePanel.revive(ctx, panel, state as ComparePageState | undefined).catch((err: Error) => {
      ctx.log.error(`restoring the comparison panel: ${err.message}`);
    }),
  }));
  // Activation must stay cheap (the worker and its models start on first use); the log line lets tests check it.
  ctx.log.info(`activated in ${(performance.now() - started).toFixed(1)} ms`);
  return { explainPanel: () => ExplainPanel.currentPanel, comparePanel: () => ComparePanel.currentPanel, evaluationPanel: () => EvaluationPanel.currentPanel, ctx };
}

export function deactivate(): void {
  // Disposables registered on the context clean up, the worker included.
}
