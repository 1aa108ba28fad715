import { LandmarkDetector } from '../io/landmarks';
import { loadSweep } from '../sweep/loadSweep';
import { cancelSweep } from '../sweep/slurmSweep';
import { sweptSettings, writeSweepPlan } from '../sweep/sweepPlan';
import { sweepStatus } from '../sweep/sweepStatus';
import { runSweepTask } from '../sweep/sweepTask';
import type { Command } from './command';
import { defineCommand, parseThreads, UsageError } from './command';
import { failureReport, planTable, statusCounts, statusTable } from './sweepFormat';
import { confirmSize, runCommand } from './sweepRun';
import { fileWord, USAGE } from './sweepUsage';


const plan = defineCommand({
  name: 'plan', summary: 'print and write the runs', usage: USAGE, flags: { yes: 'boolean' },
  word: fileWord('plan FILE'),
  async run(f, io, file) {
    const loaded = await loadSweep(file);
    await confirmSize(loaded, f.yes, io);
    const { sweep, runs } = loaded;
    io.out(`sweep "${sweep.name}": ${runs.length} run(s) in ${sweep.out}`);
    for (const line of planTable(runs, sweptSettings(sweep))) io.out(line);
    await writeSweepPlan(sweep, runs);
    io.out(`wrote ${runs.length} run config(s) in ${sweep.out}/configs and ${sweep.out}/sweep-plan.json`);
  },
});

const status = defineCommand({
  name: 'status', summary: "each run's state", usage: USAGE, flags: { json: 'boolean' },
  word: fileWord('status FILE'),
  async run(f, io, file) {
    const { sweep, runs } = await loadSweep(file);
    const s = await sweepStatus(sweep.out, runs);
    if (f.json) {
      io.out(JSON.stringify(s, null, 2));
      return;
    }
    io.out(`sweep "${sweep.name}": ${runs.length} run(s) — ${statusCounts(s)}`);
    for (const line of statusTable(s.runs)) io.out(line);
    if (!s.slurmReachable) io.out('(squeue is not on the PATH here: the Slurm tasks\' states are unknown)');
    if (s.slurmError) io.out(`(${s.slurmError}: the Slurm tasks' states are unknown)`);
    if (!s.accounting && s.runs.some((r) => r.slurm?.state === 'UNKNOWN')) {
      io.out('(no Slurm accounting here: tasks that ended long ago are known from their run folders)');
    }
    for (const line of await failureReport(s.runs)) io.out(line);
  },
});

const cancel = defineCommand({
  name: 'cancel', summary: "scancel the sweep's tasks", usage: USAGE, flags: {}, word: fileWord('cancel FILE'),
  async run(_f, io, file) {
    const { sweep } = await loadSweep(file);
    const jobs = await cancelSweep(sweep.out);
    io.out(jobs.length === 0
      ? 'no queued or running Slurm task of this sweep'
      : `cancelled Slurm job(s) ${jobs.join(', ')}; their runs save last.ckpt and stop`);
  },
});

/** One run; a stop signal saves last.ckpt, then is raised again so the runner sees a stopped task, not a failed one. */
const task = defineCommand({
  name: 'task', summary: 'train one run config', usage: USAGE, flags: { threads: 'string', evaluate: 'boolean' },
  word: fileWord('task CONFIG', 'run config'),
  async run(f, io, file) {
    const threads = parseThreads(f.threads) || 1;
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
  },
});

const SUBCOMMANDS: readonly Command[] = [plan, runCommand, status, cancel, task];

export const sweepCommand: Command = {
  name: 'sweep',
  summary: 'plan, run (here or on Slurm), follow and cancel a sweep of runs (*.au-lens-sweep.json)',
  usage: USAGE,
  async run(argv, io) {
    const [name, ...rest] = argv;
    const sub = SUBCOMMANDS.find((c) => c.name === name);
    if (!sub) {
      throw new UsageError(name === undefined
        ? 'give a sweep command: plan, run, status or cancel'
        : `unknown sweep command "${name}"; use plan, run, status or cancel`);
    }
    await sub.run(rest, io);
  },
};
