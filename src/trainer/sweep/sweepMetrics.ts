/**
 * Each run's numbers for the sweep's table and chart, read from its folder:
 *   val.accuracy, val.balancedAccuracy, val.attCos.<layer>   the best epoch's validation (progress.jsonl, run.json)
 *   test.accuracy, test.balancedAccuracy, test.attCos.<layer>, test.camCos.<method>, test.faithfulness.<…>
 *                                                            the test-split evaluation (eval-<data>.json), if any
 * science/metrics/sweepStats.ts then summarises them over seeds.
 */
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { evalFileName, parseEvalFile } from '../eval/evalFile';
import type { EvalRunResult } from '../eval/evalFile';
import type { SweepRunMetrics } from '../science/metrics/sweepStats';
import type { TrainEvent } from '../train/options';
import { readProgress, readRunRecord } from '../train/runLog';
import type { SweepRun } from './expand';
import { MAX_JSON_BYTES } from './readJson';

type EpochEvent = Extract<TrainEvent, { type: 'epoch' }>;

/** The validation numbers of the run's best epoch (the one best.ckpt holds). */
export function validationMetrics(
  events: readonly TrainEvent[], bestEpoch: number | undefined,
): Record<string, number | null> {
  // A resumed run may repeat an epoch: the later event is the one its checkpoints hold.
  const epochs = events.filter((e): e is EpochEvent => e.type === 'epoch');
  const best = bestEpoch === undefined ? undefined : epochs.filter((e) => e.epoch === bestEpoch).pop();
  if (!best?.val) return {};
  return {
    'val.accuracy': best.val.accuracy,
    'val.balancedAccuracy': best.val.balancedAccuracy,
    ...Object.fromEntries(Object.entries(best.val.attCos).map(([layer, v]) => [`val.attCos.${layer}`, v])),
  };
}

/** How deep faithfulness sections nest (method → metric → summary); deeper data is not a summary. */
const FAITHFULNESS_DEPTH = 4;

/**
 * The faithfulness numbers of an evaluation that has them (report.faithfulness): every `average` below it — a
 * summary's mean over the six expressions, a number or an estimate's `value` — as test.faithfulness.<path>, so
 * the table takes whatever metrics the evaluation measured. Per-class values are left to the evaluation panel.
 */
export function faithfulnessMetrics(section: unknown, prefix = 'test.faithfulness', depth = 0):
  Record<string, number | null> {
  if (typeof section !== 'object' || section === null || Array.isArray(section) || depth > FAITHFULNESS_DEPTH) {
    return {};
  }
  const found: Record<string, number | null> = {};
  for (const [key, value] of Object.entries(section)) {
    if (key === 'average') {
      const mean = typeof value === 'number' ? value : (value as { value?: unknown } | null)?.value;
      found[prefix] = typeof mean === 'number' && Number.isFinite(mean) ? mean : null;
    } else if (key !== 'perClass') {
      Object.assign(found, faithfulnessMetrics(value, `${prefix}.${key}`, depth + 1));
    }
  }
  return found;
}

/** The numbers of an evaluation on the test split; none for an evaluation of other images. */
export function testMetrics(result: EvalRunResult): Record<string, number | null> {
  if (result.split !== 'test') return {};
  const r = result.report;
  return {
    'test.accuracy': r.accuracy,
    'test.balancedAccuracy': r.balancedAccuracy,
    ...Object.fromEntries(Object.entries(r.attCos.byKey).map(([l, s]) => [`test.attCos.${l}`, s?.average ?? null])),
    ...Object.fromEntries(Object.entries(r.camCos.byKey).map(([m, s]) => [`test.camCos.${m}`, s?.average ?? null])),
    ...faithfulnessMetrics((r as { faithfulness?: unknown }).faithfulness),
  };
}

async function readEvaluation(file: string): Promise<EvalRunResult | undefined> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile() || info.size > 16 * MAX_JSON_BYTES) return undefined;
  return parseEvalFile(await readFile(file, 'utf8'), file);
}

/** The numbers of one run of the sweep; a run that has not trained yet has none. */
export async function readRunMetrics(run: Pick<SweepRun, 'name' | 'point' | 'request'>): Promise<SweepRunMetrics> {
  const folder = run.request.out;
  const record = await readRunRecord(folder).catch(() => undefined);
  const { events } = await readProgress(folder);
  const evaluation = await readEvaluation(path.join(folder, evalFileName(run.request.data))).catch(() => undefined);
  return {
    name: run.name, point: run.point,
    metrics: { ...validationMetrics(events, record?.best?.epoch), ...(evaluation && testMetrics(evaluation)) },
  };
}
