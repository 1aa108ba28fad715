/**
 * The training dashboard: one panel per window showing one run folder. It draws what the run logged
 * (progress.jsonl, so finished runs and runs of an earlier window show too) and the events of the run in progress
 * as they come, batched a few times a second. Revived after a reload by the serializer registered in main.ts.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunRecord } from '../../trainer/train/runLog';
import { readProgress, readRunRecord } from '../../trainer/train/runLog';
import type {
  DashboardPageState, DashboardRun, DashboardSnapshot, DashboardUpdate, EpochPoint, StepPoint,
} from '../../webview/protocol/dashboard';
import {
  CancelCommand, DidLoadNotification, DidUpdateNotification, ReadyCommand, ResumeCommand,
} from '../../webview/protocol/dashboard';
import type { Ctx } from '../ctx';
import type { RunEvent } from '../training/trainingRuns';
import { deviceOf, epochPoint, pointsOf, progressText, stepPoint } from '../training/runProgress';
import type { PanelKind } from './basePanel';
import { BasePanel, workspaceFolderPaths } from './basePanel';
import { insideAny } from './workspacePaths';

export const DASHBOARD_VIEW_TYPE = 'auLens.trainingDashboard';
/** Live points are sent at most this often, so a fast run does not flood the page. */
const FLUSH_MS = 250;

function settingsText(record: RunRecord | undefined): string {
  const o = record?.options;
  if (o) return `${o.preset} · λ ${o.lambda} · ${o.layers?.join(', ') ?? 'last stage'} · batch ${o.batch} · lr ${o.lr}`;
  const s = record?.settings;
  return s ? `${s.preset ?? 'tiny64'} · λ ${s.lambda ?? 4}` : '';
}

/**
 * Unlike the other panels, a page that (re)loads gets a fresh snapshot read from the run's log, not the last message
 * replayed: points that came while it was not ready are in the log already, so live updates go only to a ready page.
 */
export class DashboardPanel extends BasePanel {
  private static readonly kind: PanelKind<DashboardPanel> = {
    viewType: DASHBOARD_VIEW_TYPE, page: 'dashboard', title: 'Training', column: vscode.ViewColumn.Beside,
    create: (ctx, webview) => new DashboardPanel(ctx, webview),
  };
  private folder = '';
  private steps: StepPoint[] = [];
  private epochs: EpochPoint[] = [];
  /** Where the shown run last trained, from its log; a live run's own progress says it first. */
  private loggedDevice: string | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** What was last sent (tests read them; the webview's DOM is out of the extension's reach). */
  lastSnapshot: DashboardSnapshot | undefined;
  lastUpdate: DashboardUpdate | undefined;

  static get currentPanel(): DashboardPanel | undefined {
    return DashboardPanel.kind.current;
  }

  /** Shows `folder`'s run, reusing the window's dashboard. */
  static async show(ctx: Ctx, folder: string, preserveFocus: boolean): Promise<DashboardPanel> {
    const panel = await BasePanel.open(ctx, DashboardPanel.kind, { preserveFocus, load: false });
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

  /**
   * The run the page stored, when it is a folder of the workspace or the run training now (the page kept it:
   * checked like a message).
   */
  static async revive(ctx: Ctx, webview: vscode.WebviewPanel, state: DashboardPageState | undefined): Promise<void> {
    const stored: unknown = state?.folder;
    const current = ctx.training.current?.folder;
    const folder = typeof stored === 'string' && (stored === current || insideAny(stored, workspaceFolderPaths()))
      ? stored : undefined;
    if (stored !== undefined && folder === undefined) {
      throw new Error(`its saved state names ${String(stored)}, which is not a folder of the workspace`);
    }
    const panel = await BasePanel.adopt(ctx, DashboardPanel.kind, webview, { load: false });
    await panel.showRun(folder ?? current ?? '');
  }

  private constructor(ctx: Ctx, panel: vscode.WebviewPanel) {
    super(ctx, panel, DashboardPanel.kind);
    ctx.training.onEvent((e) => this.onRunEvent(e), null, this.disposables);
    // Start and end of a run change its status and buttons; the end also rewrote run.json.
    ctx.training.onDidChange((run) => {
      if (!run || run.folder === this.folder) void this.flush(!run);
    }, null, this.disposables);
  }

  get shownFolder(): string {
    return this.folder;
  }

  /** A page per run: the page is loaded afresh. */
  private async showRun(folder: string): Promise<void> {
    this.folder = folder;
    this.panel.title = `Training: ${path.basename(folder)}`;
    await this.load();
  }

  private async runInfo(): Promise<DashboardRun> {
    const record = await readRunRecord(this.folder).catch(() => undefined);
    const active = this.ctx.training.current;
    const live = active?.folder === this.folder ? active : undefined;
    const status = live ? 'running' : record?.status ?? 'unknown';
    const note = live ? (live.progress.phase === 'training' ? null : progressText(live.progress)) : record?.error
      ?? null;
    return {
      name: path.basename(this.folder), folder: this.folder, status, settings: settingsText(record), note,
      device: live?.progress.device ?? this.loggedDevice,
      epochs: live?.progress.epochs || record?.epochs.total || null,
      canCancel: live !== undefined, canResume: !live && (status === 'cancelled' || status === 'interrupted'),
    };
  }

  /** Sends the whole run: on page load and reload. */
  private async sendSnapshot(): Promise<void> {
    const { events } = await readProgress(this.folder).catch(() => ({ events: [] }));
    this.loggedDevice = deviceOf(events);
    const snapshot: DashboardSnapshot = { run: await this.runInfo(), ...pointsOf(events) };
    this.steps = [];
    this.epochs = [];
    this.lastSnapshot = snapshot;
    this.channel.postLive(DidLoadNotification, snapshot);
  }

  private onRunEvent({ folder, event }: RunEvent): void {
    if (folder !== this.folder) return;
    if (event.type === 'device') this.loggedDevice = event.label;
    if (event.type === 'step') this.steps.push(stepPoint(event));
    else if (event.type === 'epoch') this.epochs.push(epochPoint(event));
    else if (event.type !== 'prepare' && event.type !== 'stopped' && event.type !== 'device') return;
    this.timer ??= setTimeout(() => void this.flush(false), FLUSH_MS);
  }

  /** Sends the points gathered since the last update with the run's state; `now` skips the wait. */
  private async flush(now: boolean): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.channel.isReady && !now) return;
    const update: DashboardUpdate =
      { run: await this.runInfo(), steps: this.steps.splice(0), epochs: this.epochs.splice(0) };
    this.lastUpdate = update;
    this.channel.postLive(DidUpdateNotification, update);
  }

  override async onMessage(message: unknown): Promise<void> {
    if (ReadyCommand.is(message)) {
      this.channel.pageReady();
      await this.sendSnapshot();
    } else if (CancelCommand.is(message)) {
      this.ctx.training.cancel();
    } else if (ResumeCommand.is(message)) {
      await vscode.commands.executeCommand('auLens.resumeTraining', this.folder);
    }
  }

  override dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    super.dispose();
  }
}
