/**
 * A sweep on this machine: `parallel` child processes of `au-lens sweep task` at a time, the same command a Slurm
 * array task runs, each with its output appended to `<run>/local.log`. Children get their own process group, so a
 * terminal's Ctrl-C reaches only the runner, which then stops starting runs and sends each child one SIGTERM: the
 * child saves last.ckpt and exits, and the next `sweep run` resumes it.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, open, stat } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { evalFileName } from '../eval/evalFile';
import { processAlive } from '../io/liveProcess';
import { LOCAL_LOG } from '../train/runFiles';
import { runAction } from './runAction';
import { readRunConfigFile, readRunFolderState } from './runFolder';
import type { AuLensCommand } from './slurmScript';
import type { PlannedRun } from './sweepPlan';

export type LocalOutcome = 'completed' | 'skipped' | 'busy' | 'failed' | 'cancelled';

export interface LocalProgress {
  readonly total: number;
  readonly done: number;
  readonly running: readonly string[];
  readonly failed: number;
  /** The run that just changed, and how. */
  readonly run: string;
  readonly event: 'started' | LocalOutcome;
}

export interface LocalRunOptions {
  /** Runs at once. */
  readonly parallel: number;
  /** Engine threads of a run whose config sets none. */
  readonly threads: number;
  readonly evaluate: boolean;
  readonly command: AuLensCommand;
  readonly signal: AbortSignal;
  readonly env?: NodeJS.ProcessEnv;
  readonly onProgress?: (progress: LocalProgress) => void;
}

/** One run per two cores, as a run's engine uses two threads well on CPU. */
export function defaultParallel(cores = os.availableParallelism()): number {
  return Math.max(1, Math.floor(cores / 2));
}

/** A task that was stopped re-raises the signal once it has saved, so a signal means "cancelled", not "failed". */
export function outcomeOfExit(code: number | null, signal: NodeJS.Signals | null): LocalOutcome {
  if (code === 0) return 'completed';
  return signal === 'SIGTERM' || signal === 'SIGINT' ? 'cancelled' : 'failed';
}

async function startTask(run: PlannedRun, out: string, options: LocalRunOptions): Promise<ChildProcess> {
  const folder = path.join(out, run.folder);
  await mkdir(folder, { recursive: true });
  const log = await open(path.join(folder, LOCAL_LOG), 'a');
  try {
    await log.write(`\n== ${new Date().toISOString()}: au-lens sweep task, local runner ${process.pid}\n`);
    const args = [
      options.command.script, 'sweep', 'task', path.join(out, run.config), '--threads', String(options.threads),
      ...(options.evaluate ? ['--evaluate'] : []),
    ];
    const env = options.env ?? process.env;
    return spawn(options.command.node, args, { cwd: out, env, stdio: ['ignore', log.fd, log.fd], detached: true });
  } finally {
    // The child holds its own copy of the descriptor.
    await log.close();
  }
}

/** Whether the run needs a task: not once it completed (and has its evaluation, if asked), nor while one trains it. */
async function needsTask(run: PlannedRun, out: string, evaluate: boolean): Promise<'run' | 'skipped' | 'busy'> {
  try {
    const request = await readRunConfigFile(path.join(out, run.config));
    const action = runAction(await readRunFolderState(request.out), request, processAlive);
    if (action.kind === 'busy') return 'busy';
    if (action.kind !== 'done') return 'run';
    const evaluated = await stat(path.join(request.out, evalFileName(request.data))).then(() => true, () => false);
    return !evaluate || evaluated ? 'skipped' : 'run';
  } catch {
    // The task itself reports what is wrong, in the run's log.
    return 'run';
  }
}

/**
 * Runs the planned runs; resolves once every started child has exited. Outcomes by run name, for the runs it
 * reached (after a cancel, the rest were not started).
 */
export async function runSweepLocally(
  out: string, runs: readonly PlannedRun[], options: LocalRunOptions,
): Promise<Map<string, LocalOutcome>> {
  const outcomes = new Map<string, LocalOutcome>();
  const children = new Map<string, ChildProcess>();
  let done = 0;
  let failed = 0;
  const report = (run: string, event: LocalProgress['event']): void =>
    options.onProgress?.({ total: runs.length, done, failed, running: [...children.keys()], run, event });
  const finish = (run: string, outcome: LocalOutcome): void => {
    outcomes.set(run, outcome);
    if (outcome === 'completed' || outcome === 'skipped') done++;
    if (outcome === 'failed') failed++;
    report(run, outcome);
  };
  const onAbort = (): void => {
    for (const child of children.values()) child.kill('SIGTERM');
  };
  options.signal.addEventListener('abort', onAbort);
  // Resolves when the child exits; the evaluation is part of the task, so the child's exit is the run's end.
  const runOne = (run: PlannedRun): Promise<void> => new Promise((resolve) => {
    void startTask(run, out, options).then((child) => {
      children.set(run.name, child);
      report(run.name, 'started');
      let ended = false;
      const end = (outcome: LocalOutcome): void => {
        if (ended) return;
        ended = true;
        children.delete(run.name);
        finish(run.name, outcome);
        resolve();
      };
      child.once('error', () => end('failed'));
      child.once('close', (code, signal) => end(outcomeOfExit(code, signal)));
      if (options.signal.aborted) child.kill('SIGTERM');
    }, () => {
      finish(run.name, 'failed');
      resolve();
    });
  });
  const queue = [...runs];
  const worker = async (): Promise<void> => {
    for (let run = queue.shift(); run && !options.signal.aborted; run = queue.shift()) {
      const need = await needsTask(run, out, options.evaluate);
      if (need === 'run') await runOne(run);
      else finish(run.name, need);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.parallel) }, worker));
  } finally {
    options.signal.removeEventListener('abort', onAbort);
  }
  return outcomes;
}
