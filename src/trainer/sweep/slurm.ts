/**
 * Slurm's own commands, run as the user would run them (sbatch, squeue, sacct, scancel, scontrol from the PATH;
 * SLURM_CONF and the rest of the environment as given), with their output parsed by the pure functions below.
 * Slurm's error messages are passed on as they are: they name the partition, account or limit at fault.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import * as path from 'node:path';

/** One array task as squeue or sacct reports it. */
export interface SlurmTask {
  readonly jobId: string;
  readonly task: number;
  /** PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, … */
  readonly state: string;
  readonly reason?: string;
  readonly node?: string;
  readonly exitCode?: string;
}

/** Slurm refused or failed; `message` is Slurm's own. */
export class SlurmError extends Error {
  override readonly name = 'SlurmError';
}

export const NO_SBATCH = 'sbatch is not on the PATH, so this machine cannot submit to Slurm. Run the sweep on this ' +
  'machine with --local, or run it on the cluster\'s login node (in VS Code: Remote-SSH to it, and run it there)';

/** The executable `name` on the PATH of `env`, or undefined. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env['PATH'] ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, name);
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function hasSbatch(env: NodeJS.ProcessEnv = process.env): boolean {
  return findExecutable('sbatch', env) !== undefined;
}

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a Slurm command; a command missing from the PATH is a SlurmError with advice, not a crash. */
function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Result> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
      if (e?.code === 'ENOENT') {
        const missing = command === 'sbatch' ? NO_SBATCH : `${command} is not on the PATH; is this a Slurm login node?`;
        reject(new SlurmError(missing));
        return;
      }
      if (e && typeof e.code !== 'number') {
        reject(new SlurmError(`${command} failed: ${e.message}`));
        return;
      }
      resolve({ code: typeof e?.code === 'number' ? e.code : 0, stdout, stderr });
    });
  });
}

const slurmMessage = (r: Result): string => (r.stderr.trim() || r.stdout.trim() || `exit status ${r.code}`);

/** The job id in `sbatch --parsable`'s answer ("123" or "123;cluster"). */
export function parseSbatch(stdout: string): string {
  const id = stdout.trim().split(/\r?\n/).pop()?.split(';')[0]?.trim() ?? '';
  if (!/^\d+$/.test(id)) throw new SlurmError(`sbatch answered ${JSON.stringify(stdout.trim())}, not a job id`);
  return id;
}

/** Submits a script; `args` go before it (they override its #SBATCH lines). Returns the job id. */
export async function sbatch(script: string, args: readonly string[], env = process.env): Promise<string> {
  const r = await run('sbatch', ['--parsable', ...args, script], env);
  if (r.code !== 0) throw new SlurmError(`Slurm refused the job: ${slurmMessage(r)}`);
  return parseSbatch(r.stdout);
}

/** "3", "[0-3,5%2]" → task ids. */
function taskIds(spec: string): number[] {
  const body = spec.replace(/^\[|\]$/g, '').replace(/%\d+$/, '');
  return body.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || !Number.isInteger(a)) return [];
    if (b === undefined) return [a];
    return Number.isInteger(b) ? Array.from({ length: b - a + 1 }, (_, i) => a + i) : [];
  });
}

/** Array tasks from `JOBID_TASK|STATE|…` lines; a still pending range (`12_[4-7]`) gives one task per id. */
function parseTaskLines(text: string, fields: readonly ('state' | 'reason' | 'node' | 'exitCode')[]): SlurmTask[] {
  return text.split(/\r?\n/).flatMap((line) => {
    const [id, ...values] = line.trim().split('|');
    const m = /^(\d+)_(\d+|\[[^\]]*\])$/.exec(id ?? '');
    if (!m) return [];
    const extra: Record<string, string> = {};
    fields.forEach((f, i) => {
      const v = values[i]?.trim();
      if (v && v !== '(null)' && v !== 'None' && v !== 'None assigned') extra[f] = f === 'state' ? v.split(' ')[0]! : v;
    });
    return taskIds(m[2]!).map((task) => ({ jobId: m[1]!, task, state: extra['state'] ?? 'UNKNOWN', ...extra }));
  });
}

export const SQUEUE_FORMAT = '%i|%T|%r|%N';
export const SACCT_FIELDS = 'JobID,State,ExitCode,NodeList';

export function parseSqueue(text: string): SlurmTask[] {
  return parseTaskLines(text, ['state', 'reason', 'node']);
}

export function parseSacct(text: string): SlurmTask[] {
  return parseTaskLines(text, ['state', 'exitCode', 'node']);
}

/** The tasks of these jobs the controller still knows (queued, running, or ended less than MinJobAge ago). */
export async function squeueTasks(jobIds: readonly string[], env = process.env): Promise<SlurmTask[]> {
  if (jobIds.length === 0) return [];
  const r = await run('squeue', ['-h', '-r', '-t', 'all', '-j', jobIds.join(','), '-o', SQUEUE_FORMAT], env);
  // Jobs the controller has forgotten make squeue fail with "Invalid job id": they are simply not queued.
  if (r.code !== 0 && !/invalid job id/i.test(r.stderr)) throw new SlurmError(`squeue failed: ${slurmMessage(r)}`);
  return parseSqueue(r.stdout);
}

/** The tasks' final states from Slurm's accounting; undefined where the cluster keeps none (no slurmdbd). */
export async function sacctTasks(jobIds: readonly string[], env = process.env): Promise<SlurmTask[] | undefined> {
  if (jobIds.length === 0 || findExecutable('sacct', env) === undefined) return undefined;
  const r = await run('sacct', ['-n', '-P', '-X', '-j', jobIds.join(','), '-o', SACCT_FIELDS], env);
  if (r.code !== 0) return undefined;
  return parseSacct(r.stdout);
}

export async function scancel(jobIds: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (jobIds.length === 0) return;
  const r = await run('scancel', [...jobIds], env);
  if (r.code !== 0) throw new SlurmError(`scancel failed: ${slurmMessage(r)}`);
}

/** The cluster's MaxArraySize (task ids must stay below it); Slurm's default 1001 when it cannot be read. */
export async function maxArraySize(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const r = await run('scontrol', ['show', 'config'], env).catch(() => undefined);
  const m = /^\s*MaxArraySize\s*=\s*(\d+)/m.exec(r?.stdout ?? '');
  return m ? Number(m[1]) : 1001;
}
