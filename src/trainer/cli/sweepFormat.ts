/** What the sweep commands print: the runs of a plan, a sweep's status, and the failed runs with their logs. */
import type { SweepPoint } from '../science/metrics/sweepStats';
import type { SweepRun } from '../sweep/expand';
import type { RunStatusRow, SweepStatus } from '../sweep/sweepStatus';
import { logTail, RUN_STATES } from '../sweep/sweepStatus';

/** Left-aligned columns padded to their widest cell, indented by two spaces. */
export function columns(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => `  ${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ')}`.trimEnd());
}

const settingText = (point: SweepPoint, setting: string): string => {
  const v = point[setting];
  return v === undefined ? '·' : Array.isArray(v) ? v.join(',') : String(v);
};

/** One line per run: its index, name and the value of each swept setting. */
export function planTable(runs: readonly SweepRun[], settings: readonly string[]): string[] {
  const rows = runs.map((r) => [String(r.index), r.name, ...settings.map((s) => settingText(r.point, s))]);
  return columns([['#', 'run', ...settings], ...rows]);
}

const pct = (x: number | null | undefined): string => (typeof x === 'number' ? `${(100 * x).toFixed(1)} %` : '–');

export function statusCounts(status: SweepStatus): string {
  return RUN_STATES.filter((s) => status.counts[s] > 0).map((s) => `${status.counts[s]} ${s}`).join(', ') || 'no runs';
}

function slurmText(task: RunStatusRow['slurm']): string {
  return task ? `${task.jobId}_${task.task} ${task.state}${task.reason ? ` (${task.reason})` : ''}` : '–';
}

export function statusTable(rows: readonly RunStatusRow[]): string[] {
  return columns([
    ['run', 'state', 'epochs', 'best val acc', 'tested', 'slurm task'],
    ...rows.map((r) => [
      r.name, r.state, r.record ? `${r.record.epochs.done}/${r.record.epochs.total}` : '–',
      pct(r.record?.best?.valAccuracy), r.evaluated ? 'yes' : 'no', slurmText(r.slurm),
    ]),
  ]);
}

/** Each failed run: why, where its log is, and the log's last lines. */
export async function failureReport(rows: readonly RunStatusRow[]): Promise<string[]> {
  const lines: string[] = [];
  for (const r of rows.filter((row) => row.state === 'failed')) {
    lines.push(`${r.name} failed: ${r.error ?? 'see its log'}`);
    if (!r.log) continue;
    lines.push(`  log: ${r.log}`);
    for (const l of await logTail(r.log, 10)) lines.push(`  | ${l}`);
  }
  return lines;
}
