/**
 * A sweep as its runs leave it, without training: the sweep file and its plan, and per run a run.json, a
 * progress.jsonl with its epochs, a best.ckpt (an untrained tiny64, so Compare Models can open it) and an
 * evaluation on the test split. The numbers are made up — a smooth trend over λ plus seeded noise — for the Runs
 * view, the sweep panel and its chart in tests and screenshots; no face image is involved.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { evalFileName } from '../../src/trainer/eval/evalFile';
import type { EvalRunResult } from '../../src/trainer/eval/evalFile';
import { untrainedCheckpoint } from '../../src/trainer/explain/benchExplain';
import type { Expression } from '../../src/trainer/science/labels';
import type { LoadedSweep } from '../../src/trainer/sweep/loadSweep';
import { loadSweep } from '../../src/trainer/sweep/loadSweep';
import { writeSweepPlan } from '../../src/trainer/sweep/sweepPlan';
import { saveCheckpoint } from '../../src/trainer/train/checkpoint';
import type { RunRecord, RunStatus } from '../../src/trainer/train/runLog';
import { writeRunRecord } from '../../src/trainer/train/runLog';

const LABELS: Expression[] = ['happy', 'sad', 'surprise'];
const LAYER = 'stage3';
const METHODS = ['gradcam', 'layercam'] as const;

export interface SweepFixtureOptions {
  /** The sweep file's JSON; written as <dir>/<name>.au-lens-sweep.json. */
  readonly sweep: unknown;
  readonly name: string;
  /** A run's state by name (default completed); a "failed" run has an error and a log, a "not started" none. */
  readonly states?: Readonly<Record<string, RunStatus | 'not started'>>;
  /** Add a faithfulness section to each evaluation, as the faithfulness work will write it. */
  readonly faithfulness?: boolean;
}

/** A number in [0, 1) from a seed and a salt (mulberry32): the same fixture every time. */
function noise(seed: number, salt: number): number {
  let t = (seed * 7919 + salt * 104_729 + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
}

/** Accuracy rising a little with λ and ATT-COS much more, as the paper's λ plot. */
function numbers(lambda: number, seed: number): { acc: number; att: number; cam: number } {
  const jitter = (salt: number, size: number): number => (noise(seed, salt + Math.round(lambda * 10)) - 0.5) * size;
  return {
    acc: Math.min(0.98, 0.62 + 0.03 * Math.log1p(lambda) + jitter(1, 0.06)),
    att: Math.min(0.95, 0.18 + 0.25 * Math.log1p(lambda) + jitter(2, 0.05)),
    cam: Math.min(0.95, 0.22 + 0.12 * Math.log1p(lambda) + jitter(3, 0.05)),
  };
}

const keyScores = (average: number): unknown => ({
  perClass: Object.fromEntries(LABELS.map((l) => [l, { mean: average, valid: 10, invalid: 0 }])), average,
  averagedOver: LABELS,
});

function evaluation(file: string, data: string, model: string, n: ReturnType<typeof numbers>,
  faithfulness: boolean): EvalRunResult {
  const summary = (keys: readonly string[], value: (k: string) => number): unknown =>
    ({ classes: LABELS, averagedClasses: LABELS, keys, byKey: Object.fromEntries(keys.map((k) => [k,
      keyScores(value(k))])) });
  const report = {
    samples: 30, labels: LABELS, layers: [LAYER], camLayer: LAYER, methods: METHODS, accuracy: n.acc,
    balancedAccuracy: n.acc - 0.02, confusion: { labels: LABELS, matrix: LABELS.map(() => LABELS.map(() => 3)) },
    perClassAccuracy: Object.fromEntries(LABELS.map((l) => [l, n.acc])),
    attCos: summary([LAYER], () => n.att), camCos: summary(METHODS, (m) => (m === 'gradcam' ? n.cam : n.cam + 0.03)),
    localisation: { byMap: {} }, invalidAuSamples: 0, tau: 0.5, worst: [],
    ...(faithfulness && { faithfulness: { gradcam: { auSelectivity: { average: { value: n.cam / 3, low: 0, high: 1,
      n: 30 } } } } }),
  };
  return {
    format: 'au-lens-eval', version: 1, model, data, dataset: path.basename(data), split: 'test',
    createdAt: new Date(0).toISOString(), warnings: [], skipped: [], report: report as unknown as EvalRunResult['report'],
    images: [], file,
  };
}

/** Writes the sweep and its runs under `dir`; returns the sweep as loadSweep reads it. */
export async function writeSweepFixture(dir: string, options: SweepFixtureOptions): Promise<LoadedSweep> {
  const file = path.join(dir, `${options.name}.au-lens-sweep.json`);
  await mkdir(dir, { recursive: true });
  await writeFile(file, `${JSON.stringify(options.sweep, null, 2)}\n`);
  const loaded = await loadSweep(file);
  await writeSweepPlan(loaded.sweep, loaded.runs);
  const checkpoint = untrainedCheckpoint('tiny64', 1, LABELS);
  for (const [i, run] of loaded.runs.entries()) {
    const state = options.states?.[run.name] ?? 'completed';
    if (state === 'not started') continue;
    const folder = run.request.out;
    const lambda = typeof run.point['lambda'] === 'number' ? run.point['lambda'] : 0;
    const seed = typeof run.point['seed'] === 'number' ? run.point['seed'] : i;
    const n = numbers(lambda, seed);
    const epochs = run.request.epochs ?? 1;
    const done = state === 'completed' ? epochs : Math.max(0, epochs - 1);
    const time = new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString();
    const record: RunRecord = {
      version: 1, name: run.name, status: state, settings: run.request, pid: 1, startedAt: time, updatedAt: time,
      ...(state !== 'running' && { endedAt: time }), epochs: { done, total: epochs },
      ...(done > 0 && { best: { epoch: done, valAccuracy: n.acc + 0.02 } }),
      ...(state === 'failed' && { error: 'out of memory while allocating the step\'s tensors' }),
    };
    await mkdir(folder, { recursive: true });
    await writeRunRecord(folder, record);
    const events = Array.from({ length: done }, (_, e) => ({
      type: 'epoch', epoch: e + 1, epochs, seconds: 1, best: true,
      train: { loss: 1, ce: 0.9, align: 0.1, accuracy: n.acc + 0.05 },
      val: { accuracy: n.acc + 0.02, balancedAccuracy: n.acc, attCos: { [LAYER]: n.att + 0.01 } },
    }));
    await writeFile(path.join(folder, 'progress.jsonl'), events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    await writeFile(path.join(folder, 'local.log'), `== ${time}: au-lens sweep task\n${run.name}: starting\n` +
      (state === 'failed' ? `error: ${record.error}\n` : `${state}: ${done} epoch(s)\n`));
    if (state !== 'completed') continue;
    await saveCheckpoint(path.join(folder, 'best.ckpt'), { ...checkpoint, epoch: done });
    const evalFile = path.join(folder, evalFileName(run.request.data));
    const result = evaluation(evalFile, run.request.data, path.join(folder, 'best.ckpt'), n,
      options.faithfulness ?? false);
    await writeFile(evalFile, `${JSON.stringify(result, null, 2)}\n`);
  }
  return loaded;
}
