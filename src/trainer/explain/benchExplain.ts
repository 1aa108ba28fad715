/**
 * Latency of a whole single-image explanation (decode, landmarks, face crop, AU map, inference, every map and
 * metric), as the editor experiences it: cold (first call in a fresh process: face-api and the model load) and
 * warm (the same Explainer again), warm both with the landmark cache hit (the same photo explained again, e.g.
 * for another class) and with detection on every call (a new photo each time). PNG rendering is timed apart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FaceLandmarker } from '../io/landmarks';
import { IMAGENET_NORMALISATION } from '../models/modelInfo';
import type { PresetName, VitName } from '../models/modelNames';
import { initParams, paramSpecs } from '../models/params';
import { presetInfo } from '../models/presets';
import { codebookPreset } from '../science/codebook';
import type { Expression } from '../science/labels';
import { PAPER_CLASSES } from '../science/labels';
import type { Checkpoint } from '../train/checkpoint';
import { saveCheckpoint } from '../train/checkpoint';
import { Explainer } from './explainImage';
import type { ExplanationReport } from './explanation';
import { writeExplanation } from './renderExplanation';

/** The editor's budget for a warm explanation on a 2-core machine. */
export const WARM_TARGET_MS = 500;

/** face-api's MIT-licensed 1920×1280 demo photo with three faces. */
export function defaultBenchImage(): string {
  return path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', 'sample1.jpg');
}

/** An untrained model of `preset` as a checkpoint (its family's initialisation, paper classes and codebook). */
export function untrainedCheckpoint(
  preset: PresetName | VitName,
  seed = 0,
  labels: readonly Expression[] = PAPER_CLASSES,
): Checkpoint {
  const info = presetInfo(preset);
  const specs = paramSpecs(preset, labels.length);
  const params = initParams(specs, seed);
  return {
    model: { preset, numClasses: labels.length, inputSize: info.inputSize },
    labels: [...labels],
    codebook: codebookPreset('paper'),
    lambda: 0,
    layers: [info.defaultLayer],
    normalisation: IMAGENET_NORMALISATION,
    dataManifestHash: '',
    epoch: 0,
    step: 0,
    optimizer: { lr: 0, scheduleStep: 0, seed, batchInEpoch: 0, best: null },
    metrics: [],
    createdAt: '',
    tensors: { model: specs.map((s) => ({ name: s.name, shape: s.shape, data: params.get(s.name)! })), momentum: [] },
  };
}

export interface ExplainBenchOptions {
  readonly image: string;
  /** A checkpoint or exported model; default: an untrained `preset` written to a temporary checkpoint. */
  readonly model?: string;
  readonly preset: PresetName;
  readonly reps: number;
  readonly threads: number;
  readonly landmarker: () => Promise<FaceLandmarker>;
}

type Timings = ExplanationReport['timingsMs'];

export interface WarmStats {
  readonly reps: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** Median of each stage over the reps. */
  readonly stagesMs: Timings;
}

export interface ExplainBenchResult {
  readonly kind: 'bench-explain';
  readonly image: string;
  readonly width: number;
  readonly height: number;
  readonly faces: number;
  readonly model: { readonly path: string | null; readonly preset: string; readonly kind: string };
  readonly threads: number;
  readonly cores: number;
  /** First explanation in this process, landmark cache empty: loads face-api and the model. */
  readonly cold: { readonly totalMs: number; readonly stagesMs: Timings };
  /** The same photo again: landmarks come from the cache. */
  readonly warm: WarmStats;
  /** Landmarks detected on every call, as for a new photo. */
  readonly warmDetect: WarmStats;
  /** Writing report.json and every PNG (median over the reps). */
  readonly renderMs: number;
  readonly targetWarmMs: number;
  readonly meetsTarget: { readonly warm: boolean; readonly warmDetect: boolean };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

function warmStats(timings: readonly Timings[]): WarmStats {
  const totals = timings.map((t) => t.total);
  const stage = (k: keyof Timings): number => median(timings.map((t) => t[k]));
  const stagesMs: Timings = {
    model: stage('model'), decode: stage('decode'), landmarks: stage('landmarks'), prepare: stage('prepare'),
    inference: stage('inference'), maps: stage('maps'), total: stage('total'),
  };
  return {
    reps: timings.length,
    medianMs: median(totals),
    minMs: Math.min(...totals),
    maxMs: Math.max(...totals),
    stagesMs,
  };
}

export async function benchExplain(options: ExplainBenchOptions): Promise<ExplainBenchResult> {
  if (!Number.isInteger(options.reps) || options.reps < 1) {
    throw new RangeError(`reps must be a positive integer, got ${options.reps}`);
  }
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'au-lens-bench-explain-'));
  const cached = new Explainer({
    landmarker: options.landmarker,
    threads: options.threads,
    landmarkCache: path.join(scratch, 'landmarks'),
  });
  const detecting = new Explainer({ landmarker: options.landmarker, threads: options.threads, landmarkCache: false });
  try {
    let model = options.model;
    if (model === undefined) {
      model = path.join(scratch, `${options.preset}.ckpt`);
      await saveCheckpoint(model, untrainedCheckpoint(options.preset));
    }
    const request = { model, image: options.image, trusted: true };
    const first = await cached.explain(request);
    const warm: Timings[] = [];
    const render: number[] = [];
    for (let i = 0; i < options.reps; i++) {
      const e = await cached.explain(request);
      warm.push(e.report.timingsMs);
      const t = performance.now();
      await writeExplanation(e, path.join(scratch, 'out'));
      render.push(performance.now() - t);
    }
    await detecting.explain(request); // opens its own session; not timed
    const warmDetect: Timings[] = [];
    for (let i = 0; i < options.reps; i++) warmDetect.push((await detecting.explain(request)).report.timingsMs);
    const r = first.report;
    const stats = { warm: warmStats(warm), warmDetect: warmStats(warmDetect) };
    return {
      kind: 'bench-explain',
      image: options.image,
      width: r.image.width,
      height: r.image.height,
      faces: r.face.found,
      model: { path: options.model ?? null, preset: r.model.preset, kind: r.model.kind },
      threads: options.threads,
      cores: os.availableParallelism(),
      cold: { totalMs: r.timingsMs.total, stagesMs: r.timingsMs },
      ...stats,
      renderMs: median(render),
      targetWarmMs: WARM_TARGET_MS,
      meetsTarget: {
        warm: stats.warm.medianMs <= WARM_TARGET_MS,
        warmDetect: stats.warmDetect.medianMs <= WARM_TARGET_MS,
      },
    };
  } finally {
    await Promise.all([cached.release(), detecting.release()]);
    await rm(scratch, { recursive: true, force: true });
  }
}
