/**
 * The Runs view (`auLens.runs`): sweeps → their runs, and runs → checkpoints and evaluations → metrics. It rescans
 * the workspace when a run.json, checkpoint, eval file or sweep plan changes (debounced: a training run rewrites them
 * every epoch) and on `auLens.refreshRuns`.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { interruptedRecord } from '../../trainer/train/runLog';
import type { RunStatus } from '../../trainer/train/runLog';
import type { RunsNode } from './runNodes';
import type { RunEntry } from './runScan';
import type { WorkspaceRuns } from './runScan';
import { scanWorkspace } from './runScan';
import type { SweepCounts } from './sweepScan';
import { countSweep, countsText } from './sweepScan';

export const RUNS_VIEW_ID = 'auLens.runs';
const WATCH_GLOB = '**/{run.json,*.ckpt,eval-*.json,sweep-plan.json}';
const DEBOUNCE_MS = 300;

const STATUS_ICONS: Readonly<Record<RunStatus, vscode.ThemeIcon>> = {
  running: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  completed: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  cancelled: new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('charts.yellow')),
  interrupted: new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('charts.orange')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
};

const fmt = (v: number | null | undefined, digits = 3): string => (typeof v === 'number' ? v.toFixed(digits) : '–');
const pct = (v: number | null | undefined): string => (typeof v === 'number' ? `${(100 * v).toFixed(1)} %` : '–');

/** The run's status as the user should see it: a "running" run whose process is gone was interrupted. */
export function runStatus(run: RunEntry): RunStatus | undefined {
  if (!run.record) return undefined;
  return interruptedRecord(run.record, new Date())?.status ?? run.record.status;
}

function metric(id: string, label: string, value: string, tooltip?: string): RunsNode {
  return { kind: 'metric', id, label, value, ...(tooltip !== undefined && { tooltip }) };
}

export function childrenOf(node: RunsNode): RunsNode[] {
  switch (node.kind) {
    case 'sweep':
      return node.runs.map((run): RunsNode => ({ kind: 'run', run, inSweep: true }));
    case 'run':
      return [
        ...node.run.checkpoints.map((checkpoint): RunsNode => ({ kind: 'checkpoint', run: node.run, checkpoint })),
        ...node.run.evaluations.map((evaluation): RunsNode => ({ kind: 'evaluation', run: node.run, evaluation })),
      ];
    case 'checkpoint': {
      const c = node.checkpoint;
      if (!('summary' in c)) return [];
      const s = c.summary;
      const val = node.run.validation[s.epoch];
      const valAttCos = val
        ? Object.entries(val.attCos).map(([layer, v]) =>
          metric(`${c.file}#valAttCos-${layer}`, `validation ATT-COS ${layer}`, fmt(v),
            'mean over the six expressions, on the validation subjects'))
        : [metric(`${c.file}#valAttCos`, `validation ATT-COS ${s.layers[0] ?? '?'}`, fmt(s.valAttCos),
          'mean over the six expressions, on the validation subjects')];
      const evaluations = node.run.evaluations.flatMap((e) => ('result' in e && e.result.model === c.file
        ? [e.result] : []))
        .map((r) => metric(`${c.file}#eval-${r.dataset}`, `evaluation on ${r.dataset}`,
          `acc ${pct(r.report.accuracy)} · ATT-COS ${r.report.camLayer} ` +
            `${fmt(r.report.attCos.byKey[r.report.camLayer]?.average)}`,
          `${r.report.samples} images (${r.split}), ${new Date(r.createdAt).toLocaleString()}`));
      return [
        metric(`${c.file}#epoch`, 'epoch', String(s.epoch)),
        metric(`${c.file}#valAcc`, 'validation accuracy', pct(s.valAccuracy)),
        ...valAttCos,
        ...evaluations,
        metric(`${c.file}#model`, 'model', `${s.preset}, λ = ${s.lambda}, ${s.labels.length} classes`),
      ];
    }
    case 'evaluation': {
      const e = node.evaluation;
      if (!('result' in e)) return [];
      const { report } = e.result;
      return [
        metric(`${e.file}#acc`, 'accuracy', pct(report.accuracy), `${report.samples} images`),
        metric(`${e.file}#bacc`, 'balanced accuracy', pct(report.balancedAccuracy)),
        ...report.layers.map((l) => metric(`${e.file}#att-${l}`, `ATT-COS ${l}`, fmt(report.attCos.byKey[l]?.average),
          'mean over the six expressions')),
        ...report.methods.map((m) => metric(`${e.file}#cam-${m}`, `CAM-COS ${m}`, fmt(report.camCos.byKey[m]?.average),
          'mean over the six expressions')),
      ];
    }
    case 'metric':
      return [];
  }
}

/** A sweep's icon: spinning while a run trains, a warning once one failed, a tick when all completed. */
function sweepIcon(c: SweepCounts): vscode.ThemeIcon {
  if (c.running > 0) return STATUS_ICONS.running;
  if (c.failed > 0) return new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
  if (c.total > 0 && c.completed === c.total) return STATUS_ICONS.completed;
  return new vscode.ThemeIcon('layers');
}

function sweepItem(node: Extract<RunsNode, { kind: 'sweep' }>): vscode.TreeItem {
  const { sweep, runs } = node;
  const byFolder = new Map(runs.map((r) => [r.folder, r]));
  const counts = countSweep(sweep, (folder) => {
    const run = byFolder.get(folder);
    return run && runStatus(run);
  });
  const item = new vscode.TreeItem(sweep.name, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `sweep:${sweep.out}`;
  item.resourceUri = vscode.Uri.file(sweep.out);
  item.iconPath = sweep.error ? new vscode.ThemeIcon('warning') : sweepIcon(counts);
  item.description = sweep.error ? 'unreadable plan' : `sweep · ${countsText(counts)}`;
  const lines = [`**Sweep ${sweep.name}** — ${countsText(counts)}`, sweep.file ?? sweep.out,
    sweep.error && `⚠ ${sweep.error}`];
  item.tooltip = new vscode.MarkdownString(lines.filter(Boolean).join('\n\n'));
  item.contextValue = `auLens.sweep${counts.running > 0 ? '.running' : ''}`;
  item.command = { command: 'auLens.showSweep', title: 'Show Sweep', arguments: [node] };
  return item;
}

export function treeItemOf(node: RunsNode): vscode.TreeItem {
  const collapsed = vscode.TreeItemCollapsibleState.Collapsed;
  switch (node.kind) {
    case 'sweep':
      return sweepItem(node);
    case 'run': {
      const { run } = node;
      const status = runStatus(run);
      const item = new vscode.TreeItem(run.name, node.inSweep ? collapsed : vscode.TreeItemCollapsibleState.Expanded);
      item.id = run.folder;
      item.resourceUri = vscode.Uri.file(run.folder);
      item.iconPath = status ? STATUS_ICONS[status] : new vscode.ThemeIcon('folder');
      const epochs = run.record ? ` · epoch ${run.record.epochs.done}/${run.record.epochs.total}` : '';
      item.description = `${status ?? 'checkpoints'}${epochs}`;
      const problems = [run.record?.error, run.recordError && `⚠ ${run.recordError}`].filter(Boolean);
      // Plain text: run.json is the workspace's, and Markdown would render its links (command: links included).
      item.tooltip = [`${run.name} — ${status ?? 'no run.json'}`, run.folder, ...problems].join('\n\n');
      item.contextValue = `auLens.run.${status ?? 'files'}`;
      return item;
    }
    case 'checkpoint': {
      const c = node.checkpoint;
      const item = new vscode.TreeItem(c.name, 'summary' in c ? collapsed : vscode.TreeItemCollapsibleState.None);
      item.id = c.file;
      item.resourceUri = vscode.Uri.file(c.file);
      if ('summary' in c) {
        item.iconPath = new vscode.ThemeIcon(c.name === 'best.ckpt' ? 'star-full' : 'file-binary');
        item.description = `epoch ${c.summary.epoch} · val ${pct(c.summary.valAccuracy)}`;
        item.tooltip = `${c.file}\n${c.summary.preset}, λ = ${c.summary.lambda}, layers ${c.summary.layers.join(', ')}`;
        item.contextValue = `auLens.checkpoint${runStatus(node.run) === 'running' ? '.running' : ''}`;
      } else {
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
        item.description = 'unreadable';
        item.tooltip = c.error;
        item.contextValue = 'auLens.checkpoint.broken';
      }
      return item;
    }
    case 'evaluation': {
      const e = node.evaluation;
      const item = new vscode.TreeItem(`Evaluation on ${'result' in e ? e.result.dataset : e.name}`,
        'result' in e ? collapsed : vscode.TreeItemCollapsibleState.None);
      item.id = e.file;
      item.resourceUri = vscode.Uri.file(e.file);
      item.iconPath = new vscode.ThemeIcon('beaker');
      if ('result' in e) {
        item.description = `acc ${pct(e.result.report.accuracy)} · ${path.basename(e.result.model)} · ` +
          `${e.result.split}`;
        item.tooltip = `${e.file}\n${e.result.report.samples} images of ${e.result.data}, ` +
          `${new Date(e.result.createdAt).toLocaleString()}`;
        item.command = { command: 'auLens.evaluateModel', title: 'Show Evaluation',
          arguments: [vscode.Uri.file(e.file)] };
      } else {
        item.description = 'unreadable';
        item.tooltip = e.error;
      }
      item.contextValue = 'auLens.evaluation';
      return item;
    }
    case 'metric': {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
      item.id = node.id;
      item.description = node.value;
      item.tooltip = node.tooltip ?? `${node.label}: ${node.value}`;
      item.contextValue = 'auLens.metric';
      return item;
    }
  }
}

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly scanned = new vscode.EventEmitter<readonly RunEntry[]>();
  /** Fires after each rescan with every run (the quality gates re-check the evaluations). */
  readonly onDidScan = this.scanned.event;
  private workspace: Promise<WorkspaceRuns> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** The runs as last scanned (scanning first if needed). */
  async current(): Promise<RunEntry[]> {
    return (await this.currentWorkspace()).runs;
  }

  /** The runs and the sweeps as last scanned. */
  currentWorkspace(): Promise<WorkspaceRuns> {
    this.workspace ??= this.scan();
    return this.workspace;
  }

  /** Rescans now; resolves with the new runs. */
  async refresh(): Promise<RunEntry[]> {
    clearTimeout(this.timer);
    this.workspace = this.scan();
    this.changed.fire();
    return (await this.workspace).runs;
  }

  /** A rescan soon: file events come in bursts. */
  refreshSoon(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), DEBOUNCE_MS);
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    return treeItemOf(node);
  }

  /** At the top, the sweeps (each holding its runs), then the runs of no sweep. */
  async getChildren(node?: RunsNode): Promise<RunsNode[]> {
    if (node) return childrenOf(node);
    const { runs, sweeps } = await this.currentWorkspace();
    const byFolder = new Map(runs.map((r) => [r.folder, r]));
    const grouped = new Set(sweeps.flatMap((s) => s.runFolders));
    return [
      ...sweeps.map((sweep): RunsNode => ({ kind: 'sweep', sweep,
        runs: sweep.runFolders.flatMap((f) => byFolder.get(f) ?? []) })),
      ...runs.filter((r) => !grouped.has(r.folder)).map((run): RunsNode => ({ kind: 'run', run })),
    ];
  }

  private async scan(): Promise<WorkspaceRuns> {
    const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const found = await scanWorkspace(roots);
    this.scanned.fire(found.runs);
    return found;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.changed.dispose();
    this.scanned.dispose();
  }
}

/** Registers the view and its file watcher; the provider is the caller's to keep. */
export function registerRunsView(provider: RunsTreeProvider): vscode.Disposable[] {
  const view = vscode.window.createTreeView(RUNS_VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  const watcher = vscode.workspace.createFileSystemWatcher(WATCH_GLOB);
  const soon = (): void => provider.refreshSoon();
  return [view, watcher, watcher.onDidCreate(soon), watcher.onDidChange(soon), watcher.onDidDelete(soon),
    vscode.workspace.onDidChangeWorkspaceFolders(soon)];
}
