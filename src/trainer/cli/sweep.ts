import * as os from 'node:os';
import { LandmarkDetector } from '../io/landmarks';
import { RUNS_NEEDING_CONFIRMATION } from '../sweep/expand';
import { loadSweep } from '../sweep/loadSweep';
import { cancelSweep } from '../sweep/slurmSweep';
import { sweptSettings, writeSweepPlan } from '../sweep/sweepPlan';
import { sweepStatus } from '../sweep/sweepStatus';
import { runSweepTask } from '../sweep/sweepTask';
import type { CliIo, Command } from './command';
import { parseFlags, parseIntFlag, UsageError } from './command';
import { failureReport, planTable, statusCounts, statusTable } from './sweepFormat';
import { confirmSize, runSweep } from './sweepRun';

const USAGE = `Usage: au-lens sweep plan|run|status|cancel FILE [flags]

A sweep file (*.au-lens-sweep.json) is a base run config and the settings that vary, as a grid ("axes") and/or
listed "points"; each combination is one run with a stable name (e.g. tiny64-l4-stage3-s1), trained in
<out>/<run name> from its own run config. The same run configs serve every runner; a run that completed is
skipped, one that was interrupted resumes from its last.ckpt.

  au-lens sweep plan FILE [--yes]
      print the runs and write their run configs and sweep-plan.json into the sweep's output folder; nothing runs
  au-lens sweep run FILE --local [--parallel N] [--yes]
      train on this machine, N runs at a time (default: one per two cores); Ctrl-C stops every run after its
      current step (last.ckpt saved): run the command again to resume
  au-lens sweep run FILE --slurm [--partition P] [--gres G] [--cpus N] [--time T] [--parallel N] [--node PATH]
                                 [--dry-run] [--yes]
      write <out>/sweep.sbatch, one array task per run not yet done, and submit it with sbatch; --dry-run prints
      the script and submits nothing. Each task logs to <run>/slurm-<job>_<task>.log. Other sbatch options come
      from sbatch's own environment variables (SBATCH_ACCOUNT, SBATCH_QOS, …)
  au-lens sweep status FILE [--json]
      each run's state from its folder and, for submitted runs, squeue and sacct; failed runs with their logs
  au-lens sweep cancel FILE
      scancel the sweep's queued and running Slurm tasks (they save last.ckpt first)

Flags:
  --yes               go ahead with more than ${RUNS_NEEDING_CONFIRMATION.toLocaleString('en')} runs without asking
  --parallel N        runs at once (--local), or the array's task limit %N (--slurm)
  --partition P       Slurm partition (default: the cluster's default)
  --gres G            generic resources per task, e.g. gpu:1
  --cpus N            CPUs per task (--cpus-per-task); a run whose config sets no "threads" uses them all
  --time T            time limit per task, e.g. 2:00:00 (Slurm's formats)
  --node PATH         the node binary on the compute nodes (default: this one, ${process.execPath})
  --json              status as JSON

  au-lens sweep task CONFIG [--threads N] [--evaluate]
      what a runner starts for one run: train (or resume, or skip) the run of a run config, then, with
      --evaluate, evaluate its best.ckpt on the run's test split`;

/** The command's FILE and its flags. */
function fileAndFlags(argv: readonly string[], what: string): { file: string; flags: readonly string[] } {
  const [file, ...flags] = argv;
  if (file === undefined || file.startsWith('-')) {
    const form = what === 'run config' ? 'task CONFIG' : '<command> FILE';
    throw new UsageError(`give the ${what} file: au-lens sweep ${form}`);
  }
  return { file, flags };
}

async function plan(argv: readonly string[], io: CliIo): Promise<void> {
  const { file, flags } = fileAndFlags(argv, 'sweep');
  const f = parseFlags(flags, { yes: { type: 'boolean', default: false } });
  const loaded = await loadSweep(file);
  await confirmSize(loaded, f.yes, io);
  const { sweep, runs } = loaded;
  io.out(`sweep "${sweep.name}": ${runs.length} run(s) in ${sweep.out}`);
  for (const line of planTable(runs, sweptSettings(sweep))) io.out(line);
  await writeSweepPlan(sweep, runs);
  io.out(`wrote ${runs.length} run config(s) in ${sweep.out}/configs and ${sweep.out}/sweep-plan.json`);
}

async function status(argv: readonly string[], io: CliIo): Promise<void> {
  const { file, flags } = fileAndFlags(argv, 'sweep');
  const f = parseFlags(flags, { json: { type: 'boolean', default: false } });
  const { sweep, runs } = await loadSweep(file);
  const s = await sweepStatus(sweep.out, runs);
  if (f.json) {
    io.out(JSON.stringify(s, null, 2));
    return;
  }
  io.out(`sweep "${sweep.name}": ${runs.length} run(s) — ${statusCounts(s)}`);
  for (const line of statusTable(s.runs)) io.out(line);
  if (!s.slurmReachable) io.out('(squeue is not on the PATH here: the Slurm tasks\' states are unknown)');
  if (!s.accounting && s.runs.some((r) => r.slurm?.state === 'UNKNOWN')) {
    io.out('(no Slurm accounting here: tasks that ended long ago are known from their run folders)');
  }
  for (const line of await failureReport(s.runs)) io.out(line);
}

async function cancel(argv: readonly string[], io: CliIo): Promise<void> {
  const { file, flags } = fileAndFlags(argv, 'sweep');
  parseFlags(flags, {});
  const { sweep } = await loadSweep(file);
  const jobs = await cancelSweep(sweep.out);
  io.out(jobs.length === 0
    ? 'no queued or running Slurm task of this sweep'
    : `cancelled Slurm job(s) ${jobs.join(', ')}; their runs save last.ckpt and stop`);
}

/** One run; a stop signal saves last.ckpt, then is raised again so the runner sees a stopped task, not a failed one. */
async function task(argv: readonly string[], io: CliIo): Promise<void> {
  const { file, flags } = fileAndFlags(argv, 'run config');
  const f = parseFlags(flags, { threads: { type: 'string' }, evaluate: { type: 'boolean', default: false } });
  const threads = parseIntFlag(f.threads, 'threads', os.availableParallelism()) || 1;
  const abort = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    received = signal;
    io.err(`${signal}: stopping after the current step…`);
    abort.abort();
    // A second signal takes the default action: stop at once.
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    const hooks = { signal: abort.signal, detector: () => LandmarkDetector.create(), log: io.out };
    const outcome = await runSweepTask(file, { evaluate: f.evaluate, threads }, hooks);
    if (outcome === 'cancelled' && received) process.kill(process.pid, received);
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}

type Subcommand = (argv: readonly string[], io: CliIo) => Promise<void>;
const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = { plan, run: runSweep, status, cancel, task };

export const sweepCommand: Command = {
  name: 'sweep',
  summary: 'plan, run (here or on Slurm), follow and cancel a sweep of runs (*.au-lens-sweep.json)',
  usage: USAGE,
  async run(argv, io) {
    const [name, ...rest] = argv;
    const sub = name === undefined ? undefined : SUBCOMMANDS[name];
    if (!sub) {
      throw new UsageError(name === undefined
        ? 'give a sweep command: plan, run, status or cancel'
        : `unknown sweep command "${name}"; use plan, run, status or cancel`);
    }
    await sub(rest, io);
  },
};
