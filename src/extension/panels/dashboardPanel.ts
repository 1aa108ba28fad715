/**
 * The training dashboard: one panel per window showing one run folder. It draws what the run logged
 * (progress.jsonl, so finished runs and runs of an earlier window show too) and the events of the run in progress
 * as they come, batched a few times a second. Revived after a reload by the serializer registered in main.ts.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunRecord } from '../../trainer/train/runLog';
import { readProgress, readRunRecord } from '../../trainer/train/runLog';
import type { DashboardPageState, DashboardRun, DashboardSnapshot, DashboardUpdate, EpochPoint, StepPoint } from '../../webview/protocol/dashboard';
import { CancelCommand, DidLoadNotification, DidUpdateNotification, ReadyCommand, ResumeCommand } from '../../webview/protocol/dashboard';
import type { IpcMessage, IpcNotification } from '../../webview/protocol/ipc';
import type { Ctx } from '../ctx';
import type { RunEvent } from '../training/trainingRuns';
import { epochPoint, pointsOf, progressText, stepPoint } from '../training/runProgress';
import { webviewHtml, webviewOptions } from './webviewHtml';

export const DASHBOARD_VIEW_TYPE = 'auLens.trainingDashboard';
/** Live points are sent at most this often, so a fast run does not flood the page. */
const FLUSH_MS = 250;

function settingsText(record: RunRecord | undefined): string {
  const o = record?.options;
  if (o) return `${o.preset} · λ ${o.lambda} · ${o.layers?.join(', ') ?? 'last stage'} · batch ${o.batch} · lr ${o.lr}`;
  const s = record?.settings;
  return s ? `${s.preset ?? 'tiny64'} · λ ${s.lambda ?? 4}` : '';
}

export class DashboardPanel implements vscode.Disposable {
  private static current: DashboardPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private steps: StepPoint[] = [];
  private epochs: EpochPoint[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** What was last sent (tests read them; the webview's DOM is out of the extension's reach). */
  lastSnapshot: DashboardSnapshot | undefined;
  lastUpdate: DashboardUpdate | undefined;

  static get currentPanel(): DashboardPanel | undefined {
    return DashboardPanel.current;
  }

  /** Shows `folder`'s run, reusing the window's dashboard. */
  static async show(ctx: Ctx, folder: string, preserveFocus: boolean): Promise<DashboardPanel> {
    let panel = DashboardPanel.current;
    if (panel) panel.panel.reveal(undefined, preserveFocus);
    else {
      const webview = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'Training', { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
        webviewOptions(ctx.extCtx.extensionUri, ctx.extCtx.globalStorageUri));
      panel = new DashboardPanel(ctx, webview, folder);
    }
    await panel.showRun(folder);
    return panel;
  }

  /** Runs `work` (which may start a run) and opens the dashboard beside the editor when a run starts. */
  static async follow(ctx: Ctx, work: () => Promise<unknown>): Promise<void> {
    const started = ctx.training.onDidChange((run) => {
      if (!run) return;
      started.dispose();
      void DashboardPanel.show(ctx, run.folder, true);
    });
    try {
      await work();
    } finally {
      started.dispose();
    }
  }

  static async revive(ctx: Ctx, webview: vscode.WebviewPanel, state: DashboardPageState | undefined): Promise<void> {
    DashboardPanel.current?.panel.dispose();
    webview.webview.options = webviewOptions(ctx.extCtx.extensionUri, ctx.extCtx.globalStorageUri);
    const panel = new DashboardPanel(ctx, webview, state?.folder ?? ctx.training.current?.folder ?? '');
    await panel.showRun(panel.folder);
  }

  private constructor(private readonly ctx: Ctx, private readonly panel: vscode.WebviewPanel, private folder: string) {
    DashboardPanel.current = this;
    panel.iconPath = vscode.Uri.joinPath(ctx.extCtx.extensionUri, 'media', 'au-lens.svg');
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
    panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m), null, this.disposables);
    panel.onDidChangeViewState(() => {
      if (!panel.visible) this.ready = false;
    }, null, this.disposables);
    ctx.training.onEvent((e) => this.onRunEvent(e), null, this.disposables);
    // Start and end of a run change its status and buttons; the end also rewrote run.json.
    ctx.training.onDidChange((run) => {
      if (!run || run.folder === this.folder) void this.flush(!run);
    }, null, this.disposables);
  }

  get shownFolder(): string {
    return this.folder;
  }

  private async showRun(folder: string): Promise<void> {
    this.folder = folder;
    this.panel.title = `Training: ${path.basename(folder)}`;
    this.ready = false;
    this.panel.webview.html = await webviewHtml(this.panel.webview, this.ctx.extCtx.extensionUri, 'dashboard');
  }

  private async runInfo(): Promise<DashboardRun> {
    const record = await readRunRecord(this.folder).catch(() => undefined);
    const active = this.ctx.training.current;
    const live = active?.folder === this.folder ? active : undefined;
    const status = live ? 'running' : record?.status ?? 'unknown';
    const note = live ? (live.progress.phase === 'training' ? null : progressText(live.progress)) : record?.error ?? null;
    return {
      name: path.basename(this.folder), folder: this.folder, status, settings: settingsText(record), note,
      epochs: live?.progress.epochs || record?.epochs.total || null,
      canCancel: live !== undefined, canResume: !live && (status === 'cancelled' || status === 'interrupted'),
    };
  }

  /** Sends the whole run: on page load and reload. */
  private async sendSnapshot(): Promise<void> {
    const { events } = await readProgress(this.folder).catch(() => ({ events: [] }));
    const snapshot: DashboardSnapshot = { run: await this.runInfo(), ...pointsOf(events) };
    this.steps = [];
    this.epochs = [];
    this.lastSnapshot = snapshot;
    this.post(DidLoadNotification, snapshot);
  }

  private onRunEvent({ folder, event }: RunEvent): void {
    if (folder !== this.folder) return;
    if (event.type === 'step') this.steps.push(stepPoint(event));
    else if (event.type === 'epoch') this.epochs.push(epochPoint(event));
    else if (event.type !== 'prepare' && event.type !== 'stopped') return;
    this.timer ??= setTimeout(() => void this.flush(false), FLUSH_MS);
  }

  /** Sends the points gathered since the last update with the run's state; `now` skips the wait. */
  private async flush(now: boolean): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.ready && !now) return;
    const update: DashboardUpdate = { run: await this.runInfo(), steps: this.steps.splice(0), epochs: this.epochs.splice(0) };
    this.lastUpdate = update;
    this.post(DidUpdateNotification, update);
  }

  private post<P>(type: IpcNotification<P>, params: P): void {
    if (this.ready) void this.panel.webview.postMessage(type.message(params));
  }

  /** Handles one message from the page (public so tests can play the page's part). */
  async onMessage(message: unknown): Promise<void> {
    const m = message as IpcMessage;
    if (ReadyCommand.is(m)) {
      this.ready = true;
      await this.sendSnapshot();
    } else if (CancelCommand.is(m)) {
      this.ctx.training.cancel();
    } else if (ResumeCommand.is(m)) {
      await vscode.commands.executeCommand('auLens.resumeTraining', this.folder);
    }
  }

  dispose(): void {
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
