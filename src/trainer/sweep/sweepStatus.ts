/**
 * Where each run of a sweep stands, from what any machine that sees the sweep's folder can read: the run folders
 * (run.json, the attempts' logs) and, for runs sent to Slurm, squeue (queued, running, recently ended) and sacct
 * (ended long ago, where the cluster keeps accounting). Slurm decides whether a run's process is alive when the
 * run was submitted there; a local run's pid is checked on this machine.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { evalFileName } from '../eval/evalFile';
import type { SweepPoint } from '../science/metrics/sweepStats';
import { processAlive } from '../io/liveProcess';
import { readRunRecord } from '../train/runLog';
import type { RunRecord } from '../train/runLog';
import type { SweepRun } from './expand';
import type { SlurmTask } from './slurm';
import { findExecutable, sacctTasks, SlurmError, squeueTasks } from './slurm';
import { SLURM_OUTPUT_FOLDER } from './slurmScript';
import { isActive, latestTasks, readSubmissions } from './slurmSweep';

export const RUN_STATES = [
  'completed', 'running', 'pending', 'failed', 'cancelled', 'interrupted', 'not started',
] as const;
export type RunState = (typeof RUN_STATES)[number];

export interface RunStatusRow {
  readonly index: number;
  readonly name: string;
  readonly point: SweepPoint;
  readonly folder: string;
  readonly state: RunState;
  /** The test-split evaluation is in the run folder. */
  readonly evaluated: boolean;
  readonly record?: RunRecord;
  /** The run's latest Slurm task, where it was submitted. */
  readonly slurm?: SlurmTask;
  /** The newest log of an attempt (local.log, slurm-<job>_<task>.log, or Slurm's own output). */
  readonly log?: string;
  /** Why it failed: run.json's error, or what the Slurm task said. */
  readonly error?: string;
}

export interface SweepStatus {
  readonly runs: readonly RunStatusRow[];
  readonly counts: Readonly<Record<RunState, number>>;
  /** False where Slurm was asked and keeps no accounting (sacct disabled): long-ended tasks then show as unknown. */
  readonly accounting: boolean;
  /** False where the sweep has Slurm jobs but squeue is not on this machine's PATH: their states are unknown. */
  readonly slurmReachable: boolean;
  /** Why squeue failed (no controller reachable, e.g. a copied sweep folder): the tasks' states are then unknown. */
  readonly slurmError?: string;
}

const LOG_NAME = /^(local|slurm-\d+_\d+)\.log$/;

/** The newest attempt log in the run folder, else Slurm's output of the run's task when it has any. */
async function latestLog(folder: string, out: string, task: SlurmTask | undefined): Promise<string | undefined> {
  const names = await readdir(folder).catch(() => [] as string[]);
  const logs = await Promise.all(names.filter((n) => LOG_NAME.test(n)).map(async (n) => {
    const file = path.join(folder, n);
    return { file, mtime: (await stat(file)).mtimeMs };
  }));
  const newest = logs.sort((a, b) => b.mtime - a.mtime)[0]?.file;
  if (newest) return newest;
  if (!task) return undefined;
  const slurmOut = path.join(out, SLURM_OUTPUT_FOLDER, `${task.jobId}_${task.task}.out`);
  return (await stat(slurmOut).catch(() => undefined))?.size ? slurmOut : undefined;
}

/** The last lines of a log, for a failed run's report. */
export async function logTail(file: string, lines = 15): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split(/\r?\n/).filter((l) => l.trim() !== '').slice(-lines);
}

const SLURM_FAILED = ['FAILED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'BOOT_FAIL', 'DEADLINE', 'PREEMPTED'];

/** One run's state: an active Slurm task wins (a resubmitted run), then run.json, then how its task ended. */
export function runState(
  record: RunRecord | undefined, task: SlurmTask | undefined, alive: (pid: number) => boolean,
): { state: RunState; error?: string } {
  if (task && isActive(task)) return { state: task.state === 'PENDING' ? 'pending' : 'running' };
  const exit = task?.exitCode ? ` (exit ${task.exitCode})` : '';
  const failed = task && SLURM_FAILED.includes(task.state);
  const taskError = failed ? `Slurm task ${task.jobId}_${task.task}: ${task.state}${exit}` : undefined;
  if (!record) {
    if (taskError) return { state: 'failed', error: taskError };
    return { state: task?.state === 'CANCELLED' ? 'cancelled' : 'not started' };
  }
  if (record.status === 'running') {
    // Submitted to Slurm: the task is over (not active), so its process is gone. Else: a process on this machine.
    const gone = task ? true : !alive(record.pid);
    if (!gone) return { state: 'running' };
    return { state: 'interrupted', ...(taskError && { error: taskError }) };
  }
  if (record.status === 'failed') return { state: 'failed', error: record.error ?? taskError ?? 'failed' };
  // A run stopped by its time limit says "cancelled"; the task's end says why.
  return { state: record.status, ...(taskError && { error: taskError }) };
}

export interface StatusOptions {
  /** Ask Slurm about the runs submitted there (default: where the sweep has submissions and squeue is on the PATH). */
  readonly slurm?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  readonly alive?: (pid: number) => boolean;
}

export async function sweepStatus(
  out: string, runs: readonly Pick<SweepRun, 'index' | 'name' | 'point' | 'request'>[], options: StatusOptions = {},
): Promise<SweepStatus> {
  const submissions = await readSubmissions(out);
  const jobIds = submissions.map((s) => s.jobId);
  const reachable = findExecutable('squeue', options.env) !== undefined;
  const askSlurm = (options.slurm ?? reachable) && jobIds.length > 0;
  // Unless the caller needs Slurm, a failing squeue leaves the run folders to tell the states, as without squeue.
  let slurmError: string | undefined;
  const queued = askSlurm ? await squeueTasks(jobIds, options.env).catch((err: unknown) => {
    if (options.slurm || !(err instanceof SlurmError)) throw err;
    slurmError = err.message;
    return undefined;
  }) : [];
  const known = new Set((queued ?? []).map((t) => `${t.jobId}_${t.task}`));
  const accounted = askSlurm && queued ? await sacctTasks(jobIds, options.env) : [];
  // squeue knows the present; sacct fills in tasks the controller has already forgotten.
  const tasks = [...(queued ?? []), ...(accounted ?? []).filter((t) => !known.has(`${t.jobId}_${t.task}`))];
  const latest = latestTasks(submissions, tasks);
  const rows = await Promise.all(runs.map(async ({ index, name, point, request }): Promise<RunStatusRow> => {
    const folder = request.out;
    const read = await readRunRecord(folder).then(
      (record) => ({ record }), (err: Error) => ({ record: undefined, damaged: err.message }));
    const task = latest.get(name);
    const { state, error } = 'damaged' in read
      ? { state: 'failed' as const, error: read.damaged }
      : runState(read.record, task, options.alive ?? processAlive);
    const log = await latestLog(folder, out, task);
    const evaluated = await stat(path.join(folder, evalFileName(request.data))).then((s) => s.isFile(), () => false);
    const { record } = read;
    return {
      index, name, point, folder, state, evaluated,
      ...(record && { record }), ...(task && { slurm: task }), ...(log && { log }),
      ...(error !== undefined && { error }),
    };
  }));
  const counts = Object.fromEntries(RUN_STATES.map((s) => [s, rows.filter((r) => r.state === s).length]));
  return {
    runs: rows, counts: counts as Record<RunState, number>,
    accounting: !askSlurm || accounted !== undefined, slurmReachable: jobIds.length === 0 || reachable,
    ...(slurmError !== undefined && { slurmError }),
  };
}
