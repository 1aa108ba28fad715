/**
 * The host's end of a panel page's message channel: notifications wait in a queue until the page says it is ready
 * (DVC's BaseWebview), a page that reloads (hidden and shown again, new resource roots) gets the latest state only,
 * and the page's messages go to one handler. A panel class owns one and forwards its page's ready command here.
 */
import type * as vscode from 'vscode';
import type { IpcMessage, IpcNotification } from '../../webview/protocol/ipc';

export class PageChannel implements vscode.Disposable {
  private ready = false;
  private queue: IpcMessage[] = [];
  /** The last lasting notification, re-sent when the page (re)loads. */
  private last: IpcMessage | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly panel: vscode.WebviewPanel, onMessage: (message: unknown) => unknown) {
    panel.webview.onDidReceiveMessage(onMessage, null, this.disposables);
    // A hidden page is discarded (retainContextWhenHidden is off): wait for its ready message again.
    panel.onDidChangeViewState(() => {
      if (!panel.visible) this.ready = false;
    }, null, this.disposables);
  }

  /** Posts now or when the page is ready; a `transient` message (progress, "started") is not re-sent after a reload. */
  post<P>(type: IpcNotification<P>, params: P, transient = false): void {
    const message = type.message(params);
    if (!transient) this.last = message;
    if (this.ready) void this.panel.webview.postMessage(message);
    else this.queue.push(message);
  }

  /**
   * Posts only to a ready page, for a panel that sends a (re)loaded page a fresh snapshot of everything when it says
   * it is ready (the dashboard), so that what came meanwhile would arrive twice.
   */
  postLive<P>(type: IpcNotification<P>, params: P): void {
    if (this.ready) void this.panel.webview.postMessage(type.message(params));
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** The page is (re)loading: hold messages until it is ready. */
  reloading(): void {
    this.ready = false;
  }

  /** The page's ready command: send what waited, or the latest state to a reloaded page. */
  pageReady(): void {
    this.ready = true;
    const pending = this.queue.length ? this.queue : this.last ? [this.last] : [];
    this.queue = [];
    for (const m of pending) void this.panel.webview.postMessage(m);
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
