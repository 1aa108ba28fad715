import { realpathSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { RUNS_NEEDING_CONFIRMATION, sweepSize } from '../sweep/expand';
import type { LoadedSweep } from '../sweep/loadSweep';
import { loadSweep } from '../sweep/loadSweep';
import { conflictingRuns } from '../sweep/runFolder';
import type { LocalProgress } from '../sweep/localRunner';
import { defaultParallel, runSweepLocally } from '../sweep/localRunner';
import { hasSbatch, NO_SBATCH, SlurmError } from '../sweep/slurm';
import type { AuLensCommand, SlurmResources } from '../sweep/slurmScript';
import { OFFSET_VARIABLE } from '../sweep/slurmScript';
import { submitSweep, sweepScript } from '../sweep/slurmSweep';
import { writeSweepPlan } from '../sweep/sweepPlan';
import type { SweepPlanFile } from '../sweep/sweepPlan';
import { sweepStatus } from '../sweep/sweepStatus';
import type { RunStatusRow } from '../sweep/sweepStatus';
import type { CliIo } from './command';
import { defineCommand, parseIntFlag, UsageError } from './command';
import { failureReport, statusCounts } from './sweepFormat';
import { fileWord, USAGE } from './sweepUsage';

/** This process's node and au-lens script: what child processes and array tasks start. */
function thisAuLens(node: string | undefined): AuLensCommand {
  return { node: node ?? process.execPath, script: realpathSync(process.argv[1] ?? '') };
}

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = parseIntFlag(value, flag, 0);
  if (n < 1) throw new UsageError(`--${flag} must be at least 1, got "${value}"`);
  return n;
}

/** A sweep of more than RUNS_NEEDING_CONFIRMATION runs goes ahead on --yes or a "y" typed at a terminal. */
export async function confirmSize(loaded: LoadedSweep, yes: boolean, io: CliIo): Promise<void> {
  const size = sweepSize(loaded.sweep);
  if (size <= RUNS_NEEDING_CONFIRMATION || yes) return;
  const [runs, most] = [size, RUNS_NEEDING_CONFIRMATION].map((n) => n.toLocaleString('en'));
  const what = `the sweep expands to ${runs} runs (more than ${most})`;
  if (!process.stdin.isTTY) throw new UsageError(`${what}; pass --yes to go ahead`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`${what}. Go ahead? [y/N] `).finally(() => rl.close());
  if (!/^y(es)?$/i.test(answer.trim())) throw new Error('stopped; nothing was written');
  io.err('going ahead');
}

const progressLine = (p: LocalProgress): string =>
  `[${p.done}/${p.total} done, ${p.running.length} running, ${p.failed} failed] ${p.run}: ${p.event}`;

async function runLocal(
  loaded: LoadedSweep, plan: SweepPlanFile, parallelFlag: number | undefined, io: CliIo,
): Promise<void> {
  const parallel = parallelFlag ?? defaultParallel();
  const threads = Math.max(1, Math.floor(os.availableParallelism() / parallel));
  io.out(`running ${plan.runs.length} run(s) on this machine, ${parallel} at a time (${threads} thread(s) each ` +
    'unless a run config sets "threads"); Ctrl-C stops them all');
  const abort = new AbortController();
  // Ctrl-C, or the terminal closing (the tasks run in their own process groups and would train on unwatched).
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const onSignal = (): void => {
    io.err('stopping: each run saves last.ckpt after its current step (run the same command again to resume)…');
    abort.abort();
    // A second signal takes the default action: stop at once.
    for (const s of signals) process.off(s, onSignal);
  };
  for (const s of signals) process.on(s, onSignal);
  try {
    await runSweepLocally(loaded.sweep.out, plan.runs, {
      parallel, threads, evaluate: plan.evaluate, command: thisAuLens(undefined), signal: abort.signal,
      onProgress: (p) => io.out(progressLine(p)),
    });
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
  const status = await sweepStatus(loaded.sweep.out, loaded.runs, { slurm: false });
  io.out(`sweep "${loaded.sweep.name}": ${statusCounts(status)}`);
  const failures = await failureReport(status.runs);
  for (const line of failures) io.out(line);
  if (abort.signal.aborted) throw new Error('stopped; run the same command again to resume the unfinished runs');
  if (failures.length > 0) throw new Error(`${status.counts.failed} run(s) failed (above, with their logs)`);
}

interface SlurmFlags {
  readonly resources: SlurmResources;
  readonly node: string | undefined;
  readonly dryRun: boolean;
}

async function runSlurm(loaded: LoadedSweep, plan: SweepPlanFile, flags: SlurmFlags, io: CliIo): Promise<void> {
  const { sweep, runs } = loaded;
  // Runs that completed, or that a queued or running task of this sweep holds, are not submitted again.
  const status = await sweepStatus(sweep.out, runs);
  // Without squeue's answer a queued run would be submitted twice.
  if (status.slurmError) throw new SlurmError(status.slurmError);
  const done = (r: RunStatusRow): boolean => r.state === 'completed' && (r.evaluated || !sweep.evaluate);
  const submit = status.runs.filter((r) => !done(r) && r.state !== 'pending' && r.state !== 'running');
  if (submit.length === 0) {
    io.out(`nothing to submit: ${statusCounts(status)}`);
    return;
  }
  const request = {
    sweepName: sweep.name, out: sweep.out, runs: plan.runs.map((r) => r.name), submit: submit.map((r) => r.index),
    command: thisAuLens(flags.node), resources: flags.resources, evaluate: sweep.evaluate,
  };
  if (flags.dryRun) {
    const { script, chunks } = await sweepScript(request);
    io.out(script);
    if (chunks.length > 1) {
      io.out(`# submitted as ${chunks.length} array jobs (the cluster's MaxArraySize), ${OFFSET_VARIABLE} set per job`);
    }
    return;
  }
  const { file, submissions } = await submitSweep(request);
  for (const s of submissions) io.out(`submitted job ${s.jobId}: ${s.tasks.length} task(s)`);
  io.out(`script ${file}; ${runs.length - submit.length} run(s) not submitted (done or queued)`);
  io.out(`follow with: au-lens sweep status ${path.relative(process.cwd(), sweep.file) || sweep.file}`);
}

export const runCommand = defineCommand({
  name: 'run', summary: 'train the runs here or on Slurm', usage: USAGE, word: fileWord('run FILE --local|--slurm'),
  flags: {
    local: 'boolean', slurm: 'boolean', yes: 'boolean', 'dry-run': 'boolean',
    parallel: 'string', partition: 'string', gres: 'string', cpus: 'string', time: 'string', node: 'string',
  },
  async run(f, io, file) {
    if (f.local === f.slurm) throw new UsageError('choose where the runs train: --local (here) or --slurm (sbatch)');
    const slurmFlags = ['partition', 'gres', 'cpus', 'time', 'node', 'dry-run'] as const;
    const slurmOnly = slurmFlags.find((k) => f[k] !== undefined && f[k] !== false);
    if (f.local && slurmOnly) throw new UsageError(`--${slurmOnly} is for --slurm`);
    const parallel = positive(f.parallel, 'parallel');
    const cpus = positive(f.cpus, 'cpus');
    // Checked before anything is written: without sbatch the sweep cannot go to Slurm from here (a dry run can).
    if (f.slurm && !f['dry-run'] && !hasSbatch()) throw new SlurmError(NO_SBATCH);
    const loaded = await loadSweep(file);
    await confirmSize(loaded, f.yes, io);
    // A run folder trained with other settings would fail its task: say so before anything starts.
    const conflicts = await conflictingRuns(loaded.runs);
    if (conflicts.length > 0) throw new Error(`nothing was started:\n${conflicts.join('\n')}`);
    const plan = await writeSweepPlan(loaded.sweep, loaded.runs);
    if (f.local) return runLocal(loaded, plan, parallel, io);
    const resources: SlurmResources = {
      ...(f.partition !== undefined && { partition: f.partition }), ...(f.gres !== undefined && { gres: f.gres }),
      ...(cpus !== undefined && { cpus }), ...(f.time !== undefined && { time: f.time }),
      ...(parallel !== undefined && { parallel }),
    };
    return runSlurm(loaded, plan, { resources, node: f.node, dryRun: f['dry-run'] }, io);
  },
});
