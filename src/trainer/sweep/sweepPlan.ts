/**
 * What `au-lens sweep plan` writes into the sweep's output folder, and every runner reads: one run config per run
 * (the ordinary run-config format, so any run can be repeated alone with Train Model) and the plan, which lists
 * the runs and lets the editor group their folders under the sweep.
 *
 *   <out>/sweep-plan.json                 SweepPlanFile: the sweep file, its name, and per run its index, name,
 *                                          point, run config and run folder (paths relative to <out>)
 *   <out>/configs/<run>.au-lens-run.json  the run's config; its "out" is ../<run>
 *   <out>/<run>/                          the run folder, written by the run (run.json, progress.jsonl, checkpoints,
 *                                          eval file, and the log of each attempt: local.log, slurm-<job>_<task>.log)
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomicFile';
import type { SweepPoint } from '../science/metrics/sweepStats';
import { RUN_CONFIG_SUFFIX, runConfigOf } from '../train/runConfig';
import type { SweepRun } from './expand';
import { readJsonFile } from './readJson';
import type { Sweep } from './sweepFile';

export const PLAN_FILE = 'sweep-plan.json';
export const PLAN_FORMAT = 'au-lens-sweep-plan';
export const PLAN_VERSION = 1;
export const CONFIGS_FOLDER = 'configs';

export interface PlannedRun {
  readonly index: number;
  readonly name: string;
  readonly point: SweepPoint;
  /** The run config, relative to the sweep's output folder. */
  readonly config: string;
  /** The run folder, relative to the sweep's output folder. */
  readonly folder: string;
}

export interface SweepPlanFile {
  readonly format: typeof PLAN_FORMAT;
  readonly version: typeof PLAN_VERSION;
  readonly name: string;
  /** The sweep file, relative to the output folder. */
  readonly sweep: string;
  /** The settings that vary, in the sweep file's order (axes, then those of listed points): the panel's columns. */
  readonly settings: readonly string[];
  readonly evaluate: boolean;
  readonly createdAt: string;
  readonly runs: readonly PlannedRun[];
}

const posix = (p: string): string => p.split(path.sep).join('/');

export function configFile(sweep: Pick<Sweep, 'out'>, name: string): string {
  return path.join(sweep.out, CONFIGS_FOLDER, `${name}${RUN_CONFIG_SUFFIX}`);
}

export function planFile(out: string): string {
  return path.join(out, PLAN_FILE);
}

/** The settings that vary between the runs: the axes first, then those the listed points set. */
export function sweptSettings(sweep: Sweep): string[] {
  const settings = sweep.axes.map((a) => a.setting);
  for (const point of sweep.points) for (const s of Object.keys(point)) if (!settings.includes(s)) settings.push(s);
  return settings;
}

export function sweepPlan(sweep: Sweep, runs: readonly SweepRun[], now: Date): SweepPlanFile {
  return {
    format: PLAN_FORMAT, version: PLAN_VERSION, name: sweep.name, sweep: posix(path.relative(sweep.out, sweep.file)),
    settings: sweptSettings(sweep), evaluate: sweep.evaluate, createdAt: now.toISOString(),
    runs: runs.map((r) => ({
      index: r.index, name: r.name, point: r.point,
      config: posix(path.relative(sweep.out, configFile(sweep, r.name))),
      folder: posix(path.relative(sweep.out, r.request.out)),
    })),
  };
}

/** Writes every run config and then the plan (each atomically), so a plan on disk always has its configs. */
export async function writeSweepPlan(
  sweep: Sweep, runs: readonly SweepRun[], now = new Date(),
): Promise<SweepPlanFile> {
  for (const run of runs) {
    const file = configFile(sweep, run.name);
    await writeFileAtomic(file, `${JSON.stringify(runConfigOf(run.request, path.dirname(file)), null, 2)}\n`);
  }
  const plan = sweepPlan(sweep, runs, now);
  await writeFileAtomic(planFile(sweep.out), `${JSON.stringify(plan, null, 2)}\n`);
  return plan;
}

/** A plan file that is not one AU Lens wrote; the message names the file. */
export class SweepPlanError extends Error {
  override readonly name = 'SweepPlanError';
}

const isPlannedRun = (r: Partial<PlannedRun> | null): boolean =>
  typeof r === 'object' && r !== null && typeof r.name === 'string' && typeof r.folder === 'string'
  && typeof r.config === 'string' && typeof r.index === 'number' && typeof r.point === 'object';

/** The plan in `file` (sweep-plan.json), e.g. for the Runs view to group a sweep's run folders under it. */
export async function readSweepPlan(file: string): Promise<SweepPlanFile> {
  const json = await readJsonFile(file) as Partial<SweepPlanFile> | null;
  if (typeof json !== 'object' || json === null || json.format !== PLAN_FORMAT) {
    throw new SweepPlanError(`${file} is not an AU Lens sweep plan (no "format": "${PLAN_FORMAT}")`);
  }
  if (json.version !== PLAN_VERSION) {
    throw new SweepPlanError(`${file}: plan version ${String(json.version)}; this AU Lens reads ${PLAN_VERSION}`);
  }
  if (typeof json.name !== 'string' || !Array.isArray(json.runs) || !json.runs.every(isPlannedRun)) {
    throw new SweepPlanError(`${file}: the plan is incomplete (name or runs); plan the sweep again`);
  }
  return json as SweepPlanFile;
}
