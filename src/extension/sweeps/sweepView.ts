/**
 * What the sweep panel shows, read from the sweep's files as any machine that mounts them can (Remote-SSH on a login
 * node included): the sweep file's runs (or, when the file is gone, the runs its last plan wrote), each run's state
 * (run.json, and squeue/sacct for runs sent to Slurm), its numbers (the best epoch's validation and the test
 * evaluation) and their mean ± sd over seeds per grid point. Plain node: unit-tested without an editor.
 */
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { SweepRunMetrics } from '../../trainer/science/metrics/sweepStats';
import { summariseOverSeeds } from '../../trainer/science/metrics/sweepStats';
import type { SweepRun } from '../../trainer/sweep/expand';
import { loadSweep } from '../../trainer/sweep/loadSweep';
import { readRunConfigFile } from '../../trainer/sweep/runFolder';
import { readRunMetrics } from '../../trainer/sweep/sweepMetrics';
import { planFile, readSweepPlan, sweptSettings } from '../../trainer/sweep/sweepPlan';
import type { SweepStatus } from '../../trainer/sweep/sweepStatus';
import { sweepStatus } from '../../trainer/sweep/sweepStatus';
import type { SweepRunRow, SweepView } from '../../webview/protocol/sweep';

/** The seed is what the spread is over, never a grid point's setting. */
const SEED = 'seed';

export interface SweepDefinition {
  readonly name: string;
  readonly file: string;
  readonly out: string;
  readonly settings: readonly string[];
  readonly runs: readonly SweepRun[];
}

/**
 * The sweep's runs from its file; when the file cannot be read, from `out`'s plan (what last ran). A sweep file
 * that is there but wrong throws its own error: the panel must not show an older grid as if it were the file's.
 */
export async function sweepDefinition(file: string, out?: string): Promise<SweepDefinition> {
  const present = await stat(file).then((s) => s.isFile(), () => false);
  if (present || out === undefined) {
    const { sweep, runs } = await loadSweep(file);
    return { name: sweep.name, file, out: sweep.out, settings: sweptSettings(sweep), runs };
  }
  const plan = await readSweepPlan(planFile(out));
  const runs = await Promise.all(plan.runs.map(async (r): Promise<SweepRun> => ({
    index: r.index, name: r.name, point: r.point, request: await readRunConfigFile(path.join(out, r.config)),
  })));
  return { name: plan.name, file, out, settings: plan.settings, runs };
}

/** Where each metric goes in the table: validation before test, then accuracy, ATT-COS, CAM-COS, the rest. */
function metricRank(key: string): number {
  const split = key.startsWith('val.') ? 0 : 10;
  const kind = ['accuracy', 'balancedAccuracy', 'attCos', 'camCos'].indexOf(key.split('.')[1] ?? '');
  return split + (kind === -1 ? 9 : kind);
}

export function orderMetrics(keys: Iterable<string>): string[] {
  return [...new Set(keys)].sort((a, b) => metricRank(a) - metricRank(b) || a.localeCompare(b));
}

/** Settings other than the seed whose every value is a number: the chart's candidate x axes. */
export function numericAxes(settings: readonly string[], runs: readonly Pick<SweepRun, 'point'>[]): string[] {
  return settings.filter((s) => s !== SEED && runs.some((r) => r.point[s] !== undefined)
    && runs.every((r) => r.point[s] === undefined || typeof r.point[s] === 'number'));
}

function notesOf(status: SweepStatus): string[] {
  const notes: string[] = [];
  if (!status.slurmReachable) notes.push('squeue is not on this machine\'s PATH: the Slurm tasks\' states are unknown');
  if (status.slurmError) notes.push(`${status.slurmError}: the Slurm tasks' states are unknown`);
  if (!status.accounting && status.runs.some((r) => r.slurm?.state === 'UNKNOWN')) {
    notes.push('this cluster keeps no Slurm accounting: tasks that ended long ago are known from their run folders');
  }
  return notes;
}

const exists = (file: string): Promise<boolean> => stat(file).then((s) => s.isFile(), () => false);

/** The panel's view of the sweep, now. */
export async function readSweepView(sweep: SweepDefinition, now = new Date()): Promise<SweepView> {
  const status = await sweepStatus(sweep.out, sweep.runs);
  const metrics = await Promise.all(sweep.runs.map((r) => readRunMetrics(r)
    .catch((): SweepRunMetrics => ({ name: r.name, point: r.point, metrics: {} }))));
  const rows = await Promise.all(status.runs.map(async (row, i): Promise<SweepRunRow> => {
    const best = path.join(row.folder, 'best.ckpt');
    return {
      name: row.name, point: row.point, state: row.state, metrics: metrics[i]?.metrics ?? {},
      checkpoint: (await exists(best)) ? best : null, folder: row.folder, error: row.error ?? null,
      log: row.log ?? null,
    };
  }));
  return {
    name: sweep.name, file: sweep.file, out: sweep.out, settings: sweep.settings,
    numericAxes: numericAxes(sweep.settings, sweep.runs),
    metrics: orderMetrics(rows.flatMap((r) => Object.keys(r.metrics))),
    runs: rows, groups: summariseOverSeeds(metrics, SEED), counts: status.counts, notes: notesOf(status),
    updatedAt: now.toISOString(),
  };
}
