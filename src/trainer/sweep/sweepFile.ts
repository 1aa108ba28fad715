/**
 * Sweep files (`*.au-lens-sweep.json`, schema: schemas/sweep.schema.json): one base run config and the settings
 * that vary, as a grid (`axes`: every combination) and/or listed points (`points`: each point crossed with the
 * grid). Paths are relative to the file's folder, as in run configs. Parsing checks every value against the
 * run-config rules and names the place at fault (`axes.lambda[2]`, `points[0].seed`); expand.ts makes the runs.
 *
 *   { "name": "lambda",                                  optional; default: the file name without the suffix
 *     "base": { "data": "data/ck48", "preset": "tiny64", "epochs": 30 },   a run config without "out"
 *     "axes": { "lambda": [0, 1, 4, 9], "seed": [0, 1, 2] },
 *     "points": [ { "layers": ["stage3"] }, { "layers": ["stage2", "stage3"] } ],
 *     "out": "runs/lambda",                              optional; default: runs/<name> beside the file
 *     "evaluate": true }                                 optional: evaluate best.ckpt on the test split after training
 */
import * as path from 'node:path';
import type { SweepPoint, SweepSettingValue } from '../science/metrics/sweepStats';
import { parseRunConfig, RUN_CONFIG_SETTINGS, RunConfigError } from '../train/runConfig';

export const SWEEP_SUFFIX = '.au-lens-sweep.json';

/** A sweep file that cannot be run; `field` names the place at fault (undefined: the file as a whole). */
export class SweepError extends Error {
  override readonly name = 'SweepError';

  constructor(readonly field: string | undefined, message: string) {
    super(message);
  }
}

export interface SweepAxis {
  readonly setting: string;
  readonly values: readonly SweepSettingValue[];
}

export interface Sweep {
  /** The sweep file, absolute. */
  readonly file: string;
  readonly name: string;
  /** The base run config as written (paths relative to the sweep file's folder). */
  readonly base: SweepPoint;
  /** The grid, in the file's order: the first axis changes slowest. */
  readonly axes: readonly SweepAxis[];
  /** Listed points; one empty point when the file lists none, so the grid alone makes the runs. */
  readonly points: readonly SweepPoint[];
  /** The output folder, absolute: one run folder per run, the run configs, the plan and the Slurm files. */
  readonly out: string;
  /** Evaluate each run's best checkpoint on its test split once it has trained (an eval file in the run folder). */
  readonly evaluate: boolean;
}

const SWEEP_KEYS = ['$schema', 'name', 'base', 'axes', 'points', 'out', 'evaluate'];

/** Names people reach for, after the CLI's flags or plural habits, and the setting they mean. */
const SETTING_HINTS: Readonly<Record<string, string>> = {
  model: 'preset', 'weight-decay': 'weightDecay', weight_decay: 'weightDecay', layer: 'layers', seeds: 'seed',
  class: 'classes', lambdas: 'lambda',
};

/** A run's folder is the sweep's choice (`<out>/<run name>`), never a setting of the sweep. */
const FIXED_SETTINGS = ['out'];

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const shown = (json: unknown): string => JSON.stringify(json);

function fail(field: string | undefined, message: string): never {
  throw new SweepError(field, message);
}

function checkSettingName(setting: string, where: string): void {
  if (FIXED_SETTINGS.includes(setting)) {
    fail(where, `${where}: "out" is not a setting of a sweep's runs: each run trains in ` +
      '<the sweep\'s "out">/<run name>; set the sweep\'s "out" instead');
  }
  if (!RUN_CONFIG_SETTINGS.includes(setting)) {
    const hint = SETTING_HINTS[setting];
    const settings = RUN_CONFIG_SETTINGS.filter((s) => !FIXED_SETTINGS.includes(s)).join(', ');
    const meant = hint ? ` (did you mean "${hint}"?)` : '';
    fail(where, `unknown setting "${setting}" in ${where}${meant}; the settings are ${settings}`);
  }
}

/** One value, checked by the run-config rules themselves, so a sweep accepts exactly what a run config does. */
function checkSettingValue(setting: string, value: unknown, where: string, file: string): SweepSettingValue {
  try {
    parseRunConfig({ data: '.', [setting]: value }, file);
  } catch (err) {
    if (err instanceof RunConfigError) fail(where, `${where}: ${err.message}`);
    throw err;
  }
  return value as SweepSettingValue;
}

function parsePoint(json: unknown, where: string, file: string): SweepPoint {
  if (!isRecord(json)) fail(where, `${where} must be an object of run-config settings, got ${shown(json)}`);
  const point: Record<string, SweepSettingValue> = {};
  for (const [setting, value] of Object.entries(json)) {
    checkSettingName(setting, where);
    point[setting] = checkSettingValue(setting, value, `${where}.${setting}`, file);
  }
  return point;
}

function parseBase(json: unknown, file: string): SweepPoint {
  if (!isRecord(json)) fail('base', '"base" is missing: give the run config every run starts from (at least "data")');
  const base = parsePoint(Object.fromEntries(Object.entries(json).filter(([k]) => k !== '$schema')), 'base', file);
  if (base['data'] === undefined) {
    fail('base.data', '"base" has no "data": give the data folder (one sub-folder per class)');
  }
  return base;
}

function parseAxis(setting: string, values: unknown, file: string): SweepAxis {
  const where = `axes.${setting}`;
  checkSettingName(setting, 'axes');
  if (!Array.isArray(values)) fail(where, `${where} must be a list of values, e.g. [0, 1, 4], got ${shown(values)}`);
  if (values.length === 0) fail(where, `${where} is empty: give at least one value, or remove the axis`);
  const checked = values.map((v, i) => checkSettingValue(setting, v, `${where}[${i}]`, file));
  const seen = new Set<string>();
  for (const [i, v] of checked.entries()) {
    if (seen.has(shown(v))) fail(`${where}[${i}]`, `${where}[${i}]: ${shown(v)} is listed twice`);
    seen.add(shown(v));
  }
  return { setting, values: checked };
}

function parseAxes(json: unknown, file: string): SweepAxis[] {
  if (json === undefined) return [];
  if (!isRecord(json)) {
    fail('axes', `"axes" must be an object of settings and their values, e.g. { "lambda": [0, 1, 4] }, ` +
      `got ${shown(json)}`);
  }
  return Object.entries(json).map(([setting, values]) => parseAxis(setting, values, file));
}

function parsePoints(json: unknown, axes: readonly SweepAxis[], file: string): SweepPoint[] {
  if (json === undefined) return [{}];
  if (!Array.isArray(json)) fail('points', `"points" must be a list of objects of settings, got ${shown(json)}`);
  if (json.length === 0) {
    fail('points', '"points" is empty: list at least one point, or remove "points" to run the grid alone');
  }
  return json.map((p, i) => {
    const where = `points[${i}]`;
    const point = parsePoint(p, where, file);
    if (Object.keys(point).length === 0) fail(where, `${where} sets nothing: give the settings of this point`);
    const both = axes.find((a) => a.setting in point);
    if (both) {
      fail(`${where}.${both.setting}`, `${where} and "axes" both set "${both.setting}": give it in one of them`);
    }
    return point;
  });
}

function parseName(json: unknown, file: string): string {
  if (json === undefined) {
    const base = path.basename(file);
    const stem = base.endsWith(SWEEP_SUFFIX) ? base.slice(0, -SWEEP_SUFFIX.length) : path.parse(base).name;
    return stem.replace(/[^\w.+-]+/g, '_') || 'sweep';
  }
  if (typeof json !== 'string' || !/^[A-Za-z0-9][\w.+-]*$/.test(json)) {
    fail('name', '"name" must start with a letter or digit and hold only letters, digits, ".", "_", "+" and "-" ' +
      `(it names folders and Slurm jobs), got ${shown(json)}`);
  }
  return json;
}

/** The sweep a sweep file's JSON describes; `file` is where it was read from (paths are relative to its folder). */
export function parseSweepFile(json: unknown, file: string): Sweep {
  const fileName = path.basename(file);
  if (!isRecord(json)) fail(undefined, `${fileName} must hold a JSON object: { "base": {…}, "axes": {…} }`);
  const unknown = Object.keys(json).find((k) => !SWEEP_KEYS.includes(k));
  if (unknown !== undefined) {
    fail(unknown, `unknown key "${unknown}" in ${fileName}; a sweep has ${SWEEP_KEYS.slice(1).join(', ')} ` +
      '(run settings go in "base", "axes" or "points")');
  }
  const name = parseName(json['name'], file);
  const base = parseBase(json['base'], file);
  const axes = parseAxes(json['axes'], file);
  const points = parsePoints(json['points'], axes, file);
  if (axes.length === 0 && json['points'] === undefined) {
    fail('axes', 'the sweep has no grid: give "axes" (e.g. { "lambda": [0, 1, 4], "seed": [0, 1, 2] }) or "points"');
  }
  const out = json['out'];
  if (out !== undefined && (typeof out !== 'string' || out.trim() === '')) {
    fail('out', `"out" must be a folder path, got ${shown(out)}`);
  }
  const evaluate = json['evaluate'] ?? true;
  if (typeof evaluate !== 'boolean') fail('evaluate', `"evaluate" must be true or false, got ${shown(evaluate)}`);
  const folder = path.dirname(path.resolve(file));
  return {
    file: path.resolve(file), name, base, axes, points, evaluate,
    out: typeof out === 'string' ? path.resolve(folder, out) : path.join(folder, 'runs', name),
  };
}
