import * as vscode from 'vscode';
import type { RunProgress } from './runProgress';
import { fractionDone, progressText } from './runProgress';

/**
 * The status bar item while a run trains: a spinning icon, epoch, share done and the device it trains on; a click
 * opens the dashboard.
 */
export class TrainingStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('auLens.training', vscode.StatusBarAlignment.Left, 50);

  constructor() {
    this.item.name = 'AU Lens Training';
    this.item.command = 'auLens.showTrainingDashboard';
  }

  show(name: string, progress: RunProgress): void {
    const share = progress.phase === 'training' ? ` · ${Math.round(100 * fractionDone(progress))} %` : '';
    const short = progress.phase === 'training'
      ? `epoch ${progress.epoch}/${progress.epochs}${share}` : progressText(progress);
    const device = progress.device === null ? '' : ` (${progress.device})`;
    const on = progress.device === null ? '' : ` on ${progress.device}`;
    this.item.text = `$(sync~spin) AU Lens: ${short}${device}`;
    this.item.tooltip = `Training ${name}${on}: ${progressText(progress)}. Click for the training dashboard; ` +
      `"AU Lens: Cancel Training" stops it.`;
    this.item.accessibilityInformation =
      { label: `AU Lens is training ${name}${on}, ${short}. Open the training dashboard.`, role: 'button' };
    this.item.show();
  }

  hide(): void {
    this.item.hide();
  }

  dispose(): void {
    this.item.dispose();
  }
}
