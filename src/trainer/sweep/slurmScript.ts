/**
 * The sbatch array script of a sweep: one array task per run, SLURM_ARRAY_TASK_ID picking the run whose config
 * `au-lens sweep task` trains (resuming it when it was interrupted), each attempt logged in its run folder. Only
 * text: slurm.ts submits it. The script names absolute paths only, so it runs from any node that mounts the
 * sweep's folder at the same place (a login node and its compute nodes).
 */
import * as path from 'node:path';
import { RUN_CONFIG_SUFFIX } from '../train/runConfig';
import { CONFIGS_FOLDER } from './sweepPlan';

/** Where Slurm writes what a task prints before its run's own log is open (a missing node binary, say). */
export const SLURM_OUTPUT_FOLDER = 'slurm';
export const SCRIPT_FILE = 'sweep.sbatch';
/** Array task ids start at this offset into the script's runs, for sweeps larger than the cluster's MaxArraySize. */
export const OFFSET_VARIABLE = 'AU_LENS_SWEEP_OFFSET';

/** How a compute node starts AU Lens: a node binary and the au-lens script, on the shared file system. */
export interface AuLensCommand {
  readonly node: string;
  readonly script: string;
}

export interface SlurmResources {
  readonly partition?: string;
  /** e.g. gpu:1 */
  readonly gres?: string;
  /** CPUs per task; the run's engine threads when its config sets none. */
  readonly cpus?: number;
  /** Slurm's time formats: minutes, MM:SS, HH:MM:SS, D-HH. */
  readonly time?: string;
  /** At most this many tasks at once (the array's %N). */
  readonly parallel?: number;
}

export interface SlurmScriptInput {
  readonly sweepName: string;
  /** The sweep's output folder, absolute. */
  readonly out: string;
  /** Run names in index order: task i trains runs[i + offset]. */
  readonly runs: readonly string[];
  /** The task ids to run, e.g. [0, 1, 2, 5]. */
  readonly tasks: readonly number[];
  readonly command: AuLensCommand;
  readonly resources: SlurmResources;
  readonly evaluate: boolean;
}

/** A value for the shell, in single quotes. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Task ids as Slurm's --array wants them: sorted, consecutive ids as ranges ("0-3,5,7-9"). */
export function arraySpec(tasks: readonly number[]): string {
  const sorted = [...new Set(tasks)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** `#SBATCH` lines are not shell: a value must stay on its line and be one word. */
function directive(flag: string, value: string | number): string {
  const text = String(value);
  if (text === '' || /\s/.test(text)) {
    throw new RangeError(`--${flag} must be one word without spaces, got ${JSON.stringify(text)}`);
  }
  return `#SBATCH --${flag}=${text}`;
}

export function slurmScript(input: SlurmScriptInput): string {
  const { out, runs, resources: r, command } = input;
  if (input.tasks.length === 0) throw new RangeError('no task to submit');
  const spec = arraySpec(input.tasks) + (r.parallel !== undefined ? `%${r.parallel}` : '');
  const config = `"$out/${CONFIGS_FOLDER}/$run${RUN_CONFIG_SUFFIX}"`;
  return [
    '#!/bin/bash',
    `# AU Lens sweep "${input.sweepName}": ${runs.length} run(s), one array task per run (au-lens sweep run --slurm).`,
    `# Task i trains runs[i] with its run config (${CONFIGS_FOLDER}/<run>${RUN_CONFIG_SUFFIX}) in its run folder,`,
    '# resuming a run that was interrupted and skipping one that completed; each attempt logs to',
    '# <run>/slurm-<job>_<task>.log.',
    directive('job-name', `au-lens-${input.sweepName}`),
    directive('array', spec),
    // Both streams named, and the working folder: Slurm's default puts slurm-%A_%a.out wherever sbatch ran.
    directive('output', path.join(out, SLURM_OUTPUT_FOLDER, '%A_%a.out')),
    directive('error', path.join(out, SLURM_OUTPUT_FOLDER, '%A_%a.out')),
    directive('chdir', out),
    ...(r.partition !== undefined ? [directive('partition', r.partition)] : []),
    ...(r.gres !== undefined ? [directive('gres', r.gres)] : []),
    ...(r.cpus !== undefined ? [directive('cpus-per-task', r.cpus)] : []),
    ...(r.time !== undefined ? [directive('time', r.time)] : []),
    'set -u',
    `out=${shellQuote(out)}`,
    `node=${shellQuote(command.node)}`,
    `au_lens=${shellQuote(command.script)}`,
    'runs=(',
    ...runs.map((name) => `  ${shellQuote(name)}`),
    ')',
    `run="\${runs[$((SLURM_ARRAY_TASK_ID + \${${OFFSET_VARIABLE}:-0}))]}"`,
    'log="$out/$run/slurm-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}.log"',
    'mkdir -p "$out/$run"',
    'echo "task ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on $(hostname): run $run" >"$log"',
    // exec: scancel's and a time limit's SIGTERM reach the trainer itself, which saves last.ckpt and stops.
    `exec "$node" "$au_lens" sweep task ${config} --threads "\${SLURM_CPUS_PER_TASK:-1}"` +
      `${input.evaluate ? ' --evaluate' : ''} >>"$log" 2>&1`,
    '',
  ].join('\n');
}
