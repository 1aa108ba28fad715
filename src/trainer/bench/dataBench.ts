/**
 * One run of the data benchmark (dataBenchSuite.ts runs each in its own process, so its peak RSS is its own):
 * prepare a folder's images, then train `steps` steps on them, timing how long the engine waited for each batch.
 *
 * - 'cache': the pipeline of `au-lens train` — prepareCached into an empty prepared-sample cache (landmarks from
 *   the landmark cache), batches read back per batch and built on `loaderWorkers` worker threads.
 * - 'memory': the pipeline before the cache, as the baseline — prepareSamples decodes everything into memory on
 *   the main thread, and batches are built on the main thread between steps.
 */
import { rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { prepareCached } from '../data/cache/buildCache';
import type { Batch } from '../data/loader';
import { BatchLoader } from '../data/loader';
import { prepareSamples } from '../data/prepare';
import type { SampleStore } from '../data/sampleStore';
import { readImageFolder } from '../io/dataset';
import { LandmarkDetector } from '../io/landmarks';
import type { PresetName } from '../models/modelNames';
import { initParams, paramSpecs } from '../models/params';
import { presetInfo } from '../models/presets';
import { codebookPreset } from '../science/codebook';
import { PAPER_CLASSES } from '../science/labels';
import { ModelState } from '../train/modelState';
import { TrainStepper } from '../train/stepper';
import { foreignCpus, sampleCpu } from './machineLoad';

export type DataPipeline = 'cache' | 'memory';

export interface DataRunConfig {
  readonly pipeline: DataPipeline;
  readonly data: string;
  /** Landmark cache (read, and written on a miss). */
  readonly cacheDir: string;
  /** The prepared-sample cache's folder, emptied before and after the run. */
  readonly preparedDir: string;
  readonly preset: PresetName;
  readonly batch: number;
  readonly steps: number;
  /** Untimed steps first (sessions warm up). */
  readonly warmup: number;
  readonly threads: number;
  /** Preparation workers (cache pipeline). */
  readonly prepareWorkers: number;
  /** Batch-building workers (cache pipeline). */
  readonly loaderWorkers: number;
}

export interface DataRunResult {
  readonly pipeline: DataPipeline;
  readonly model: PresetName;
  readonly images: number;
  readonly batch: number;
  readonly threads: number;
  readonly prepare_workers: number;
  readonly loader_workers: number;
  readonly prepare_s: number;
  readonly prepare_img_s: number;
  readonly cache_mb: number | null;
  readonly steps: number;
  readonly img_s: number;
  readonly ms_per_step: number;
  /** Seconds the engine waited for batches during the timed steps, and that as a share of their time. */
  readonly data_wait_s: number;
  readonly data_wait_fraction: number;
  readonly rss_after_prepare_mb: number;
  readonly peak_rss_mb: number;
  readonly foreign_cpus: number | null;
}

const peakRssMb = (): number => process.resourceUsage().maxRSS / 1024;

/** Batches of as many epochs as `steps` needs, in order. */
async function* batchesFor(loader: BatchLoader, steps: number): AsyncGenerator<Batch> {
  let handed = 0;
  for (let epoch = 0; handed < steps; epoch++) {
    const iterator = loader.epoch(epoch);
    for (;;) {
      if (handed >= steps) return;
      const next = await iterator.next();
      if (next.done) break;
      handed++;
      yield next.value;
    }
  }
}

export async function runDataBench(config: DataRunConfig): Promise<DataRunResult> {
  const info = presetInfo(config.preset);
  const dataset = await readImageFolder(config.data, { classes: PAPER_CLASSES });
  const labels = dataset.classes;
  const detector = await LandmarkDetector.create();
  const common = { labels, inputSize: info.inputSize, crop: info.crop, codebook: codebookPreset(), detector,
    cacheDir: config.cacheDir };
  await rm(config.preparedDir, { recursive: true, force: true });

  const started = performance.now();
  let store: SampleStore | undefined;
  let memory: Awaited<ReturnType<typeof prepareSamples>>['samples'] | undefined;
  let cacheMb: number | null = null;
  if (config.pipeline === 'cache') {
    const set = await prepareCached(dataset.samples.map((s) => ({
      relPath: s.relPath, source: { kind: 'file', path: s.path } as const, label: s.label,
    })), { ...common, workers: config.prepareWorkers, preparedDir: config.preparedDir });
    store = set.store;
    cacheMb = set.report.bytes / 1e6;
  } else {
    memory = (await prepareSamples(dataset.samples, common)).samples;
  }
  const prepareS = (performance.now() - started) / 1000;
  const rssAfterPrepare = process.memoryUsage().rss / 1e6;

  const numClasses = labels.length;
  const specs = paramSpecs(config.preset, numClasses);
  const state = ModelState.fromParams(specs, initParams(specs, 0));
  const stepper = await TrainStepper.create(
    { preset: config.preset, numClasses, batch: config.batch, lambda: 4, layers: [info.defaultLayer] },
    { threads: config.threads },
  );
  const loader = new BatchLoader(store ?? memory!, {
    batchSize: config.batch, inputSize: info.inputSize, mode: 'train', seed: 0, normalisation: info.normalisation,
    workers: config.pipeline === 'cache' ? config.loaderWorkers : 0,
  });
  let wait = 0;
  let timedStart = 0;
  let cpu = sampleCpu();
  let step = 0;
  try {
    const batches = batchesFor(loader, config.warmup + config.steps);
    for (;;) {
      if (step === config.warmup) {
        timedStart = performance.now();
        cpu = sampleCpu();
      }
      const asked = performance.now();
      const next = await batches.next();
      if (next.done) break;
      if (step >= config.warmup) wait += performance.now() - asked;
      const result = await stepper.step(next.value, 0.002, state);
      if (!Number.isFinite(result.loss)) throw new Error(`non-finite loss at step ${step}`);
      step++;
    }
  } finally {
    await loader.close();
    await stepper.release();
    await rm(config.preparedDir, { recursive: true, force: true });
  }
  const seconds = (performance.now() - timedStart) / 1000;
  return {
    pipeline: config.pipeline, model: config.preset, images: dataset.samples.length, batch: config.batch,
    threads: config.threads, prepare_workers: config.pipeline === 'cache' ? config.prepareWorkers : 0,
    loader_workers: config.pipeline === 'cache' ? config.loaderWorkers : 0,
    prepare_s: prepareS, prepare_img_s: dataset.samples.length / prepareS, cache_mb: cacheMb,
    steps: config.steps, img_s: (config.batch * config.steps) / seconds, ms_per_step: (1000 * seconds) / config.steps,
    data_wait_s: wait / 1000, data_wait_fraction: wait / 1000 / seconds,
    rss_after_prepare_mb: rssAfterPrepare, peak_rss_mb: peakRssMb(),
    foreign_cpus: foreignCpus(cpu, sampleCpu(), seconds),
  };
}
