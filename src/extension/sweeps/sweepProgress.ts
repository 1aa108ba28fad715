/**
 * What a sweep's status means for its progress notification and status bar: the runs done, running, queued and
 * failed as one line and a share, whether anything still trains or waits, and which failures are new since the
 * sweep started here (a run that failed before is tried again; each failed attempt is reported once). Pure: the
 * unit tests feed it statuses.
 */
import type { RunStatusRow, SweepStatus } from '../../trainer/sweep/sweepStatus';

export interface SweepProgress {
  readonly total: number;
  readonly completed: number;
  readonly running: number;
  readonly pending: number;
  readonly failed: number;
  /** Share of the runs that ended, completed or failed: 0–1. */
  readonly fraction: number;
  /** "3/12 done · 2 running · 4 queued · 1 failed". */
  readonly text: string;
  /** A run trains or waits in Slurm's queue. */
  readonly active: boolean;
}

export function sweepProgress(status: SweepStatus): SweepProgress {
  const c = status.counts;
  const total = status.runs.length;
  const parts = [`${c.completed}/${total} done`];
  if (c.running) parts.push(`${c.running} running`);
  if (c.pending) parts.push(`${c.pending} queued`);
  if (c.failed) parts.push(`${c.failed} failed`);
  return {
    total, completed: c.completed, running: c.running, pending: c.pending, failed: c.failed,
    fraction: total === 0 ? 1 : (c.completed + c.failed) / total, text: parts.join(' · '),
    active: c.running + c.pending > 0,
  };
}

/** One failed attempt: the run, its run.json's last write and its Slurm task tell attempts apart. */
const attemptKey = (r: RunStatusRow): string =>
  [r.name, r.record?.updatedAt ?? '', r.slurm ? `${r.slurm.jobId}_${r.slurm.task}` : '', r.error ?? ''].join('|');

/** The failed runs not seen failed before; the failures in the first status it sees are the sweep's past. */
export class FailureWatch {
  private seen: Set<string> | undefined;

  newFailures(status: SweepStatus): RunStatusRow[] {
    const failed = status.runs.filter((r) => r.state === 'failed');
    if (!this.seen) {
      this.seen = new Set(failed.map(attemptKey));
      return [];
    }
    const fresh = failed.filter((r) => !this.seen!.has(attemptKey(r)));
    for (const r of fresh) this.seen.add(attemptKey(r));
    return fresh;
  }
}
