/**
 * Throughput and time left of a long pass over a dataset (landmarks, preparation), for progress lines and events.
 * The rate is measured over the last RATE_WINDOW_MS, not since the start, so a resumed pass whose first images
 * come from a cache does not promise an end far too early.
 */

export interface ProgressSnapshot {
  readonly done: number;
  readonly total: number;
  /** Items per second over the recent window; 0 before the first item. */
  readonly perSecond: number;
  /** Seconds left at that rate; null until it can be estimated. */
  readonly etaSeconds: number | null;
}

const RATE_WINDOW_MS = 20_000;
/** Reports at most this often, besides the first and the last item. */
const REPORT_EVERY_MS = 250;

export class ProgressMeter {
  private done = 0;
  private readonly marks: { time: number; done: number }[];
  private lastReport = -Infinity;

  constructor(
    readonly total: number,
    private readonly onReport?: (snapshot: ProgressSnapshot) => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.marks = [{ time: now(), done: 0 }];
  }

  /** Counts `n` items done and reports when it is time to. */
  tick(n = 1): void {
    this.done += n;
    const time = this.now();
    this.marks.push({ time, done: this.done });
    while (this.marks.length > 2 && time - this.marks[1]!.time > RATE_WINDOW_MS) this.marks.shift();
    if (this.done >= this.total || this.done === n || time - this.lastReport >= REPORT_EVERY_MS) {
      this.lastReport = time;
      this.onReport?.(this.snapshot());
    }
  }

  snapshot(): ProgressSnapshot {
    const first = this.marks[0]!;
    const last = this.marks[this.marks.length - 1]!;
    const seconds = (last.time - first.time) / 1000;
    const perSecond = seconds > 0 ? (last.done - first.done) / seconds : 0;
    const left = this.total - this.done;
    return {
      done: this.done,
      total: this.total,
      perSecond,
      etaSeconds: left === 0 ? 0 : perSecond > 0 ? left / perSecond : null,
    };
  }
}

/** "1 h 02 min", "3 min 05 s", "12 s": a duration for progress lines. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}
