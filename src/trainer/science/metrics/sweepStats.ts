/**
 * A sweep's evidence: the runs of each grid point (the runs that differ only in their seed) summarised as
 * mean ± sample standard deviation per metric, as a paper reports them. Metrics are named by where they come
 * from ("val.accuracy", "test.attCos.stage3", "test.camCos.gradcam"), so new ones (faithfulness) need no change.
 */

/** A setting's value in a sweep, as run configs hold it: a number, a name or path, or a list of names. */
export type SweepSettingValue = number | string | readonly string[];

/** Settings by name, as a run config spells them: a sweep's base, one of its points, or a run's point. */
export type SweepPoint = Readonly<Record<string, SweepSettingValue>>;

/** One run's numbers; null where the run has no value (not evaluated, no AU map, not finished). */
export interface SweepRunMetrics {
  readonly name: string;
  /** The settings its point sets, as the sweep gives them. */
  readonly point: SweepPoint;
  readonly metrics: Readonly<Record<string, number | null>>;
}

export interface Spread {
  readonly mean: number;
  /** Sample standard deviation (n − 1); null for a single value. */
  readonly sd: number | null;
  /** Runs with a value. */
  readonly n: number;
}

export interface GridPointSummary {
  /** The point's settings without the seed. */
  readonly point: SweepPoint;
  /** The runs of the point, in sweep order. */
  readonly runs: readonly string[];
  readonly seeds: readonly SweepSettingValue[];
  /** Metrics with at least one value. */
  readonly metrics: Readonly<Record<string, Spread>>;
}

/** Mean and sample standard deviation of finite values; undefined for none. */
export function spread(values: readonly number[]): Spread | undefined {
  const finite = values.filter((v) => Number.isFinite(v));
  const n = finite.length;
  if (n === 0) return undefined;
  const mean = finite.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, sd: null, n };
  const variance = finite.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return { mean, sd: Math.sqrt(variance), n };
}

/** A key for a point that does not depend on the order its settings were written in. */
function pointKey(point: SweepPoint): string {
  return JSON.stringify(Object.keys(point).sort().map((k) => [k, point[k]]));
}

/**
 * The runs grouped by their point without `seedSetting`, in order of first appearance, each group's metrics as
 * mean ± sd over its runs.
 */
export function summariseOverSeeds(runs: readonly SweepRunMetrics[], seedSetting = 'seed'): GridPointSummary[] {
  const groups = new Map<string, { point: Record<string, SweepSettingValue>; runs: SweepRunMetrics[] }>();
  for (const run of runs) {
    const point = Object.fromEntries(Object.entries(run.point).filter(([k]) => k !== seedSetting));
    const key = pointKey(point);
    const group = groups.get(key) ?? { point, runs: [] };
    group.runs.push(run);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ point, runs: members }) => {
    const names = [...new Set(members.flatMap((r) => Object.keys(r.metrics)))];
    const metrics: Record<string, Spread> = {};
    for (const name of names) {
      const s = spread(members.map((r) => r.metrics[name]).filter((v): v is number => typeof v === 'number'));
      if (s) metrics[name] = s;
    }
    return {
      point, runs: members.map((r) => r.name),
      seeds: members.map((r) => r.point[seedSetting]).filter((s): s is SweepSettingValue => s !== undefined),
      metrics,
    };
  });
}

/** "0.812 ± 0.031" (or "0.812" for one run), at `digits` decimals. */
export function formatSpread(s: Spread | undefined, digits = 3): string {
  if (!s) return '–';
  return s.sd === null ? s.mean.toFixed(digits) : `${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}`;
}
