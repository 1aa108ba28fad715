/**
 * What the four panels share: one panel of a kind per window (revealed rather than duplicated), the page loaded
 * from its webview app, a PageChannel to the page, the disposables that go with the panel, and the revival of a
 * panel VS Code restores after a reload (revive.ts registers the serializer that calls it).
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { PageChannel } from './pageChannel';
import { webviewHtml, webviewOptions } from './webviewHtml';

/** A kind of panel: how to make one, and the one open in this window. */
export interface PanelKind<P extends BasePanel> {
  /** The serializer's key (package.json's onWebviewPanel activation event). */
  readonly viewType: string;
  /** The webview app its page is: src/webview/<page>/. */
  readonly page: string;
  readonly title: string;
  readonly column: vscode.ViewColumn;
  readonly create: (ctx: Ctx, webview: vscode.WebviewPanel) => P;
  current?: P | undefined;
}

export interface OpenOptions {
  /** Folders beyond the extension's own that the page may load from (photos). */
  readonly roots?: readonly vscode.Uri[];
  /** Whether a new panel leaves the focus where it is. */
  readonly preserveFocus: boolean;
  /** Whether revealing the open panel does (default: as a new one). */
  readonly preserveFocusOnReveal?: boolean;
  /** False for a panel that loads its page itself when it shows something (the dashboard, one page per run). */
  readonly load?: boolean;
}

/** The workspace folders' paths: what the paths of a restored page state are checked against. */
export function workspaceFolderPaths(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
}

export abstract class BasePanel implements vscode.Disposable {
  protected readonly disposables: vscode.Disposable[] = [];
  protected readonly channel: PageChannel;

  protected constructor(protected readonly ctx: Ctx, protected readonly panel: vscode.WebviewPanel,
    private readonly kind: PanelKind<BasePanel>) {
    kind.current = this;
    panel.iconPath = vscode.Uri.joinPath(ctx.extCtx.extensionUri, 'media', 'au-lens.svg');
    this.channel = new PageChannel(panel, (m) => this.onMessage(m));
    this.disposables.push(this.channel);
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
  }

  /** The window's panel of `kind` revealed, or a new one with its page loading. */
  protected static async open<P extends BasePanel>(ctx: Ctx, kind: PanelKind<P>, options: OpenOptions): Promise<P> {
    const open = kind.current;
    if (open) {
      open.panel.reveal(undefined, options.preserveFocusOnReveal ?? options.preserveFocus);
      return open;
    }
    const webview = vscode.window.createWebviewPanel(kind.viewType, kind.title,
      { viewColumn: kind.column, preserveFocus: options.preserveFocus },
      webviewOptions(ctx.extCtx.extensionUri, ctx.extCtx.globalStorageUri, options.roots));
    const panel = kind.create(ctx, webview);
    if (options.load !== false) await panel.load();
    return panel;
  }

  /** A panel of `kind` in the webview VS Code restored after a reload, in place of any open one. */
  protected static async adopt<P extends BasePanel>(ctx: Ctx, kind: PanelKind<P>, webview: vscode.WebviewPanel,
    options: Pick<OpenOptions, 'roots' | 'load'> = {}): Promise<P> {
    kind.current?.panel.dispose();
    webview.webview.options = webviewOptions(ctx.extCtx.extensionUri, ctx.extCtx.globalStorageUri, options.roots);
    const panel = kind.create(ctx, webview);
    if (options.load !== false) await panel.load();
    return panel;
  }

  /** (Re)loads the page; the channel holds messages until it says it is ready. */
  protected async load(): Promise<void> {
    this.channel.reloading();
    this.panel.webview.html = await webviewHtml(this.panel.webview, this.ctx.extCtx.extensionUri, this.kind.page);
  }

  /** Lets the page read `roots` (and the extension's folders) only: new options reload the page. */
  protected async reloadWithRoots(roots: readonly vscode.Uri[]): Promise<void> {
    this.channel.reloading();
    this.panel.webview.options = webviewOptions(this.ctx.extCtx.extensionUri, this.ctx.extCtx.globalStorageUri, roots);
    await this.load();
  }

  /** Handles one message from the page (public so tests can play the page's part). */
  abstract onMessage(message: unknown): Promise<void>;

  dispose(): void {
    if (this.kind.current === this) this.kind.current = undefined;
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
