/**
 * The comparison panel: two models (A and B) on one photo (maps side by side with their difference) or on one
 * dataset folder (paired statistics and flipped images). One per window, revealed rather than duplicated, revived
 * after a reload by the serializer registered in main.ts; like the explanation panel, notifications wait until the
 * page says it is ready, and the page keeps only its UI state.
 */
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EvalRunResult } from '../../trainer/eval/evalFile';
import { evalFileName } from '../../trainer/eval/evalFile';
import { BUILTIN_MODEL } from '../../trainer/protocol';
import type { ExplainRunResult } from '../../trainer/explain/panelData';
import type {
  CompareFailure, CompareModel, ComparePageState, CompareRenderedState, CompareTarget, CompareView, DatasetCompareView,
  ImageCompareView,
} from '../../webview/protocol/compare';
import {
  DidCompareNotification, DidFailNotification, DidRenderCommand, DidStartNotification, ExplainClassCommand,
  ExplainImageCommand, isCompareTarget, ReadyCommand,
  RetryCommand,
} from '../../webview/protocol/compare';
import { compareEvaluations, reusableEvaluation } from '../compare/datasetComparison';
import { pairMaps } from '../compare/mapPairs';
import type { Ctx } from '../ctx';
import type { ErrorHelp } from '../workerErrors';
import { errorHelp } from '../workerErrors';
import type { PanelKind } from './basePanel';
import { BasePanel, workspaceFolderPaths } from './basePanel';
import { CANCELLED, unlessCancelled } from './cancellation';
import { ExplainPanel, explainTarget } from './explainPanel';
import { checkRestoredPaths, datasetFolder, resourceFolder } from './workspacePaths';

export const COMPARE_VIEW_TYPE = 'auLens.compare';

type ModelResult = Extract<ExplainRunResult, { kind: 'model' }>;

export class ComparePanel extends BasePanel {
  private static readonly kind: PanelKind<ComparePanel> = {
    viewType: COMPARE_VIEW_TYPE, page: 'compare', title: 'Compare Models', column: vscode.ViewColumn.Active,
    create: (ctx, webview) => new ComparePanel(ctx, webview),
  };
  private generation = 0;
  private target: CompareTarget | undefined;
  /** What the page last reported drawing (tests read it). */
  rendered: CompareRenderedState | undefined;
  lastView: CompareView | undefined;
  lastFailure: CompareFailure | undefined;
  /** Settles when the comparison in flight (if any) has been shown or has failed. */
  idle: Promise<void> = Promise.resolve();

  static get currentPanel(): ComparePanel | undefined {
    return ComparePanel.kind.current;
  }

  static async show(ctx: Ctx, target: CompareTarget): Promise<ComparePanel> {
    const panel = await BasePanel.open(ctx, ComparePanel.kind,
      { roots: rootsFor(target), preserveFocus: false, preserveFocusOnReveal: true });
    await panel.compare(target);
    return panel;
  }

  /**
   * Rebuilds a panel VS Code restored after a reload and compares again what it showed, once the page's saved
   * target has the shape of one and names only paths the workspace backs.
   */
  static async revive(ctx: Ctx, webview: vscode.WebviewPanel, state: ComparePageState | undefined): Promise<void> {
    const target = state?.target;
    if (target !== undefined) {
      if (!isCompareTarget(target)) throw new Error('its saved state is not a comparison');
      checkRestoredPaths({ files: [target.mode === 'image' ? target.image : target.data],
        models: [target.a.model, target.b.model] }, workspaceFolderPaths(), ctx.models.active);
    }
    const panel = await BasePanel.adopt(ctx, ComparePanel.kind, webview, { roots: target ? rootsFor(target) : [] });
    if (target) await panel.compare(target, true);
  }

  private constructor(ctx: Ctx, panel: vscode.WebviewPanel) {
    super(ctx, panel, ComparePanel.kind);
  }

  /**
   * Compares `target`, showing progress; a newer call supersedes this one. `reuse` lets a dataset comparison read
   * evaluations saved since the models last changed.
   */
  compare(target: CompareTarget, reuse = false): Promise<void> {
    this.idle = this.run(target, reuse);
    return this.idle;
  }

  private async run(target: CompareTarget, reuse: boolean): Promise<void> {
    const generation = ++this.generation;
    this.target = target;
    const subject = target.mode === 'image' ? target.imageName : target.dataName;
    this.panel.title = `Compare: ${subject}`;
    await this.ensureRoots(target);
    this.channel.post(DidStartNotification, { target }, true);
    this.ctx.log.info(`compare ${target.a.model} (A) with ${target.b.model} (B) on ` +
      `${target.mode === 'image' ? target.image : target.data}`);
    try {
      const view = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification,
          title: `AU Lens: comparing ${target.a.name} and ${target.b.name} on ${subject}`, cancellable: true },
        (progress, token) => unlessCancelled<CompareView>(token, (signal) => target.mode === 'image'
          ? this.compareImage(target, signal) : this.compareDataset(target, signal, progress, reuse)),
      );
      if (generation !== this.generation) return;
      if (view === CANCELLED) return this.fail(target, { message: 'the comparison was cancelled' }, true);
      this.lastView = view;
      this.lastFailure = undefined;
      this.ctx.log.info(view.mode === 'image'
        ? `A predicts ${view.a.report.predicted.class}, B predicts ${view.b.report.predicted.class}; ` +
          `${view.layers.note}`
        : `${view.reading} (${view.comparison.n} images, ${view.flips.length} flipped); ${view.layers.note}`);
      this.channel.post(DidCompareNotification, view);
    } catch (err) {
      if (generation !== this.generation) return;
      this.fail(target, errorHelp(err), false);
    }
  }

  private async compareImage(target: Extract<CompareTarget, { mode: 'image' }>,
    signal: AbortSignal): Promise<ImageCompareView> {
    const explain = async (m: CompareModel, side: string): Promise<ModelResult> => {
      const result = await this.ctx.trainer.request('explain/run', {
        imagePath: target.image, model: m.model, codebook: this.ctx.config.codebook,
        maxPixels: this.ctx.config.maxImagePixels,
        ...(target.className !== undefined && { className: target.className }),
      }, { signal });
      if (result.kind !== 'model') throw new Error(`${side} (${m.name}) gave no model explanation`);
      return result;
    };
    // One after the other: the worker runs one model at a time anyway, and A's face detection is cached for B.
    const a = await explain(target.a, 'A');
    const b = await explain(target.b, 'B');
    const { layers, pairs } = pairMaps(a.maps, b.maps);
    const classes = [a.report.explained.class, b.report.explained.class];
    return {
      mode: 'image', target, ...this.photoOf(a), frame: a.frame, face: a.faces[a.face], layers, pairs,
      a: { report: a.report, maps: a.maps }, b: { report: b.report, maps: b.maps },
      note: classes[0] === classes[1]
        ? null : `A explains ${classes[0]} and B explains ${classes[1]} (each model's prediction), so the AU maps ` +
          `and CAMs are of different classes; pick one class to compare like with like.`,
    };
  }

  private async compareDataset(target: Extract<CompareTarget, { mode: 'dataset' }>, signal: AbortSignal,
    progress: vscode.Progress<{ message?: string; increment?: number }>,
    reuse: boolean): Promise<DatasetCompareView> {
    let shown = 0;
    // With auLens.evaluation.faithfulness both sides measure it, so the panel can pair their values image by image.
    const faithfulness = this.ctx.config.evaluationFaithfulness;
    const evaluate = async (m: CompareModel, side: 'A' | 'B', offset: number): Promise<EvalRunResult> =>
      (reuse && await this.savedEvaluation(m.model, target.data, faithfulness !== undefined))
        || this.ctx.trainer.request('eval/run', { model: m.model, data: target.data, images: 'all',
          ...(faithfulness !== undefined && { faithfulness }) }, {
      signal,
      onProgress: (p) => {
        // Each model is half of the bar; preparing (landmarks) and evaluating are each half of a model's share.
        const at = offset + 25 * (p.stage === 'evaluate' ? 1 : 0) + (25 * p.done) / Math.max(1, p.total);
        const doing = p.stage === 'prepare' ? 'finding faces' : 'evaluating';
        progress.report({ message: `${side}: ${doing} ${p.done}/${p.total}`, increment: Math.max(0, at - shown) });
        shown = Math.max(shown, at);
      },
    });
    const a = await evaluate(target.a, 'A', 0);
    const b = await evaluate(target.b, 'B', 50);
    const { comparison, reading, layers, unpaired, faithfulness: deltas } = compareEvaluations(a, b);
    const { flips, ...rest } = comparison;
    const webview = this.panel.webview;
    return {
      mode: 'dataset', target, comparison: rest, reading, layers, unpaired, faithfulness: deltas,
      files: { a: a.file === null ? null : vscode.workspace.asRelativePath(a.file),
        b: b.file === null ? null : vscode.workspace.asRelativePath(b.file) },
      flips: flips.map((f) => ({ ...f, name: path.basename(f.path),
        thumbUri: webview.asWebviewUri(vscode.Uri.file(f.path)).toString() })),
    };
  }

  /** The evaluation saved beside `model` for `data`, when it still holds (datasetComparison.ts reusableEvaluation). */
  private async savedEvaluation(model: string, data: string,
    faithfulness: boolean): Promise<EvalRunResult | undefined> {
    if (model === BUILTIN_MODEL) return undefined; // its evaluations are not kept beside a model file
    const file = path.join(path.dirname(model), evalFileName(data));
    try {
      const [text, fileStat, modelStat] = await Promise.all([readFile(file, 'utf8'), stat(file), stat(model)]);
      const result = reusableEvaluation({ file, text, fileTime: fileStat.mtimeMs, modelTime: modelStat.mtimeMs }, model,
        data, faithfulness);
      if (result) this.ctx.log.info(`compare: reusing ${file}`);
      return result;
    } catch {
      return undefined;
    }
  }

  /** The photo as the page can load it: the file itself, or the worker's PNG preview (TIFF) as a data URI. */
  private photoOf(result: ModelResult): { photoUri: string; photoScale: number } {
    if (!result.preview) {
      const photoUri = this.panel.webview.asWebviewUri(vscode.Uri.file(result.image.path)).toString();
      return { photoUri, photoScale: 1 };
    }
    const png = Buffer.from(result.preview.png).toString('base64');
    return { photoUri: `data:image/png;base64,${png}`, photoScale: result.preview.scale };
  }

  private fail(target: CompareTarget, { message, action }: ErrorHelp, cancelled: boolean): void {
    this.ctx.log[cancelled ? 'info' : 'error'](`compare: ${message}`);
    const failure: CompareFailure = { target, message, cancelled };
    this.lastFailure = failure;
    this.lastView = undefined;
    this.channel.post(DidFailNotification, failure);
    if (!cancelled) {
      const offered = action ? [action.label, 'Show Output'] : ['Try Again', 'Show Output'];
      void vscode.window.showErrorMessage(`AU Lens: ${message}`, ...offered).then((picked) => {
        if (picked === 'Try Again') return this.compare(target);
        if (picked === 'Show Output') this.ctx.log.show();
        else if (picked && action) void vscode.commands.executeCommand(action.command);
      });
    }
  }

  /** New resource roots reload the page, so wait for its ready message again. */
  private async ensureRoots(target: CompareTarget): Promise<void> {
    const roots = this.panel.webview.options.localResourceRoots ?? [];
    const needed = rootsFor(target);
    if (!needed.every((n) => roots.some((r) => r.fsPath === n.fsPath))) await this.reloadWithRoots(needed);
  }

  override async onMessage(message: unknown): Promise<void> {
    if (ReadyCommand.is(message)) {
      this.channel.pageReady();
    } else if (DidRenderCommand.is(message)) {
      this.rendered = message.params;
    } else if (ExplainImageCommand.is(message)) {
      // Only an image this panel showed: the page's messages are data, not orders.
      const t = this.target;
      if (t && this.offered(message.params.path)) await ExplainPanel.show(this.ctx,
        explainTarget(vscode.Uri.file(message.params.path), t[message.params.side].model));
    } else if (ExplainClassCommand.is(message)) {
      const t = this.target;
      if (t?.mode !== 'image') return;
      const rest = { ...t };
      delete rest.className;
      await this.compare(message.params.className === null ? rest : { ...rest, className: message.params.className });
    } else if (RetryCommand.is(message)) {
      if (this.target) await this.compare(this.target);
    }
  }

  /** Whether the page was sent `image`: the compared photo, or one of the flipped images listed. */
  private offered(image: string): boolean {
    const view = this.lastView;
    return view?.mode === 'image' ? view.target.image === image : view?.flips.some((f) => f.path === image) === true;
  }

  override dispose(): void {
    this.generation++;
    super.dispose();
  }
}

/** The workspace folders and the photo's or dataset's folder (never a file-system root). */
function rootsFor(target: CompareTarget): vscode.Uri[] {
  const folder = target.mode === 'image' ? resourceFolder(target.image) : datasetFolder(target.data);
  return [...workspaceFolderPaths(), ...(folder === undefined ? [] : [folder])].map((f) => vscode.Uri.file(f));
}
