/**
 * `au-lens bench data`: the data pipeline at scale, as issue 16 sets its targets. It makes CK+48-derived folders of
 * each size from hard links (so every copy's landmarks come from the landmark cache, filled once from the 981
 * originals), then runs each configuration in a child process (dataBench.ts) and prints one JSON object: every
 * run, the landmark pass's speed with 1 and 2 workers on an empty cache, and each target with its verdict.
 */
import { execFile } from 'node:child_process';
import { link, mkdir, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { readImageFolder } from '../io/dataset';
import { detectLandmarks } from '../io/landmarkPool';
import { LandmarkDetector } from '../io/landmarks';
import type { PresetName } from '../models/modelNames';
import { PAPER_CLASSES } from '../science/labels';
import type { DataPipeline, DataRunConfig, DataRunResult } from './dataBench';

export interface DataBenchOptions {
  /** CK+48 (class folders of 48×48 crops). */
  readonly source: string;
  /** Scratch folder for the linked folders and the caches; removed at the end. */
  readonly work: string;
  readonly small: number;
  readonly large: number;
  readonly steps: number;
  /** The presets to run (the plan's runs of the others are left out, and their targets read null). */
  readonly models: readonly PresetName[];
  readonly warmup: number;
  readonly threads: number;
  readonly workers: number;
  /** A landmark cache to use (and fill) instead of a fresh one in `work`: it is never emptied. */
  readonly cacheDir?: string;
  /** Images of CK+48 whose landmarks are timed with 1 and 2 workers (0: skip). */
  readonly landmarkImages: number;
  /** How to start this program again for one run: [executable, ...args before "bench data"]. */
  readonly self: readonly string[];
}

interface Planned {
  readonly pipeline: DataPipeline;
  readonly preset: PresetName;
  readonly batch: number;
  readonly size: 'small' | 'large';
}

/** The runs: tiny64 and resnet18 at both sizes, the in-memory baseline of tiny64, resnet50 at the large. */
const PLAN: readonly Planned[] = [
  { pipeline: 'memory', preset: 'tiny64', batch: 32, size: 'small' },
  { pipeline: 'cache', preset: 'tiny64', batch: 32, size: 'small' },
  { pipeline: 'cache', preset: 'tiny64', batch: 32, size: 'large' },
  { pipeline: 'cache', preset: 'resnet18', batch: 16, size: 'small' },
  { pipeline: 'cache', preset: 'resnet18', batch: 16, size: 'large' },
  { pipeline: 'cache', preset: 'resnet50', batch: 8, size: 'large' },
];

/** `<work>/ck-<n>/<class>/<name>~<k>.png`: n hard links cycling through the source images, class by class. */
async function linkedFolder(source: string, work: string, n: number): Promise<string> {
  const root = path.join(work, `ck-${n}`);
  await rm(root, { recursive: true, force: true });
  const dataset = await readImageFolder(source, { classes: PAPER_CLASSES });
  for (let k = 0; k < n; k++) {
    const s = dataset.samples[k % dataset.samples.length]!;
    const dir = path.join(root, path.dirname(s.relPath));
    if (k < dataset.samples.length) await mkdir(dir, { recursive: true });
    const ext = path.extname(s.relPath);
    const copy = Math.floor(k / dataset.samples.length);
    await link(s.path, path.join(dir, `${path.basename(s.relPath, ext)}~${copy}${ext}`));
  }
  return root;
}

async function landmarkSpeed(source: string, work: string, images: number, workers: number): Promise<unknown> {
  const cacheDir = path.join(work, `landmarks-${workers}w`);
  await rm(cacheDir, { recursive: true, force: true });
  const samples = (await readImageFolder(source)).samples.slice(0, images);
  const before = process.memoryUsage().rss;
  const summary = await detectLandmarks(samples.map((s) => ({ kind: 'file', path: s.path })), {
    detector: await LandmarkDetector.create(), workers, cacheDir,
  });
  await rm(cacheDir, { recursive: true, force: true });
  return {
    workers, images: samples.length, img_s: samples.length / summary.seconds, seconds: summary.seconds,
    rss_growth_mb: (process.memoryUsage().rss - before) / 1e6,
  };
}

async function runChild(self: readonly string[], config: DataRunConfig): Promise<DataRunResult> {
  const [exe, ...args] = self;
  const { stdout } = await promisify(execFile)(exe!, [...args, 'bench', 'data', '--one', JSON.stringify(config)], {
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as DataRunResult;
}

function verdict(value: number | undefined, limit: number, below = true): unknown {
  if (value === undefined) return { value: null, limit, pass: null };
  return { value, limit, pass: below ? value <= limit : value >= limit };
}

export async function runDataBenchSuite(o: DataBenchOptions, log: (line: string) => void): Promise<unknown> {
  await mkdir(o.work, { recursive: true });
  const cacheDir = o.cacheDir ?? path.join(o.work, 'landmarks');
  const loadBefore = os.loadavg();
  try {
    const landmarks = [];
    for (const workers of o.landmarkImages > 0 ? [1, 2] : []) {
      log(`landmarks: ${o.landmarkImages} CK+48 images, ${workers} worker(s), empty cache`);
      landmarks.push(await landmarkSpeed(o.source, o.work, o.landmarkImages, workers));
    }
    log('landmark cache: the CK+48 originals, once (their hard links hit it)');
    const originals = (await readImageFolder(o.source)).samples;
    await detectLandmarks(originals.map((s) => ({ kind: 'file', path: s.path })), {
      detector: await LandmarkDetector.create(), workers: o.workers, cacheDir,
    });
    const folders = {
      small: await linkedFolder(o.source, o.work, o.small),
      large: await linkedFolder(o.source, o.work, o.large),
    };
    const runs: DataRunResult[] = [];
    for (const plan of PLAN.filter((p) => o.models.includes(p.preset))) {
      const images = plan.size === 'small' ? o.small : o.large;
      log(`${plan.preset} batch ${plan.batch}, ${images} images, ${plan.pipeline}: preparing + ${o.steps} steps`);
      runs.push(await runChild(o.self, {
        pipeline: plan.pipeline, data: folders[plan.size], cacheDir, preparedDir: path.join(o.work, 'prepared'),
        preset: plan.preset, batch: plan.batch,
        steps: o.steps, warmup: o.warmup, threads: o.threads, prepareWorkers: o.workers, loaderWorkers: 1,
      }));
      log(`  ${JSON.stringify(runs[runs.length - 1])}`);
    }
    const find = (p: DataPipeline, m: PresetName, n: number): DataRunResult | undefined =>
      runs.find((r) => r.pipeline === p && r.model === m && r.images === n);
    const rss = (m: PresetName, n: number): number | undefined => find('cache', m, n)?.peak_rss_mb;
    const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
      a !== undefined && b !== undefined ? a / b : undefined;
    const tinyCache = find('cache', 'tiny64', o.small);
    const targets = {
      tiny64_rss_large_over_small: verdict(ratio(rss('tiny64', o.large), rss('tiny64', o.small)), 1.25),
      resnet18_rss_large_over_small: verdict(ratio(rss('resnet18', o.large), rss('resnet18', o.small)), 1.25),
      tiny64_peak_rss_mb: verdict(rss('tiny64', o.large), 1024),
      resnet18_peak_rss_mb: verdict(rss('resnet18', o.large), 2560),
      resnet50_peak_rss_mb: verdict(rss('resnet50', o.large), 4096),
      tiny64_img_s_cache_over_memory:
        verdict(ratio(tinyCache?.img_s, find('memory', 'tiny64', o.small)?.img_s), 0.95, false),
      tiny64_data_wait_fraction: verdict(tinyCache?.data_wait_fraction, 0.02),
    };
    return {
      kind: 'data', cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), node: process.version,
      sizes: { small: o.small, large: o.large }, models: o.models, steps: o.steps, warmup: o.warmup, threads: o.threads,
      workers: o.workers, landmarks, runs, targets, loadavg_before: loadBefore, loadavg_after: os.loadavg(),
    };
  } finally {
    await rm(o.work, { recursive: true, force: true });
  }
}
