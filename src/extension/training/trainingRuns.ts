/**
 * The editor's training runs: one at a time, each in a worker of its own (a second dist/worker.js, so explanations
 * in the shared worker stay responsive), with a cancellable progress notification, a status bar item, log lines
 * and events for the dashboard. The worker keeps run.json and progress.jsonl in the run folder; a run whose
 * window closed mid-run is found on the next activation, marked "interrupted" and offered for resuming.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseRunConfig, RunConfigError } from '../../trainer/train/runConfig';
import type { RunRecord } from '../../trainer/train/runLog';
import { processAlive } from '../../trainer/io/liveProcess';
import { interruptedRecord, readRunRecord, RUN_FILE, writeRunRecord } from '../../trainer/train/runLog';
import type { TrainRequest } from '../../trainer/train/trainRequest';
import { HOST_CLOSING } from '../../trainer/protocol';
import type { TrainEvent, TrainOutcome } from '../../trainer/train/options';
import type { WorkerClient } from '../../trainer/workerClient';
import type { Config } from '../config';
import type { Log } from '../log';
import { runLockHolder } from '../runs/runLockHolder';
import { errorHelp } from '../workerErrors';
import type { RunProgress } from './runProgress';
import { advance, fractionDone, progressText, startProgress } from './runProgress';
import { TrainingStatusBar } from './statusBar';

/** The least time between two progress updates of the notification and the status bar from step events. */
const UI_UPDATE_MS = 250;
/**
 * How often, and how many times, a run "running" under another live process is looked at again
 * (recoverInterrupted).
 */
const RECHECK_MS = 2000;
const RECHECKS = 15;
export interface ActiveRun {
  readonly name: string;
  readonly folder: string;
  progress: RunProgress;
  readonly abort: AbortController;
  /** Settles when the run has ended, however it ended. */
  readonly done: Promise<TrainOutcome | undefined>;
}

export interface RunEvent {
  readonly folder: string;
  readonly event: TrainEvent;
}

const percent = (x: number | null | undefined): string => (x === null || x === undefined
  ? '–' : `${(100 * x).toFixed(1)} %`);

export class TrainingRuns implements vscode.Disposable {
  private active: ActiveRun | undefined;
  private recheck: ReturnType<typeof setTimeout> | undefined;
  private readonly statusBar = new TrainingStatusBar();
  private readonly events = new vscode.EventEmitter<RunEvent>();
  private readonly changed = new vscode.EventEmitter<ActiveRun | undefined>();
  /** Every TrainEvent of the run in progress. */
  readonly onEvent = this.events.event;
  /** A run started (the run) or ended (undefined). */
  readonly onDidChange = this.changed.event;
  /** Outcomes and errors of ended runs, for tests and the dashboard (latest last). */
  readonly ended: { folder: string; outcome?: TrainOutcome; error?: string }[] = [];

  /**
   * `landmarkCache`: where runs keep the faces they found (keyed by image content), so a resumed or repeated run on
   * the same images skips the detector. `newWorker` starts the worker thread a run trains in.
   */
  constructor(private readonly paths: { readonly newWorker: () => WorkerClient; readonly landmarkCache: string },
    private readonly log: Log, private readonly config: Config) {}

  get current(): ActiveRun | undefined {
    return this.active;
  }

  /**
   * Starts a run; with one in progress the user chooses to cancel it first or to wait for it. Resolves when the
   * run has ended (undefined: not started, or it failed; the user was told why).
   */
  async start(request: TrainRequest): Promise<TrainOutcome | undefined> {
    const name = path.basename(request.out);
    if (this.active) {
      const other = this.active;
      const choice = await vscode.window.showWarningMessage(`AU Lens is training ${other.name}. Only one run trains ` +
        `at a time.`,
        { modal: true, detail: `Cancel ${other.name} (its last checkpoint is saved and it can be resumed), or start ` +
          `${name} when it ends.` },
        'Cancel It and Start', 'Start When It Ends');
      if (!choice) return undefined;
      if (choice === 'Cancel It and Start') other.abort.abort();
      await other.done;
      if (this.active) return undefined;
    }
    const full: TrainRequest = {
      ...request,
      ...(request.cacheDir === undefined && { cacheDir: this.paths.landmarkCache }),
      ...(!request.resume && request.codebook === undefined && { codebook: this.config.codebook }),
    };
    return this.run(name, full);
  }

  /** Reads, checks and starts a run-config file; a bad file is reported naming the setting, and nothing starts. */
  async startConfig(file: vscode.Uri): Promise<TrainOutcome | undefined> {
    let request: TrainRequest;
    try {
      const json: unknown = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(file)));
      request = parseRunConfig(json, file.fsPath);
    } catch (err) {
      const message = err instanceof SyntaxError ? `not valid JSON (${err.message})` : (err as Error).message;
      this.log.error(`${file.fsPath}: ${message}`);
      const field = err instanceof RunConfigError ? err.field : undefined;
      void vscode.window.showErrorMessage(`AU Lens: ${path.basename(file.fsPath)}: ${message}`,
        'Open File').then((a) => a && this.openAt(file, field));
      return undefined;
    }
    if (await this.offerExistingRun(request)) return undefined;
    this.log.info(`training from ${file.fsPath}`);
    return this.start(request);
  }

  /**
   * A run config run again finds its run folder taken by the run it started before: offer that run (resume it, or
   * its dashboard) rather than failing with "already holds a run". True when the folder holds a run.
   */
  private async offerExistingRun(request: TrainRequest): Promise<boolean> {
    if (request.resume) return false;
    const record = await readRunRecord(request.out).catch(() => undefined);
    if (!record) return false;
    const resumable = record.status === 'cancelled' || record.status === 'interrupted' || record.status === 'failed';
    const choice = await vscode.window.showWarningMessage(
      `AU Lens: ${record.name} already holds a run (${record.status}, ` +
        `${record.epochs.done}/${record.epochs.total} epochs). ` +
      `${resumable ? 'Resume it, or change' : 'To train a new run, change'} "out" in the run config.`,
      ...(resumable ? ['Resume'] : []), 'Open Dashboard');
    if (choice === 'Resume') await this.resume(request.out);
    else if (choice === 'Open Dashboard') void vscode.commands.executeCommand('auLens.showTrainingDashboard',
      request.out);
    return true;
  }

  /**
   * Continues a cancelled or interrupted run from its last.ckpt with its own settings; refused, naming the holder,
   * while another training holds the run's lock. An untrusted workspace's run.json cannot send the landmark cache
   * elsewhere: its cacheDir is used only in a trusted one.
   */
  async resume(folder: string): Promise<TrainOutcome | undefined> {
    const record = await readRunRecord(folder);
    if (!record) throw new Error(`${folder} has no ${RUN_FILE}; it was not started from the editor`);
    const holder = await runLockHolder(folder);
    if (holder) throw new Error(`${record.name} is in use by another training (${holder}); wait for it to end or ` +
      'stop it, then resume');
    const cacheDir = vscode.workspace.isTrusted ? record.settings.cacheDir : undefined;
    return this.start({ data: record.settings.data, out: folder, resume: true,
      ...(cacheDir !== undefined && { cacheDir }) });
  }

  cancel(): boolean {
    if (!this.active) return false;
    this.log.info(`cancelling ${this.active.name}: it stops after the current step and saves last.ckpt`);
    this.active.abort.abort();
    return true;
  }

  private run(name: string, request: TrainRequest): Promise<TrainOutcome | undefined> {
    const abort = new AbortController();
    let settle: (outcome: TrainOutcome | undefined) => void = () => undefined;
    const run: ActiveRun = { name, folder: request.out, progress: startProgress(request.epochs ?? 0), abort,
      done: new Promise((r) => (settle = r)) };
    this.active = run;
    void vscode.commands.executeCommand('setContext', 'auLens.training', true);
    this.log.info(`training ${name}${request.resume ? ' (resumed)' : ''}: ${JSON.stringify(request)}`);
    this.changed.fire(run);
    this.statusBar.show(name, run.progress);
    const client = this.paths.newWorker();
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `AU Lens: training ${name}`, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => this.cancel());
        let shown = 0;
        let shownAt = 0;
        const onProgress = (event: TrainEvent): void => {
          run.progress = advance(run.progress, event);
          this.logEvent(name, event);
          this.events.fire({ folder: run.folder, event });
          // A small model takes dozens of steps a second; the notification and the status bar need a few updates a
          // second, and one per step kept the workbench so busy that a webview opened meanwhile stayed blank.
          const now = Date.now();
          if (event.type === 'step' && now - shownAt < UI_UPDATE_MS) return;
          shownAt = now;
          const increment = Math.max(0, 100 * fractionDone(run.progress) - shown);
          shown += increment;
          progress.report({ message: progressText(run.progress), increment });
          this.statusBar.show(name, run.progress);
        };
        try {
          const outcome = await client.request('train/run', request, { signal: abort.signal, onProgress });
          await this.finish(run, outcome);
          settle(outcome);
        } catch (err) {
          this.fail(run, err as Error);
          settle(undefined);
        } finally {
          void client.dispose();
          if (this.active === run) this.active = undefined;
          void vscode.commands.executeCommand('setContext', 'auLens.training', false);
          this.statusBar.hide();
          this.changed.fire(undefined);
        }
      },
    );
    return run.done;
  }

  private logEvent(name: string, e: TrainEvent): void {
    switch (e.type) {
      case 'data':
        this.log.info(`${name}: ${e.images} images read as ${e.layout}, classes ${e.labels.join(', ')}; ` +
          `${e.splitMode === 'official' ? 'official split' : 'split by subject'}: train ${e.split.train}, ` +
          `val ${e.split.val}, test ${e.split.test}`);
        for (const w of e.warnings) this.log.warn(`${name}: ${w}`);
        break;
      case 'device':
        this.log.info(`${name}: trains on ${e.label}`);
        break;
      case 'prepared':
        this.log.info(`${name}: AU maps ${e.auValid} valid, ${e.auInvalid} without; ${e.noFace} without a face; ` +
          `${e.corrupt.length} unreadable skipped`);
        break;
      case 'epoch': {
        const att = e.val ? Object.entries(e.val.attCos).map(([l, v]) =>
          `${l} ${v === null ? '–' : v.toFixed(2)}`).join(' ') : '';
        this.log.info(`${name}: epoch ${e.epoch}/${e.epochs} loss ${e.train.loss.toFixed(3)} (ce ` +
          `${e.train.ce.toFixed(3)}, align ${e.train.align.toFixed(3)}) train ${percent(e.train.accuracy)} ` +
          `val ${percent(e.val?.accuracy)} ATT-COS ${att} ${e.seconds.toFixed(1)} s${e.best ? ' *best' : ''}`);
        break;
      }
      case 'stopped':
        this.log.info(`${name}: stopped; ${e.path ?? 'nothing was saved yet'}`);
        break;
      default:
        break;
    }
  }

  private async finish(run: ActiveRun, outcome: TrainOutcome): Promise<void> {
    this.ended.push({ folder: run.folder, outcome });
    // The run's best over all its sessions (a resumed run may not beat the epochs before it).
    const best = (await readRunRecord(run.folder).catch(() => undefined))?.best?.valAccuracy
      ?? run.progress.bestValAccuracy;
    this.log.info(`${run.name}: ${outcome.status} after ${outcome.epochs} epoch(s); best ` +
      `${outcome.best ?? 'none'}${outcome.bestEpoch ? ` (epoch ${outcome.bestEpoch})` : ''}`);
    if (outcome.status === 'cancelled') {
      const saved = outcome.last ? 'Its last checkpoint is saved.' : 'It had not saved a checkpoint yet.';
      void vscode.window.showInformationMessage(`AU Lens: training ${run.name} was cancelled. ${saved}`,
        ...(outcome.last ? ['Resume'] : []), 'Open Dashboard')
        .then((a) => (a === 'Resume' ? vscode.commands.executeCommand('auLens.resumeTraining', run.folder)
          : a && vscode.commands.executeCommand('auLens.showTrainingDashboard', run.folder)));
      return;
    }
    const bestEpoch = outcome.bestEpoch ? ` (epoch ${outcome.bestEpoch})` : '';
    const bestText = best !== null ? ` Best validation accuracy ${percent(best)}${bestEpoch}.` : '';
    const epochs = `${outcome.epochs} epoch${outcome.epochs === 1 ? '' : 's'}`;
    void vscode.window.showInformationMessage(`AU Lens: ${run.name} finished ${epochs}.${bestText}`,
      ...(outcome.best ? ['Use Best Model'] : []), 'Open Dashboard')
      .then((a) => (a === 'Use Best Model' ? vscode.commands.executeCommand('auLens.selectModel', outcome.best)
        : a && vscode.commands.executeCommand('auLens.showTrainingDashboard', run.folder)));
  }

  private fail(run: ActiveRun, err: Error): void {
    this.ended.push({ folder: run.folder, error: err.message });
    this.log.error(`${run.name}: ${err.message}`);
    // A locked folder's message names the training that holds it; a crashed worker's says to try again.
    const { message } = errorHelp(err);
    void vscode.window.showErrorMessage(`AU Lens: training ${run.name} failed: ${message}`, 'Show Output',
      'Open Dashboard')
      .then((a) => (a === 'Show Output' ? this.log.show()
        : a && vscode.commands.executeCommand('auLens.showTrainingDashboard', run.folder)));
  }

  private async openAt(file: vscode.Uri, field: string | undefined): Promise<void> {
    const editor = await vscode.window.showTextDocument(file);
    if (field === undefined) return;
    const offset = editor.document.getText().indexOf(`"${field}"`);
    if (offset < 0) return;
    const at = editor.document.positionAt(offset);
    editor.selection = new vscode.Selection(at, at.translate(0, field.length + 2));
    editor.revealRange(editor.selection);
  }

  /** The workspace's runs that have a run.json, by folder. */
  async records(): Promise<{ folder: string; record: RunRecord }[]> {
    const files = await vscode.workspace.findFiles(`**/${RUN_FILE}`, '**/{node_modules,.git}/**', 500);
    const found = await Promise.all(files.map(async (file) => {
      const folder = path.dirname(file.fsPath);
      const record = await readRunRecord(folder).catch(() => undefined);
      return record && { folder, record };
    }));
    return found.filter((r): r is { folder: string; record: RunRecord } => r !== undefined);
  }

  /**
   * Runs in the workspace whose run.json says "running" but whose training process is gone become "interrupted";
   * each is offered for resuming. Returns them. A run still "running" under another live process is looked at again
   * every RECHECK_MS, `rechecks` times: after a reload the old window's process may take a few seconds to exit.
   */
  async recoverInterrupted(rechecks = RECHECKS): Promise<RunRecord[]> {
    clearTimeout(this.recheck);
    // Opening a folder must not write to it before the user trusts it; main.ts calls again once trusted.
    if (!vscode.workspace.isTrusted) return [];
    const found: RunRecord[] = [];
    let waiting = false;
    for (const { folder, record } of await this.records()) {
      if (this.active?.folder === folder) continue;
      const interrupted = interruptedRecord(record, new Date(), processAlive, process.pid);
      if (!interrupted) {
        waiting ||= record.status === 'running';
        continue;
      }
      await writeRunRecord(folder, interrupted);
      found.push(interrupted);
      this.log.warn(`${interrupted.name}: was training when its window closed; marked interrupted (resume continues ` +
        `from last.ckpt)`);
      void vscode.window.showWarningMessage(`AU Lens: training ${interrupted.name} was interrupted after ` +
        `${interrupted.epochs.done} of ${interrupted.epochs.total} epochs (the window closed).`,
        'Resume', 'Open Dashboard')
        .then((a) => (a === 'Resume' ? vscode.commands.executeCommand('auLens.resumeTraining', folder)
          : a && vscode.commands.executeCommand('auLens.showTrainingDashboard', folder)));
    }
    if (waiting && rechecks > 0) {
      this.recheck = setTimeout(() =>
        void this.recoverInterrupted(rechecks - 1).catch((err: Error) =>
          this.log.error(`looking for interrupted runs: ${err.message}`)), RECHECK_MS);
      this.recheck.unref();
    }
    return found;
  }

  dispose(): void {
    clearTimeout(this.recheck);
    // The window is closing: the run stops after its step but stays "running", for the next window to offer.
    this.active?.abort.abort(HOST_CLOSING);
    this.statusBar.dispose();
    this.events.dispose();
    this.changed.dispose();
  }
}
