/**
 * The explanation panel: one per window (revealed, not duplicated), revived after a reload by the serializer
 * registered in main.ts. Its page gets the data through a PageChannel (queued until the page is ready, the latest
 * state re-sent when it reloads), so the page keeps only its UI state.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WorkerMethods } from '../../trainer/protocol';
import type {
  ErrorAction, ExplainFailure, ExplainPageState, ExplainTarget, ExplainView, RenderedState,
} from '../../webview/protocol/explain';
import {
  ACTION_LABELS, DidExplainNotification, DidFailNotification, DidRenderCommand, DidStartNotification,
  ExplainClassCommand, ExportJsonRequest,
  ExportPngRequest, isExplainTarget, ReadyCommand, RunActionCommand, SelectFaceCommand,
} from '../../webview/protocol/explain';
import type { IpcMessage, IpcNotification } from '../../webview/protocol/ipc';
import { IpcResponse } from '../../webview/protocol/ipc';
import type { Ctx } from '../ctx';
import { errorHelp, workerErrorCode } from '../workerErrors';
import type { PanelKind } from './basePanel';
import { BasePanel, workspaceFolderPaths } from './basePanel';
import { CANCELLED, unlessCancelled } from './cancellation';
import { checkRestoredPaths, isInside, resourceFolder } from './workspacePaths';

export const EXPLAIN_VIEW_TYPE = 'auLens.explain';

type ExplainRunResult = WorkerMethods['explain/run']['result'];

/** The ways out of each kind of error, most useful first; the notification offers the first two. */
const ACTIONS: Readonly<Record<ExplainFailure['code'], readonly ErrorAction[]>> = {
  'model': ['selectModel', 'explainWithoutModel', 'showOutput'],
  'device': ['useCpu', 'showOutput'],
  'untrusted': ['manageTrust', 'selectModel'],
  'no-face': ['showOutput'],
  'image': ['showOutput'],
  'request': ['retry', 'showOutput'],
  'other': ['retry', 'showOutput'],
  'crashed': ['retry', 'showOutput'],
  'cancelled': ['retry'],
};

/** A target described for people: file names, not paths. */
export function explainTarget(image: vscode.Uri, model: string | undefined,
  extra: { face?: number; className?: string } = {}): ExplainTarget {
  return {
    image: image.fsPath,
    imageName: path.basename(image.fsPath),
    ...(model !== undefined && { model, modelName: path.basename(model) }),
    ...(extra.face !== undefined && { face: extra.face }),
    ...(extra.className !== undefined && { className: extra.className }),
  };
}

export class ExplainPanel extends BasePanel {
  private static readonly kind: PanelKind<ExplainPanel> = {
    viewType: EXPLAIN_VIEW_TYPE, page: 'explain', title: 'Explain Expression', column: vscode.ViewColumn.Beside,
    create: (ctx, webview) => new ExplainPanel(ctx, webview),
  };
  private generation = 0;
  private target: ExplainTarget | undefined;
  private result: ExplainRunResult | undefined;
  /** What the page last reported drawing (tests read it; the webview's DOM is out of the extension's reach). */
  rendered: RenderedState | undefined;
  lastView: ExplainView | undefined;
  lastFailure: ExplainFailure | undefined;
  /** Settles when the explanation in flight (if any) has been shown or has failed. */
  idle: Promise<void> = Promise.resolve();

  static get currentPanel(): ExplainPanel | undefined {
    return ExplainPanel.kind.current;
  }

  /** Reveals the panel (creating it if needed) and explains `target` in it. */
  static async show(ctx: Ctx, target: ExplainTarget): Promise<ExplainPanel> {
    const panel = await BasePanel.open(ctx, ExplainPanel.kind,
      { roots: rootsFor(target.image), preserveFocus: false, preserveFocusOnReveal: true });
    await panel.explain(target);
    return panel;
  }

  /**
   * Rebuilds a panel VS Code restored after a reload, and explains again what it showed. The page kept that state,
   * so it is checked like a message: its shape, and paths that the workspace backs.
   */
  static async revive(ctx: Ctx, webview: vscode.WebviewPanel, state: ExplainPageState | undefined): Promise<void> {
    const target = state?.target;
    if (target !== undefined) {
      if (!isExplainTarget(target)) throw new Error('its saved state is not an explanation');
      checkRestoredPaths({ files: [target.image], models: target.model === undefined ? [] : [target.model] },
        workspaceFolderPaths(), ctx.models.active);
    }
    const panel = await BasePanel.adopt(ctx, ExplainPanel.kind, webview,
      { roots: target ? rootsFor(target.image) : [] });
    if (target) await panel.explain(target);
  }

  private constructor(ctx: Ctx, panel: vscode.WebviewPanel) {
    super(ctx, panel, ExplainPanel.kind);
    ctx.models.onDidChange((model) => {
      const shown = this.target;
      if (!shown) return;
      const face = shown.face !== undefined && { face: shown.face };
      void this.explain({ ...explainTarget(vscode.Uri.file(shown.image), model), ...face });
    }, null, this.disposables);
  }

  /** Explains `target`, showing progress; a newer call supersedes this one. */
  explain(target: ExplainTarget): Promise<void> {
    this.idle = this.run(target);
    return this.idle;
  }

  private async run(target: ExplainTarget): Promise<void> {
    const generation = ++this.generation;
    this.target = target;
    this.panel.title = `Explain: ${target.imageName}`;
    await this.ensureRoots(target.image);
    this.post(DidStartNotification, { target });
    const log = this.ctx.log;
    const modelText = target.modelName ?? 'no model';
    log.info(`explain ${target.image} with ${target.model ?? 'no model'}${target.face !== undefined ? `, face ` +
      `${target.face}` : ''}${target.className ? `, class ${target.className}` : ''}`);

    const outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `AU Lens: explaining ${target.imageName} (${modelText})`,
        cancellable: true },
      // The worker finishes the image anyway (its sessions stay warm); cancelling stops waiting for it.
      (_progress, token) => unlessCancelled(token, () => this.ctx.trainer.request('explain/run', {
        imagePath: target.image,
        ...(target.model !== undefined && { model: target.model }),
        ...(target.face !== undefined && { face: target.face }),
        ...(target.className !== undefined && { className: target.className }),
        codebook: this.ctx.config.codebook,
        maxPixels: this.ctx.config.maxImagePixels,
      }).then((result) => ({ result }), (error: Error) => ({ error }))),
    );
    if (generation !== this.generation) return; // superseded while it ran
    if (outcome === CANCELLED) return this.fail(target, 'cancelled', `explaining ${target.imageName} was cancelled`,
      false);
    if ('error' in outcome) {
      // The worker decides trust by the model file's content ('untrusted'); a crashed one restarts on Try Again.
      const code = workerErrorCode(outcome.error) ?? 'other';
      return this.fail(target, code === 'locked' ? 'other' : code, errorHelp(outcome.error).message);
    }
    const result = outcome.result;
    this.result = result;
    // The face and class actually explained, so a reload asks for the same.
    const shown: ExplainTarget = { ...target, face: result.face };
    this.target = shown;
    const view: ExplainView = { target: shown, ...(await this.photoOf(result)), result };
    this.lastView = view;
    this.lastFailure = undefined;
    const reading = result.kind === 'model' ? result.report.reading
      : `landmarks and ${result.maps.length} AU maps of face ${result.face} (${result.faces.length} found)`;
    log.info(`${target.imageName}: ${reading} [${result.totalMs.toFixed(0)} ms]`);
    this.post(DidExplainNotification, view);
  }

  private fail(target: ExplainTarget, code: ExplainFailure['code'], message: string, notify = true): void {
    const actions = target.model === undefined
      ? ACTIONS[code].filter((a) => a !== 'explainWithoutModel') : ACTIONS[code];
    this.ctx.log[code === 'cancelled' ? 'info' : 'error'](`${target.imageName}: ${message}`);
    // People see file names; the output channel keeps the full paths.
    const shown = message.split(target.image).join(target.imageName).split(target.model ?? '\0').join(target.modelName
      ?? '');
    const failure: ExplainFailure = { target, message: shown, code, actions };
    this.lastFailure = failure;
    this.lastView = undefined;
    this.post(DidFailNotification, failure);
    if (!notify) return;
    // Not awaited: the command that explained must not wait for the user to dismiss the notification.
    const offered = actions.slice(0, 2);
    void vscode.window.showErrorMessage(`AU Lens: ${shown}`, ...offered.map((a) => ACTION_LABELS[a])).then((picked) => {
      const action = offered.find((a) => ACTION_LABELS[a] === picked);
      if (action) return this.runAction(action);
    });
  }

  /** The photo as the page can load it: the file itself, or a PNG preview for formats a browser cannot show. */
  private async photoOf(result: ExplainRunResult): Promise<{ photoUri: string; photoScale: number }> {
    const webview = this.panel.webview;
    if (!result.preview) return { photoUri: webview.asWebviewUri(vscode.Uri.file(result.image.path)).toString(),
      photoScale: 1 };
    const dir = vscode.Uri.joinPath(this.ctx.extCtx.globalStorageUri, 'previews');
    await vscode.workspace.fs.createDirectory(dir);
    const name = `${createHash('sha256').update(result.image.path).digest('hex').slice(0, 16)}.png`;
    const file = vscode.Uri.joinPath(dir, name);
    await vscode.workspace.fs.writeFile(file, result.preview.png);
    // The query defeats the webview's cache when the same photo's preview is rewritten.
    return { photoUri: `${webview.asWebviewUri(file).toString()}?v=${Date.now()}`, photoScale: result.preview.scale };
  }

  /**
   * Lets the page load a photo from outside the folders it may already read. New options reload the page, so the
   * page is loaded afresh and its ready message awaited again.
   */
  private async ensureRoots(image: string): Promise<void> {
    const roots = this.panel.webview.options.localResourceRoots ?? [];
    if (!roots.some((r) => isInside(image, r.fsPath))) await this.reloadWithRoots(rootsFor(image));
  }

  /** "Started" is transient: a reloaded page gets the last view or failure, and a run in flight posts its own. */
  private post<P>(type: IpcNotification<P>, params: P): void {
    this.channel.post(type, params, type === DidStartNotification);
  }

  override async onMessage(message: unknown): Promise<void> {
    if (ReadyCommand.is(message)) {
      this.channel.pageReady();
    } else if (DidRenderCommand.is(message)) {
      this.rendered = message.params;
    } else if (SelectFaceCommand.is(message)) {
      if (this.target) await this.explain({ ...this.target, face: message.params.face });
    } else if (ExplainClassCommand.is(message)) {
      if (!this.target) return;
      const rest: ExplainTarget = { ...this.target };
      delete (rest as { className?: string }).className;
      await this.explain(message.params.className === null ? rest : { ...rest, className: message.params.className });
    } else if (RunActionCommand.is(message)) {
      await this.runAction(message.params.action);
    } else if (ExportPngRequest.is(message)) {
      await this.respond(message, () => this.save('png', message.params.png));
    } else if (ExportJsonRequest.is(message)) {
      await this.respond(message, () =>
        this.save('json', new TextEncoder().encode(`${JSON.stringify(this.exportJson(), null, 2)}\n`)));
    }
  }

  private async respond(message: IpcMessage, answer: () => Promise<unknown>): Promise<void> {
    const id = message.id ?? -1;
    try {
      void this.panel.webview.postMessage(IpcResponse.message({ id, ok: true, result: await answer() }));
    } catch (err) {
      this.ctx.log.error(`${message.method}: ${(err as Error).message}`);
      void this.panel.webview.postMessage(IpcResponse.message({ id, ok: false, error: (err as Error).message }));
    }
  }

  /** The explanation as the JSON export holds it: the whole report, or the faces and AU maps' AUs without a model. */
  private exportJson(): unknown {
    const r = this.result;
    if (!r || !this.target) throw new Error('nothing is explained yet');
    if (r.kind === 'model') return { target: this.target, ...r.report,
      faces: r.faces.map(({ landmarks: _l, ...f }) => f) };
    return { target: this.target, image: r.image, codebook: r.codebook, face: r.face, frame: r.frame, faces: r.faces,
      expressions: r.expressions };
  }

  private async save(kind: 'png' | 'json', bytes: Uint8Array): Promise<{ path: string | null }> {
    if (!this.target) throw new Error('nothing is explained yet');
    const image = vscode.Uri.file(this.target.image);
    const stem = path.parse(this.target.imageName).name;
    const defaultUri = vscode.Uri.joinPath(image, '..', `${stem}-explanation.${kind}`);
    const uri = await vscode.window.showSaveDialog({
      defaultUri, title: `Export the explanation as ${kind.toUpperCase()}`,
      filters: kind === 'png' ? { 'PNG image': ['png'] } : { JSON: ['json'] },
    });
    if (!uri) return { path: null };
    await vscode.workspace.fs.writeFile(uri, bytes);
    this.ctx.log.info(`exported ${uri.fsPath}`);
    return { path: uri.fsPath };
  }

  private async runAction(action: ErrorAction): Promise<void> {
    const target = this.target;
    switch (action) {
      case 'selectModel': return void (await vscode.commands.executeCommand('auLens.selectModel'));
      case 'trainModel': return void (await vscode.commands.executeCommand('auLens.trainModel'));
      case 'showOutput': return this.ctx.log.show();
      case 'manageTrust': return void (await vscode.commands.executeCommand('workbench.trust.manage'));
      case 'retry': if (target) await this.explain(target); return;
      case 'useCpu':
        await this.ctx.config.setDevice('cpu');
        if (target) await this.explain(target);
        return;
      case 'explainWithoutModel': if (target) await this.explain(explainTarget(vscode.Uri.file(target.image),
        undefined)); return;
    }
  }

  override dispose(): void {
    this.generation++;
    super.dispose();
  }
}

/** The workspace folders and the photo's folder (unless that is a file-system root). */
function rootsFor(image: string): vscode.Uri[] {
  const folder = resourceFolder(image);
  return [...workspaceFolderPaths(), ...(folder === undefined ? [] : [folder])].map((f) => vscode.Uri.file(f));
}
