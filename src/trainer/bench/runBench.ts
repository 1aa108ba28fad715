/**
 * Training and inference throughput on synthetic data, measured as the PyTorch peer measures it
 * (/work/shared/peers/torch/bench.py): `warmup` untimed steps, then `reps` repetitions of `steps` timed steps;
 * img/s per repetition = batch·steps / elapsed, reported as min / median / max. Data are made before timing and
 * two batches alternate. `train` times TrainStepper.step, the training loop's own path (feeds, the one-graph
 * step, state handed back); `infer` times the eval-mode inference graph with baked weights, fetching the logits
 * and the last stage's attention map, as the peer's `torch.no_grad()` step returns.
 */
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Batch } from '../data/loader';
import { attentionName, buildInference } from '../graphs/inference';
import type { PresetName, VitName } from '../models/modelNames';
import { initParams, isTrainable, paramSpecs } from '../models/params';
import { presetInfo } from '../models/presets';
import { describeDevice } from '../onnx/deviceInfo';
import type { Device } from '../onnx/deviceNames';
import { numel } from '../onnx/graph';
import type { EngineOptions } from '../onnx/session';
import { createSession, engineDevice, floatTensor, ort } from '../onnx/session';
import { ModelState } from '../train/modelState';
import { TrainStepper } from '../train/stepper';
import { forwardFlops } from './flops';
import { foreignCpus, sampleCpu } from './machineLoad';
import { syntheticBatch } from './synthetic';

export type BenchMode = 'train' | 'infer';

/** The models `au-lens bench` runs: the peer's presets and the vision transformers. */
export type BenchModel = PresetName | VitName;

export interface BenchOptions {
  readonly preset: BenchModel;
  readonly mode: BenchMode;
  readonly batch: number;
  readonly threads: number;
  readonly steps: number;
  readonly warmup: number;
  readonly reps: number;
  /** Seeds the weights and the data (default 0). */
  readonly seed?: number;
  /** Weight of the alignment term (the peer's default, 4). */
  readonly lambda?: number;
}

/** The peer's default batch per model (bench.py MODELS). */
export const DEFAULT_BATCH: Readonly<Record<BenchModel, number>> = {
  tiny64: 32,
  small96: 16,
  resnet18: 16,
  resnet50: 8,
  // The repo's peer file for the ViT (scripts/bench/vit_peer.py) takes tiny64's batch for the model of the same input.
  vit64: 32,
  'deit-tiny': 8,
  'deit-small': 8,
};

/** The peer's classes and optimiser settings. */
export const NUM_CLASSES = 7;
const LEARNING_RATE = 0.002;
export const DEFAULT_LAMBDA = 4;

/** One JSON line, keyed as the peer's output where the quantity is the same. */
export interface BenchResult {
  readonly kind: 'model';
  readonly engine: string;
  /** Where the models ran (--device / AU_LENS_DEVICE); the peer's CPU runs have no such key. */
  readonly device: Device;
  /** That device as people name it: "WebGPU · NVIDIA H200", "CPU · AMD EPYC 7B13" (onnx/deviceInfo.ts). */
  readonly device_name: string;
  readonly model: BenchModel;
  readonly mode: BenchMode;
  readonly threads: number;
  readonly batch: number;
  readonly steps: number;
  readonly warmup: number;
  readonly reps: number;
  readonly input: readonly number[];
  readonly layer: string;
  readonly att_feat_shape: readonly number[];
  readonly lam: number;
  readonly params: number;
  readonly fwd_flops_per_img: number;
  readonly fwd_flops_detail: { readonly conv: number; readonly linear: number };
  readonly flops_per_img_step: number;
  readonly img_s_min: number;
  readonly img_s_median: number;
  readonly img_s_max: number;
  readonly img_s_reps: readonly number[];
  readonly foreign_cpus_reps: readonly (number | null)[];
  readonly gflops_median: number;
  readonly ms_per_step_median: number;
  /** Graph building and session creation. */
  readonly build_s: number;
  readonly warmup_s: number;
  readonly peak_rss_mb: number;
  readonly loadavg_before: readonly number[];
  readonly loadavg_after: readonly number[];
  readonly node: string;
}

type Step = (i: number) => Promise<void>;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function trainStep(
  o: BenchOptions,
  batches: readonly Batch[],
  layer: string,
  engine: EngineOptions,
): Promise<{ step: Step; release: () => Promise<void> }> {
  const specs = paramSpecs(o.preset, NUM_CLASSES);
  const state = ModelState.fromParams(specs, initParams(specs, o.seed ?? 0));
  const stepper = await TrainStepper.create(
    { preset: o.preset, numClasses: NUM_CLASSES, batch: o.batch, lambda: o.lambda ?? DEFAULT_LAMBDA, layers: [layer] },
    engine,
  );
  const step: Step = async (i) => {
    const r = await stepper.step(batches[i % batches.length]!, LEARNING_RATE, state);
    if (!Number.isFinite(r.loss)) throw new Error(`non-finite loss ${r.loss} at step ${i}`);
  };
  return { step, release: () => stepper.release() };
}

async function inferStep(
  o: BenchOptions,
  batches: readonly Batch[],
  layer: string,
  engine: EngineOptions,
): Promise<{ step: Step; release: () => Promise<void> }> {
  const weights = initParams(paramSpecs(o.preset, NUM_CLASSES), o.seed ?? 0);
  const { model } = buildInference(
    { preset: o.preset, numClasses: NUM_CLASSES, batch: o.batch, device: engineDevice(engine) },
    weights,
  );
  const session = await createSession(model, engine);
  const s = presetInfo(o.preset).inputSize;
  const images = batches.map((b) => floatTensor(b.image, [o.batch, 3, s, s]));
  const fetches = ['logits', attentionName(layer)];
  const step: Step = async (i) => {
    await session.run({ image: images[i % images.length]! }, fetches);
  };
  return { step, release: () => session.release() };
}

export async function runBench(o: BenchOptions): Promise<BenchResult> {
  if (o.batch < 2) {
    throw new RangeError(
      'the batch must hold at least 2 images (train-mode BatchNorm needs more than one value per channel)',
    );
  }
  if (o.steps < 1 || o.reps < 1) throw new RangeError('steps and reps must be at least 1');
  const info = presetInfo(o.preset);
  const layer = info.defaultLayer;
  const size = info.inputSize;
  const seed = o.seed ?? 0;
  // The peer alternates two pre-generated batches.
  const batches = [0, 1].map((k) => syntheticBatch(o.batch, size, NUM_CLASSES, seed * 2 + k + 1));

  const t0 = performance.now();
  const engine: EngineOptions = { threads: o.threads };
  const { step, release } =
    o.mode === 'train' ? await trainStep(o, batches, layer, engine) : await inferStep(o, batches, layer, engine);
  const buildS = (performance.now() - t0) / 1000;

  try {
    const loadBefore = os.loadavg();
    const w0 = performance.now();
    for (let i = 0; i < o.warmup; i++) await step(i);
    const warmupS = (performance.now() - w0) / 1000;

    const ips: number[] = [];
    const foreign: (number | null)[] = [];
    for (let r = 0; r < o.reps; r++) {
      const c0 = sampleCpu();
      const start = performance.now();
      for (let i = 0; i < o.steps; i++) await step(i);
      const seconds = (performance.now() - start) / 1000;
      foreign.push(foreignCpus(c0, sampleCpu(), seconds));
      ips.push((o.batch * o.steps) / seconds);
    }

    const flops = forwardFlops(o.preset, NUM_CLASSES);
    const mult = o.mode === 'train' ? 3 : 1;
    const med = median(ips);
    return {
      kind: 'model',
      engine: `onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common}`,
      device: engineDevice(engine),
      device_name: describeDevice(engineDevice(engine)).label,
      model: o.preset,
      mode: o.mode,
      threads: o.threads,
      batch: o.batch,
      steps: o.steps,
      warmup: o.warmup,
      reps: o.reps,
      input: [3, size, size],
      layer,
      att_feat_shape: info.layerShapes[layer]!,
      lam: o.lambda ?? DEFAULT_LAMBDA,
      params: paramSpecs(o.preset, NUM_CLASSES).filter(isTrainable).reduce((n, p) => n + numel(p.shape), 0),
      fwd_flops_per_img: flops.total,
      fwd_flops_detail: { conv: flops.conv, linear: flops.linear },
      flops_per_img_step: mult * flops.total,
      img_s_min: Math.min(...ips),
      img_s_median: med,
      img_s_max: Math.max(...ips),
      img_s_reps: ips,
      foreign_cpus_reps: foreign,
      gflops_median: (mult * flops.total * med) / 1e9,
      ms_per_step_median: (1000 * o.batch) / med,
      build_s: buildS,
      warmup_s: warmupS,
      // maxRSS is in kilobytes.
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      loadavg_before: loadBefore,
      loadavg_after: os.loadavg(),
      node: process.version,
    };
  } finally {
    await release();
  }
}
