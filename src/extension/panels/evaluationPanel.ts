/**
 * The evaluation results panel: one per window, showing one evaluation (from 'eval/run' or an eval file). The
 * page gets its data through a PageChannel (queued until ready, re-sent when the page reloads); after a window
 * reload the serializer reads the eval file the page stored again.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EvalRunResult } from '../../trainer/eval/evalFile';
import { isEvalFileName } from '../../trainer/eval/evalFile';
import { readEvalFile } from '../../trainer/eval/readEvalFile';
import type { EvaluationPageState, EvaluationView } from '../../webview/protocol/evaluation';
import {
  DidLoadNotification, ExplainImageCommand, OpenFileCommand, ReadyCommand,
} from '../../webview/protocol/evaluation';
import type { Ctx } from '../ctx';
import { explainWith } from '../evaluation/explainWith';
import { checkGates, worstImages } from '../evaluation/gates';
import type { PanelKind } from './basePanel';
import { BasePanel, workspaceFolderPaths } from './basePanel';
import { checkRestoredPaths, datasetFolder } from './workspacePaths';

export const EVALUATION_VIEW_TYPE = 'auLens.evaluation';
const WORST_SHOWN = 24;

/**
 * The workspace folders and the evaluated dataset's folder, so the thumbnails may load. Not the folders the eval
 * file's image paths name: a file can name any path, and `/x.png` would let the page read the whole disk.
 */
function rootsFor(result: EvalRunResult): vscode.Uri[] {
  const data = datasetFolder(result.data);
  return [...workspaceFolderPaths(), ...(data === undefined ? [] : [data])].map((f) => vscode.Uri.file(f));
}

export class EvaluationPanel extends BasePanel {
  private static readonly kind: PanelKind<EvaluationPanel> = {
    viewType: EVALUATION_VIEW_TYPE, page: 'evaluation', title: 'Evaluation', column: vscode.ViewColumn.Active,
    create: (ctx, webview) => new EvaluationPanel(ctx, webview),
  };
  private result: EvalRunResult | undefined;
  /** What the page was last sent (tests read it: the webview's DOM is out of the extension's reach). */
  lastView: EvaluationView | undefined;

  static get currentPanel(): EvaluationPanel | undefined {
    return EvaluationPanel.kind.current;
  }

  /** Reveals the panel (creating it if needed) with `result`. */
  static async show(ctx: Ctx, result: EvalRunResult): Promise<EvaluationPanel> {
    const panel = await BasePanel.open(ctx, EvaluationPanel.kind, { roots: rootsFor(result), preserveFocus: false });
    panel.showResult(result);
    return panel;
  }

  static async showFile(ctx: Ctx, file: string): Promise<EvaluationPanel> {
    return EvaluationPanel.show(ctx, (await readEvalFile(file)).result);
  }

  /**
   * Rebuilds a panel VS Code restored after a reload from the eval file its page stored, when that is an eval file
   * in the workspace (the page kept the path: it is checked like a message).
   */
  static async revive(ctx: Ctx, webview: vscode.WebviewPanel, state: EvaluationPageState | undefined): Promise<void> {
    const file = state?.file;
    if (typeof file === 'string') {
      if (!isEvalFileName(path.basename(file))) throw new Error(`its saved state names ${file}, not an eval file`);
      checkRestoredPaths({ files: [file] }, workspaceFolderPaths());
    }
    const result = typeof file === 'string' ? (await readEvalFile(file)).result : undefined;
    if (!result) {
      webview.dispose();
      return;
    }
    const panel = await BasePanel.adopt(ctx, EvaluationPanel.kind, webview, { roots: rootsFor(result) });
    panel.showResult(result);
  }

  private constructor(ctx: Ctx, panel: vscode.WebviewPanel) {
    super(ctx, panel, EvaluationPanel.kind);
  }

  private showResult(result: EvalRunResult): void {
    this.result = result;
    this.panel.title = `Evaluation: ${path.basename(result.model)} on ${result.dataset}`;
    const roots = this.panel.webview.options.localResourceRoots ?? [];
    const needed = rootsFor(result).filter((r) => !roots.some((o) => o.fsPath === r.fsPath));
    if (needed.length > 0) {
      // New resource roots reload the page: it says when it is ready again.
      this.channel.reloading();
      this.panel.webview.options = { ...this.panel.webview.options, localResourceRoots: [...roots, ...needed] };
    }
    this.lastView = this.viewOf(result);
    this.channel.post(DidLoadNotification, this.lastView);
  }

  private viewOf(result: EvalRunResult): EvaluationView {
    const layer = result.report.camLayer;
    return {
      file: result.file, model: result.model, modelName: path.basename(result.model), data: result.data,
      dataset: result.dataset,
      split: result.split, createdAt: result.createdAt, warnings: result.warnings, report: result.report,
      worst: worstImages(result.images, layer).slice(0, WORST_SHOWN).map((r) => ({
        path: r.path, name: path.basename(r.path),
        src: this.panel.webview.asWebviewUri(vscode.Uri.file(r.path)).toString(),
        label: r.label, prediction: r.prediction, confidence: r.confidence, attCos: r.attCos[layer] ?? null,
      })),
      gateFailures: checkGates(result, this.ctx.config.qualityGates).map((f) => f.message),
    };
  }

  override async onMessage(message: unknown): Promise<void> {
    try {
      if (ReadyCommand.is(message)) this.channel.pageReady();
      else if (ExplainImageCommand.is(message) && this.result) {
        // Only a photo the page was sent: the page's messages are data, not orders.
        if (this.lastView?.worst.some((r) => r.path === message.params.path)) await explainWith(this.result.model,
          message.params.path);
      } else if (OpenFileCommand.is(message) && this.result?.file) {
        await vscode.window.showTextDocument(vscode.Uri.file(this.result.file),
          { viewColumn: vscode.ViewColumn.Beside });
      }
    } catch (err) {
      this.ctx.log.error(`evaluation panel: ${(err as Error).message}`);
      void vscode.window.showErrorMessage(`AU Lens: ${(err as Error).message}`, 'Show Output')
        .then((picked) => picked && this.ctx.log.show());
    }
  }
}
