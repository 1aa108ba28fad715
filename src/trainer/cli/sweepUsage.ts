/** The sweep command's usage text, and the file word each of its subcommands takes first. */
import { RUNS_NEEDING_CONFIRMATION } from '../sweep/expand';
import { UsageError } from './command';

export const USAGE = `Usage: au-lens sweep plan|run|status|cancel FILE [flags]

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

/** The file a sweep command takes before its flags; missing, the usage error shows the command's form. */
export function fileWord(form: string, what = 'sweep'): (arg: string | undefined) => string {
  return (arg) => {
    if (arg === undefined || arg.startsWith('-')) throw new UsageError(`give the ${what} file: au-lens sweep ${form}`);
    return arg;
  };
}

