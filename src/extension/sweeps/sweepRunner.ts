/**
 * The editor's sweeps: each one an `au-lens sweep run` process (sweepProcess.ts) that trains here (--local, its runs
 * in child processes of their own) or submits to Slurm (--slurm), watched from the sweep's files: a cancellable
 * notification and the status bar count the runs done, running, queued and failed; each new failure is reported
 * with "Show Log". Cancel stops local runs after their step (SIGTERM to the runner, which stops each run) or
 * scancels the sweep's Slurm tasks. Nothing but the sweep's folder is shared with the cluster: states come from the
 * run folders and squeue/sacct run from this machine, as on a login node under Remote-SSH.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LoadedSweep } from '../../trainer/sweep/loadSweep';
import { cancelSweep } from '../../trainer/sweep/slurmSweep';
import type { SweepStatus } from '../../trainer/sweep/sweepStatus';
import { sweepStatus } from '../../trainer/sweep/sweepStatus';
import type { Log } from '../log';
import { showLog } from './showLog';
import type { CliCommand, CliExit } from './sweepProcess';
import { startCli } from './sweepProcess';
import type { SweepProgress } from './sweepProgress';
import { FailureWatch, sweepProgress } from './sweepProgress';

export type SweepWhere = 'local' | 'slurm';

/** How often the sweep's files (and, for Slurm, squeue) are read while it runs. */
const POLL_MS: Readonly<Record<SweepWhere, number>> = { local: 1500, slurm: 5000 };

export interface SweepResult {
  readonly where: SweepWhere;
  /** The last status read; undefined when the sweep never started. */
  readonly status?: SweepStatus;
  readonly cancelled: boolean;
  /** Why the runner failed (the CLI's own message: a conflict, Slurm's refusal). */
  readonly error?: string;
}

interface ActiveSweep {
  readonly name: string;
  readonly file: string;
  progress?: SweepProgress;
  cancel(): void;
  /** What a closing window does: local runs stop after their step (resumable); Slurm's tasks go on. */
  close(): void;
}

export class SweepRunner implements vscode.Disposable {
  private readonly active = new Map<string, ActiveSweep>();
  private readonly item = vscode.window.createStatusBarItem('auLens.sweep', vscode.StatusBarAlignment.Left, 49);
  /** Results of ended sweeps, latest last (tests read them). */
  readonly ended: SweepResult[] = [];

  constructor(private readonly cli: () => CliCommand, private readonly log: Log) {
    this.item.name = 'AU Lens Sweep';
  }

  /** Whether this window runs the sweep of `out`. */
  isRunning(out: string): boolean {
    return this.active.has(out);
  }

  /** Cancels the sweep of `out` if this window runs it. */
  cancel(out: string): boolean {
    this.active.get(out)?.cancel();
    return this.active.has(out);
  }

  /** Runs the sweep with `args` after `--local`/`--slurm`; resolves once it has ended here or on the cluster. */
  async run(loaded: LoadedSweep, where: SweepWhere, args: readonly string[]): Promise<SweepResult> {
    const { sweep, runs } = loaded;
    if (this.active.has(sweep.out)) throw new Error(`the sweep "${sweep.name}" is already running in this window`);
    const cli = this.cli();
    const statusNow = (): Promise<SweepStatus> =>
      sweepStatus(sweep.out, runs, { slurm: where === 'slurm', env: cli.env });
    const failures = new FailureWatch();
    failures.newFailures(await statusNow());
    const argv = ['sweep', 'run', sweep.file, `--${where}`, '--yes', ...args];
    this.log.info(`sweep ${sweep.name}: au-lens ${argv.join(' ')}`);
    const proc = startCli(cli, argv, path.dirname(sweep.file), (line) => this.log.info(`sweep ${sweep.name}: ${line}`));
    let exit: CliExit | undefined;
    void proc.exited.then((e) => (exit = e));
    let cancelled = false;
    const entry: ActiveSweep = {
      name: sweep.name, file: sweep.file,
      cancel: () => {
        if (cancelled) return;
        cancelled = true;
        // The runner stops each local run after its step; a Slurm sweep's tasks are Slurm's to stop.
        if (where === 'local' || exit === undefined) proc.child.kill('SIGTERM');
        if (where === 'slurm') {
          void proc.exited.then(() => cancelSweep(sweep.out, cli.env)).then(
            (jobs) => this.log.info(`sweep ${sweep.name}: scancel ${jobs.join(' ') || '(nothing queued or running)'}`),
            (err: Error) => void vscode.window.showErrorMessage(`AU Lens: cancelling the sweep: ${err.message}`));
        }
      },
      close: () => where === 'local' && proc.child.kill('SIGTERM'),
    };
    this.active.set(sweep.out, entry);
    let status: SweepStatus | undefined;
    try {
      await vscode.window.withProgress({
        location: vscode.ProgressLocation.Notification, cancellable: true,
        title: `AU Lens sweep "${sweep.name}" (${where === 'local' ? 'this machine' : 'Slurm'})`,
      }, async (progress, token) => {
        token.onCancellationRequested(() => {
          entry.cancel();
          progress.report({ message: where === 'local' ? 'stopping: each run saves last.ckpt after its step…'
            : 'cancelling the Slurm tasks (scancel)…' });
        });
        let reported = 0;
        for (;;) {
          const ended = exit !== undefined;
          status = await statusNow();
          const p = sweepProgress(status);
          entry.progress = p;
          this.showStatusBar();
          if (!cancelled) progress.report({ message: p.text, increment: 100 * (p.fraction - reported) });
          reported = p.fraction;
          for (const run of failures.newFailures(status)) this.reportFailure(sweep.name, run.name, run.error, run.log);
          // Local: the runner's exit is the end. Slurm: the submission's, then the last task's.
          if (ended && (where === 'local' || exit!.code !== 0 || !p.active)) break;
          await Promise.race([proc.exited, new Promise((r) => setTimeout(r, POLL_MS[where]))]);
        }
      });
    } finally {
      this.active.delete(sweep.out);
      this.showStatusBar();
    }
    const failed = exit?.code !== 0 && !cancelled && (status?.counts.failed ?? 0) === 0;
    const result: SweepResult = { where, cancelled, ...(status && { status }),
      ...(failed && { error: exit?.error ?? `au-lens ended with ${exit?.signal ?? `exit ${exit?.code}`}` }) };
    this.ended.push(result);
    this.reportEnd(sweep.name, sweep.file, result);
    return result;
  }

  private reportFailure(sweep: string, run: string, error: string | undefined, log: string | undefined): void {
    this.log.error(`sweep ${sweep}: ${run} failed: ${error ?? 'no error recorded'}`);
    const message = `AU Lens sweep "${sweep}": ${run} failed${error ? `: ${error}` : ''}`;
    void vscode.window.showErrorMessage(message, ...(log ? ['Show Log'] : []))
      .then((picked) => (picked && log ? showLog(log) : undefined));
  }

  private reportEnd(name: string, file: string, result: SweepResult): void {
    if (result.error) {
      this.log.error(`sweep ${name}: ${result.error}`);
      void vscode.window.showErrorMessage(`AU Lens sweep "${name}": ${result.error}`, 'Show Output')
        .then((picked) => picked && this.log.show());
      return;
    }
    const p = result.status && sweepProgress(result.status);
    const what = result.cancelled
      ? `stopped (${p?.text ?? 'no status'}); Run Sweep again resumes the unfinished runs`
      : result.where === 'slurm' && p?.active ? `submitted: ${p.text}` : `ended: ${p?.text ?? ''}`;
    const show = (picked: string | undefined): unknown =>
      picked && vscode.commands.executeCommand('auLens.showSweep', vscode.Uri.file(file));
    const message = `AU Lens sweep "${name}" ${what}`;
    if (p && p.failed > 0) void vscode.window.showWarningMessage(message, 'Show Sweep').then(show);
    else void vscode.window.showInformationMessage(message, 'Show Sweep').then(show);
  }

  private showStatusBar(): void {
    const [out, first] = [...this.active.entries()][0] ?? [];
    if (!out || !first) {
      this.item.hide();
      return;
    }
    const text = first.progress?.text ?? 'starting…';
    this.item.text = `$(sync~spin) Sweep ${first.name}: ${text}`;
    this.item.tooltip = `AU Lens sweep "${first.name}": ${text}. Click for the sweep panel.`;
    this.item.command = { command: 'auLens.showSweep', title: 'Show Sweep', arguments: [vscode.Uri.file(first.file)] };
    this.item.accessibilityInformation = { label: `AU Lens sweep ${first.name}, ${text}. Open the sweep panel.`,
      role: 'button' };
    this.item.show();
  }

  dispose(): void {
    for (const sweep of this.active.values()) sweep.close();
    this.item.dispose();
  }
}
