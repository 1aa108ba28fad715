/**
 * How busy the rest of the machine was while we measured, as the peer's `foreign_cpus_reps`: the CPUs that
 * other processes used on average during a window (0 = quiet). The box is shared, so every timed repetition
 * says how far to trust it. Linux only (/proc/stat); elsewhere the figure is null.
 */
import * as fs from 'node:fs';

/** USER_HZ: /proc/stat counts in 1/100 s on every Linux architecture Node runs on. */
const TICKS_PER_SECOND = 100;

export interface CpuSample {
  /** Busy seconds of all CPUs (user, nice, system, irq, softirq), or null without /proc/stat. */
  readonly machineBusy: number | null;
  /** This process's user + system CPU seconds. */
  readonly own: number;
}

export function sampleCpu(): CpuSample {
  const usage = process.cpuUsage();
  const own = (usage.user + usage.system) / 1e6;
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq] = fields as [number, number, number, number, number, number, number];
    return { machineBusy: (user + nice + system + irq + softirq) / TICKS_PER_SECOND, own };
  } catch {
    return { machineBusy: null, own };
  }
}

/** Average number of CPUs used by other processes between two samples taken `seconds` apart. */
export function foreignCpus(before: CpuSample, after: CpuSample, seconds: number): number | null {
  if (before.machineBusy === null || after.machineBusy === null || seconds <= 0) return null;
  const others = after.machineBusy - before.machineBusy - (after.own - before.own);
  return Math.max(0, others / seconds);
}
