/**
 * The faithfulness suite's cost, as `au-lens bench-faithfulness` prints it (one JSON line):
 * - suite: a checkpoint's held-out test images through `au-lens eval` with AU occlusion, deletion/insertion
 *   (20 steps each way) and ROAD (9 percentiles, MoRF and LeRF) for the CAM layer's attention, CAM, Grad-CAM++,
 *   the AU map and a random map; timed from the end of face preparation (landmarks come from the cache after the
 *   first run) to the result, beside the same evaluation without faithfulness (the baseline) in the same process;
 *   its time in the classifier (inference) and the rest (perturbed images: blur, imputation; maps);
 * - panel: one face as the explanation panel scores it (explanation, then AU occlusion and the deletion/insertion
 *   curves of one map), cold and warm, beside the explanation alone.
 * Targets (issue 19): suite ≤ 120 s for CK+48's 138 test images with tiny64 on 2 threads; panel ≤ 1 s warm.
 */
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import { evaluateCheckpoint } from '../eval/evaluateCheckpoint';
import type { EvaluateOptions } from '../eval/types';
import { Explainer } from '../explain/explainImage';
import { attentionMapKey } from '../explain/faithfulnessMaps';
import type { FaceLandmarker } from '../io/landmarks';
import type { CamMethodName } from '../science/camMethods';
import { foreignCpus, sampleCpu } from './machineLoad';

export const SUITE_TARGET_S = 120;
export const PANEL_TARGET_MS = 1000;
/** The maps of the benchmark besides the attention, the AU map and the random map. */
export const BENCH_METHODS: readonly CamMethodName[] = ['cam', 'gradcam++'];

export interface FaithfulnessBenchOptions {
  readonly checkpoint: string;
  readonly data: string;
  readonly threads: number;
  /** Only the first N test images (default: all). */
  readonly images?: number;
  readonly panelReps: number;
  readonly cacheDir?: string;
  readonly detector: () => Promise<FaceLandmarker>;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const round = (v: number, digits = 1): number => Number(v.toFixed(digits));

/** One evaluation, timed from the end of face preparation; with `foreignCpus` over that window. */
async function timedEvaluation(options: EvaluateOptions, detector: FaceLandmarker) {
  let started = performance.now();
  let cpu = sampleCpu();
  const result = await evaluateCheckpoint(options, {
    detector,
    onProgress: (done, total, stage) => {
      if (stage === 'prepare' && done === total) {
        started = performance.now();
        cpu = sampleCpu();
      }
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const after = sampleCpu();
  return { result, seconds, cpuSeconds: after.own - cpu.own, foreignCpus: foreignCpus(cpu, after, seconds) };
}

export async function benchFaithfulness(options: FaithfulnessBenchOptions) {
  const detector = await options.detector();
  const common: EvaluateOptions = {
    checkpoint: options.checkpoint, data: options.data, split: 'test', batch: 32, threads: options.threads,
    methods: BENCH_METHODS, trusted: true, ...(options.images !== undefined && { maxImages: options.images }),
    // One chunk: the suite is timed from the end of face preparation, which chunks would interleave with the model.
    chunkImages: Infinity,
    ...(options.cacheDir !== undefined && { cacheDir: options.cacheDir }),
  };
  const baseline = await timedEvaluation(common, detector);
  const suite = await timedEvaluation({
    ...common, faithfulness: { settings: { occlusion: true, deletion: true, road: true }, sanity: false },
  }, detector);
  const images = suite.result.report.samples;
  const f = suite.result.report.faithfulness!;

  const explainer = new Explainer({ landmarker: async () => detector, threads: options.threads,
    ...(options.cacheDir !== undefined && { landmarkCache: options.cacheDir }) });
  const first = suite.result.samples[0]!;
  // A benchmark, like the CLI, trusts the files its user names.
  const request = { model: options.checkpoint, image: first.path!, className: first.label, trusted: true };
  const panel = async (): Promise<{ explainMs: number; totalMs: number }> => {
    const t = performance.now();
    const explanation = await explainer.explain(request);
    const explainMs = performance.now() - t;
    const camLayer = explanation.report.model.camLayer;
    await explainer.faithfulness(explanation, {
      settings: { occlusion: true, deletion: true, road: false, maps: [attentionMapKey(camLayer)] }, sanity: false,
    }, { trusted: true });
    return { explainMs, totalMs: performance.now() - t };
  };
  try {
    const cold = await panel();
    const warm: { explainMs: number; totalMs: number }[] = [];
    for (let r = 0; r < options.panelReps; r++) warm.push(await panel());
    const warmMs = median(warm.map((w) => w.totalMs));
    return {
      kind: 'bench-faithfulness',
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.availableParallelism(),
      loadAverage: os.loadavg().map((v) => round(v, 2)),
      threads: options.threads,
      checkpoint: options.checkpoint,
      images,
      maps: Object.keys(f.maps),
      steps: f.settings.steps,
      percentiles: f.settings.percentiles,
      suite: {
        seconds: round(suite.seconds),
        cpuSeconds: round(suite.cpuSeconds),
        foreignCpus: suite.foreignCpus === null ? null : round(suite.foreignCpus, 2),
        perImageMs: round((1000 * suite.seconds) / images, 0),
        targetSeconds: SUITE_TARGET_S,
        /** Scaled to 138 images when fewer were run. */
        projected138Seconds: round((suite.seconds * 138) / images),
      },
      baseline: { what: 'the same evaluation without faithfulness', seconds: round(baseline.seconds, 2),
        ratio: round(suite.seconds / baseline.seconds, 1) },
      panel: {
        what: 'explain one face, then AU occlusion and the deletion/insertion curves of the CAM layer\'s attention',
        image: request.image,
        coldMs: round(cold.totalMs, 0),
        warmMs: warm.map((w) => round(w.totalMs, 0)),
        medianWarmMs: round(warmMs, 0),
        medianWarmExplainOnlyMs: round(median(warm.map((w) => w.explainMs)), 0),
        targetMs: PANEL_TARGET_MS,
      },
    };
  } finally {
    await explainer.release();
  }
}
