/**
 * The sweeps in the workspace, from the sweep-plan.json each sweep's runner writes into its output folder: the
 * sweep's name, its file and its runs' folders (from the plan, so a run is found wherever the sweep put it). The
 * Runs view groups those runs under their sweep, with the sweep's progress counted from the runs' own status.
 * Plain node, like runScan.ts.
 */
import * as path from 'node:path';
import { PLAN_FILE, readSweepPlan } from '../../trainer/sweep/sweepPlan';
import type { RunStatus } from '../../trainer/train/runLog';

export interface SweepEntry {
  /** The sweep's output folder (where sweep-plan.json is). */
  readonly out: string;
  readonly name: string;
  /** The sweep file, absolute, as the plan names it (it may have moved since). */
  readonly file?: string;
  /** The planned runs' folders, absolute, in the plan's order. */
  readonly runFolders: readonly string[];
  /** Why the plan could not be read. */
  readonly error?: string;
}

export const isSweepPlanFile = (name: string): boolean => name === PLAN_FILE;

export async function readSweepEntry(out: string): Promise<SweepEntry> {
  try {
    const plan = await readSweepPlan(path.join(out, PLAN_FILE));
    return {
      out, name: plan.name, file: path.resolve(out, plan.sweep),
      runFolders: plan.runs.map((r) => path.resolve(out, r.folder)),
    };
  } catch (err) {
    return { out, name: path.basename(out), runFolders: [], error: (err as Error).message };
  }
}

export interface SweepCounts {
  readonly total: number;
  readonly completed: number;
  readonly running: number;
  readonly failed: number;
  /** Cancelled or interrupted: the next run of the sweep resumes them. */
  readonly stopped: number;
  /** No run.json yet (or queued on Slurm: the view does not ask the scheduler). */
  readonly notStarted: number;
}

/** The sweep's runs by state, from each planned run's status (undefined: its folder holds no run.json yet). */
export function countSweep(sweep: SweepEntry, statusOf: (folder: string) => RunStatus | undefined): SweepCounts {
  const statuses = sweep.runFolders.map(statusOf);
  const count = (...wanted: RunStatus[]): number => statuses.filter((s) => s && wanted.includes(s)).length;
  return {
    total: statuses.length, completed: count('completed'), running: count('running'), failed: count('failed'),
    stopped: count('cancelled', 'interrupted'), notStarted: statuses.filter((s) => s === undefined).length,
  };
}

/** "3/12 done · 2 running · 1 failed" — the parts that are not zero, done always. */
export function countsText(c: SweepCounts): string {
  const parts = [`${c.completed}/${c.total} done`];
  if (c.running) parts.push(`${c.running} running`);
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.stopped) parts.push(`${c.stopped} stopped`);
  return parts.join(' · ');
}
