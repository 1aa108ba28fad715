/**
 * A sweep on Slurm: the array script written into the sweep's folder and submitted, each submission recorded in
 * `<out>/slurm-jobs.json` (job id, task ids and the run of each), so status and cancel find the jobs again from
 * any machine that sees the folder. Runs that completed, or that a queued or running task of this sweep already
 * holds, are not submitted again.
 */
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomicFile';
import { JsonFileError, readJsonFile } from './readJson';
import type { SlurmTask } from './slurm';
import { maxArraySize, sbatch, scancel, squeueTasks } from './slurm';
import type { SlurmScriptInput } from './slurmScript';
import { arraySpec, OFFSET_VARIABLE, SCRIPT_FILE, SLURM_OUTPUT_FOLDER, slurmScript } from './slurmScript';

export const JOBS_FILE = 'slurm-jobs.json';

export interface SlurmSubmission {
  readonly jobId: string;
  readonly submittedAt: string;
  /** Task id + offset = the run's index in the script's list. */
  readonly offset: number;
  readonly tasks: readonly number[];
  /** The run each task trains, in the order of `tasks`. */
  readonly runs: readonly string[];
}

/** Slurm states in which a task holds its run: it will start, or it trains. */
const ACTIVE_STATES = [
  'PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING', 'REQUEUED', 'RESIZING', 'SUSPENDED', 'STOPPED',
];

export const isActive = (task: SlurmTask | undefined): boolean =>
  task !== undefined && ACTIVE_STATES.includes(task.state);

export async function readSubmissions(out: string): Promise<SlurmSubmission[]> {
  try {
    const json = await readJsonFile(path.join(out, JOBS_FILE));
    if (!Array.isArray(json)) return [];
    const valid = (s: SlurmSubmission): boolean =>
      typeof s?.jobId === 'string' && Array.isArray(s.tasks) && Array.isArray(s.runs);
    return (json as SlurmSubmission[]).filter(valid);
  } catch (err) {
    if (err instanceof JsonFileError && err.code === 'ENOENT') return [];
    throw err;
  }
}

async function recordSubmissions(out: string, added: readonly SlurmSubmission[]): Promise<void> {
  const all = [...(await readSubmissions(out)), ...added];
  await writeFileAtomic(path.join(out, JOBS_FILE), `${JSON.stringify(all, null, 2)}\n`);
}

/** Each run's latest Slurm task, by run name, as squeue (or the caller's sacct) reports it. */
export function latestTasks(
  submissions: readonly SlurmSubmission[], tasks: readonly SlurmTask[],
): Map<string, SlurmTask> {
  const byId = new Map(tasks.map((t) => [`${t.jobId}_${t.task}`, t]));
  const latest = new Map<string, SlurmTask>();
  for (const s of submissions) {
    s.tasks.forEach((task, i) => {
      const run = s.runs[i];
      if (run === undefined) return;
      latest.set(run, byId.get(`${s.jobId}_${task}`) ?? { jobId: s.jobId, task, state: 'UNKNOWN' });
    });
  }
  return latest;
}

/** The script's input with, instead of its task ids, the indices of the runs to submit (any number of them). */
export interface SlurmSubmitRequest extends Omit<SlurmScriptInput, 'tasks'> {
  readonly submit: readonly number[];
  readonly env?: NodeJS.ProcessEnv;
}

/** One array job's tasks: task id + offset = run index. */
export interface Chunk {
  readonly offset: number;
  readonly tasks: number[];
}

/** Groups run indices by the array chunk they fall in: task ids stay below the cluster's MaxArraySize. */
export function chunks(indices: readonly number[], maxArray: number): Chunk[] {
  const byOffset = new Map<number, number[]>();
  for (const i of [...indices].sort((a, b) => a - b)) {
    const offset = Math.floor(i / maxArray) * maxArray;
    byOffset.set(offset, [...(byOffset.get(offset) ?? []), i - offset]);
  }
  return [...byOffset].map(([offset, tasks]) => ({ offset, tasks }));
}

/** The script for the first chunk (what --dry-run prints), and the chunks. */
export async function sweepScript(
  request: SlurmSubmitRequest, maxArray?: number,
): Promise<{ script: string; chunks: Chunk[] }> {
  const parts = chunks(request.submit, maxArray ?? await maxArraySize(request.env));
  const first = parts[0];
  if (!first) throw new RangeError('no run to submit');
  const script = slurmScript({ ...request, tasks: first.tasks });
  return { script, chunks: parts };
}

/** Writes the script and submits one array job per chunk; returns the submissions (recorded in slurm-jobs.json). */
export async function submitSweep(
  request: SlurmSubmitRequest,
): Promise<{ file: string; submissions: SlurmSubmission[] }> {
  const { script, chunks: parts } = await sweepScript(request);
  const file = path.join(request.out, SCRIPT_FILE);
  await mkdir(path.join(request.out, SLURM_OUTPUT_FOLDER), { recursive: true });
  await writeFileAtomic(file, script);
  const submissions: SlurmSubmission[] = [];
  try {
    for (const [k, part] of parts.entries()) {
      const parallel = request.resources.parallel !== undefined ? `%${request.resources.parallel}` : '';
      const args = k === 0
        ? []
        : [`--array=${arraySpec(part.tasks)}${parallel}`, `--export=ALL,${OFFSET_VARIABLE}=${part.offset}`];
      const jobId = await sbatch(file, args, request.env);
      const runs = part.tasks.map((t) => request.runs[t + part.offset]!);
      submissions.push({ jobId, submittedAt: new Date().toISOString(), offset: part.offset, tasks: part.tasks, runs });
    }
  } finally {
    // Even when a later chunk is refused, the jobs already queued are recorded, so status and cancel see them.
    if (submissions.length > 0) await recordSubmissions(request.out, submissions);
  }
  return { file, submissions };
}

/** Cancels every queued or running task of the sweep's jobs; returns the job ids cancelled. */
export async function cancelSweep(out: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const submissions = await readSubmissions(out);
  const tasks = await squeueTasks(submissions.map((s) => s.jobId), env);
  const active = [...new Set(tasks.filter(isActive).map((t) => t.jobId))];
  await scancel(active, env);
  return active;
}
