/**
 * From a sweep to its runs: each listed point crossed with every combination of the axes, in a fixed order (the
 * first axis changes slowest), each with a stable name made of the settings its point sets, in one canonical
 * order whatever the file's: `tiny64-l4-stage3-s1`. Adding a value to an axis adds runs and renames none.
 */
import * as path from 'node:path';
import { isModelName, MODEL_NAMES } from '../models/modelNames';
import { checkLayers } from '../models/presets';
import type { SweepPoint, SweepSettingValue } from '../science/metrics/sweepStats';
import { parseRunConfig } from '../train/runConfig';
import { TRAIN_DEFAULTS } from '../train/trainDefaults';
import type { TrainRequest } from '../train/trainRequest';
import type { Sweep } from './sweepFile';
import { SweepError } from './sweepFile';

/** Above this many runs the CLI asks first (or wants --yes) and the editor asks. */
export const RUNS_NEEDING_CONFIRMATION = 1000;
/** No sweep expands beyond this: the plan alone would be unwieldy, and no scheduler queue wants it. */
export const MAX_RUNS = 100_000;

export interface SweepRun {
  /** Position in the sweep: the Slurm array's task id when the whole sweep is submitted. */
  readonly index: number;
  readonly name: string;
  /** The settings this run's point sets (listed point and axes), as the sweep file gives them. */
  readonly point: SweepPoint;
  /** The run as its run config asks for it: base and point merged, paths absolute, `out` its run folder. */
  readonly request: TrainRequest;
}

const basename = (v: string): string => path.basename(v.replace(/[\\/]+$/, '')).replace(/\.(ckpt|json|onnx)$/i, '');
const joined = (v: SweepSettingValue): string => (Array.isArray(v) ? v.join('+') : String(v));

/** How each setting reads in a run name, in name order: numbers with a short prefix, names as they are. */
const NAME_PARTS: readonly (readonly [setting: string, part: (v: SweepSettingValue) => string])[] = [
  ['preset', joined], ['init', (v) => `init-${basename(String(v))}`], ['data', (v) => basename(String(v))],
  ['codebook', (v) => `cb-${basename(String(v))}`], ['recipe', joined], ['split', joined],
  ['subjectPattern', (v) => `subj-${String(v)}`], ['classWeights', (v) => `cw-${basename(String(v))}`],
  ['classes', joined], ['lambda', (v) => `l${joined(v)}`],
  ['layers', joined], ['lr', (v) => `lr${joined(v)}`], ['weightDecay', (v) => `wd${joined(v)}`],
  ['batch', (v) => `b${joined(v)}`], ['epochs', (v) => `e${joined(v)}`], ['threads', (v) => `t${joined(v)}`],
  ['seed', (v) => `s${joined(v)}`],
];

/** The run's name: one part per setting of its point, in name order, safe as a folder and file name. */
export function runName(point: SweepPoint): string {
  const parts = NAME_PARTS.flatMap(([setting, part]) => (point[setting] === undefined ? [] : [part(point[setting])]));
  return parts.join('-').replace(/[^\w.+-]+/g, '_') || 'base';
}

/** How many runs the sweep expands to, without expanding it. */
export function sweepSize(sweep: Sweep): number {
  return sweep.points.length * sweep.axes.reduce((n, axis) => n * axis.values.length, 1);
}

/** Every combination of the axes, first axis slowest. */
function grid(sweep: Sweep): SweepPoint[] {
  let points: Record<string, SweepSettingValue>[] = [{}];
  for (const axis of sweep.axes) points = points.flatMap((p) => axis.values.map((v) => ({ ...p, [axis.setting]: v })));
  return points;
}

/** What the trainer would refuse only once the run starts, and can be told from the settings alone. */
function checkModel(settings: SweepPoint, name: string): void {
  if (settings['init'] !== undefined && settings['preset'] === undefined) return;
  const preset = String(settings['preset'] ?? TRAIN_DEFAULTS.model);
  if (!isModelName(preset)) {
    throw new SweepError('preset', `run ${name}: unknown "preset" "${preset}"; use one of ${MODEL_NAMES.join(', ')}`);
  }
  const layers = settings['layers'];
  if (!Array.isArray(layers)) return;
  try {
    checkLayers(preset, layers);
  } catch (err) {
    throw new SweepError('layers', `run ${name}: "layers": ${(err as Error).message}`);
  }
}

/** The run folder of a run of the sweep. */
export function runFolder(sweep: Pick<Sweep, 'out'>, name: string): string {
  return path.join(sweep.out, name);
}

/** The sweep's runs; throws SweepError for a sweep too large, a bad model or layer, or two runs with one name. */
export function expandSweep(sweep: Sweep): SweepRun[] {
  const size = sweepSize(sweep);
  if (size > MAX_RUNS) {
    const [runs, most] = [size, MAX_RUNS].map((n) => n.toLocaleString('en'));
    throw new SweepError('axes', `the sweep expands to ${runs} runs, more than ${most}: split it into several sweeps`);
  }
  const combos = grid(sweep);
  const byName = new Map<string, SweepPoint>();
  const points = sweep.points.flatMap((listed) => combos.map((combo) => ({ ...listed, ...combo })));
  return points.map((point, index) => {
    const name = runName(point);
    const other = byName.get(name);
    if (other) {
      throw new SweepError('points', `two runs get the name "${name}": ${JSON.stringify(other)} and ` +
        `${JSON.stringify(point)}; ` +
        'make their settings differ in a way the name shows (e.g. data folders with different names)');
    }
    byName.set(name, point);
    const settings = { ...sweep.base, ...point };
    checkModel(settings, name);
    const request = parseRunConfig({ ...settings, out: runFolder(sweep, name) }, sweep.file);
    return { index, name, point, request };
  });
}
