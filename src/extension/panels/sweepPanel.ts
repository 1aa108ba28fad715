/**
 * The sweep panel: one per window, showing one sweep's runs × metrics, mean ± sd over seeds per grid point and a
 * metric against a numeric axis. The host reads everything from the sweep's files (sweeps/sweepView.ts) and reads
 * again when a run folder changes (debounced) or the page asks; the page stores the sweep file, read again after a
 * window reload.
 */
import * as vscode from 'vscode';
import type { SweepPageState, SweepRunRow, SweepView } from '../../webview/protocol/sweep';
import {
  CompareRunsCommand, DidLoadNotification, OpenFileCommand, OpenRunCommand, ReadyCommand, RefreshCommand,
  ShowLogCommand,
} from '../../webview/protocol/sweep';
import type { Ctx } from '../ctx';
import { showLog } from '../sweeps/showLog';
import type { SweepDefinition } from '../sweeps/sweepView';
import { readSweepView, sweepDefinition } from '../sweeps/sweepView';
import type { PanelKind } from './basePanel';
import { BasePanel, workspaceFolderPaths } from './basePanel';
import { checkRestoredPaths } from './workspacePaths';

export const SWEEP_VIEW_TYPE = 'auLens.sweep';
/** Files whose change means new numbers or states; a training run rewrites run.json every epoch. */
const WATCHED = '**/{run.json,eval-*.json,sweep-plan.json,slurm-jobs.json}';
const DEBOUNCE_MS = 1000;

export class SweepPanel extends BasePanel {
  private static readonly kind: PanelKind<SweepPanel> = {
    viewType: SWEEP_VIEW_TYPE, page: 'sweep', title: 'Sweep', column: vscode.ViewColumn.Active,
    create: (ctx, webview) => new SweepPanel(ctx, webview),
  };
  private sweep: SweepDefinition | undefined;
  private watcher: vscode.Disposable | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Reads in flight overlap when files change quickly: only the newest one's view is posted. */
  private reads = 0;
  /** What the page was last sent (tests read it: the webview's DOM is out of the extension's reach). */
  lastView: SweepView | undefined;

  static get currentPanel(): SweepPanel | undefined {
    return SweepPanel.kind.current;
  }

  /** Reveals the panel (creating it if needed) with the sweep of `file` (`out`: its folder, for a file now gone). */
  static async show(ctx: Ctx, file: string, out?: string): Promise<SweepPanel> {
    const sweep = await sweepDefinition(file, out);
    const panel = await BasePanel.open(ctx, SweepPanel.kind, { preserveFocus: false });
    await panel.showSweep(sweep);
    return panel;
  }

  /** Rebuilds a panel VS Code restored after a reload from the sweep file its page stored. */
  static async revive(ctx: Ctx, webview: vscode.WebviewPanel, state: SweepPageState | undefined): Promise<void> {
    // The page kept the path: it is checked like a message, a sweep file of the workspace only.
    const file: unknown = state?.file;
    if (typeof file === 'string') checkRestoredPaths({ files: [file] }, workspaceFolderPaths());
    const sweep = typeof file === 'string' ? await sweepDefinition(file).catch(() => undefined) : undefined;
    if (!sweep) {
      webview.dispose();
      return;
    }
    const panel = await BasePanel.adopt(ctx, SweepPanel.kind, webview);
    await panel.showSweep(sweep);
  }

  private constructor(ctx: Ctx, panel: vscode.WebviewPanel) {
    super(ctx, panel, SweepPanel.kind);
    this.disposables.push({ dispose: () => {
      clearTimeout(this.timer);
      this.watcher?.dispose();
    } });
  }

  private async showSweep(sweep: SweepDefinition): Promise<void> {
    this.sweep = sweep;
    this.panel.title = `Sweep: ${sweep.name}`;
    this.watcher?.dispose();
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(sweep.out),
      WATCHED));
    const soon = (): void => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.refresh().catch((err: Error) =>
        this.ctx.log.error(`sweep panel: ${err.message}`)), DEBOUNCE_MS);
    };
    this.watcher = vscode.Disposable.from(watcher, watcher.onDidCreate(soon), watcher.onDidChange(soon),
      watcher.onDidDelete(soon));
    await this.refresh();
  }

  /** Reads the sweep's files again and sends the page what they say now. */
  async refresh(): Promise<SweepView | undefined> {
    if (!this.sweep) return undefined;
    const read = ++this.reads;
    const view = await readSweepView(this.sweep);
    if (read !== this.reads) return this.lastView;
    this.lastView = view;
    this.channel.post(DidLoadNotification, view);
    return view;
  }

  private row(name: string): SweepRunRow | undefined {
    return this.lastView?.runs.find((r) => r.name === name);
  }

  override async onMessage(message: unknown): Promise<void> {
    try {
      if (ReadyCommand.is(message)) this.channel.pageReady();
      else if (RefreshCommand.is(message)) await this.refresh();
      else if (OpenFileCommand.is(message) && this.sweep) {
        const file = vscode.Uri.file(this.sweep.file);
        await vscode.window.showTextDocument(file, { viewColumn: vscode.ViewColumn.Beside });
      } else if (OpenRunCommand.is(message)) {
        // Only a run of this sweep: the page's messages are data, not orders.
        const row = this.row(message.params.run);
        if (row) await vscode.commands.executeCommand('auLens.showTrainingDashboard', row.folder);
      } else if (ShowLogCommand.is(message)) {
        const log = this.row(message.params.run)?.log;
        if (log) await showLog(log);
      } else if (CompareRunsCommand.is(message)) {
        const [a, b] = [this.row(message.params.a)?.checkpoint, this.row(message.params.b)?.checkpoint];
        if (a && b) await vscode.commands.executeCommand('auLens.compareModels', a, b);
      }
    } catch (err) {
      this.ctx.log.error(`sweep panel: ${(err as Error).message}`);
      void vscode.window.showErrorMessage(`AU Lens: ${(err as Error).message}`, 'Show Output')
        .then((picked) => picked && this.ctx.log.show());
    }
  }
}
