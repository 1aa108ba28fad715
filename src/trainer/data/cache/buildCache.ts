/**
 * Prepares a set of samples into the on-disk shard cache and opens it as the loader's store, so memory holds the
 * samples' labels and names, never their pixels, whatever the size of the dataset.
 *
 * A set is cut into shards of SHARD_BYTES (the last one shorter); each shard is checked, and only missing or
 * damaged ones are prepared, so a cache is reused as it is (no decoding, no landmarks), a preparation that was
 * killed resumes at the first unfinished shard, and deleting the cache loses nothing but time. Preparation runs on
 * a pool of worker threads (default: one per core; none for small sets) and writes each record at its place as
 * it comes back.
 */
import { mkdir, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { writeFileAtomic } from '../../io/atomicFile';
import type { CachedFaces } from '../../io/landmarkCache';
import { loaded } from '../../io/landmarkCache';
import { canRunInWorkers, detectLandmarks } from '../../io/landmarkPool';
import type { FaceLandmarker } from '../../io/landmarks';
import type { ProgressSnapshot } from '../../io/progressMeter';
import { ProgressMeter } from '../../io/progressMeter';
import type { Expression } from '../../science/labels';
import type { Pool } from '../../workers/pool';
import { defaultWorkers, startPool } from '../../workers/pool';
import { runJobs } from '../../workers/runJobs';
import type { PrepareReport, SampleSettings } from '../prepare';
import { labelIndexFor, preparedSide } from '../prepare';
import type { CacheSample } from './cacheKey';
import { preparedCacheKey, preparedCacheRoot } from './cacheKey';
import type { PrepareJob, PrepareOutcome } from './prepareRecord';
import { prepareRecord } from './prepareRecord';
import { checkShard, removeStaleTemps, ShardWriter } from './shardFile';
import type { ShardShape, ShardStoreDescriptor } from './shardFormat';
import { recordBytes, SAMPLE_STATUS, shardFileName } from './shardFormat';
import type { ShardEntries } from './shardStore';
import { ShardStore } from './shardStore';

/** About this much per shard: what a killed preparation can lose, and few enough files for 290k samples. */
const SHARD_BYTES = 64 * 1024 * 1024;
/** Below this many samples to prepare, worker threads cost more to start than they save. */
const AUTO_WORKERS_MIN = 256;

export interface CacheOptions extends SampleSettings {
  /** Class order: records hold the index of a sample's class here. */
  readonly labels: readonly Expression[];
  /** The run's detector: its version keys both caches; misses are detected with it or, in workers, its kind. */
  readonly detector: FaceLandmarker;
  /** Worker threads for landmarks and preparation (0: this thread); default: one per core, none for small sets. */
  readonly workers?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: PrepareProgress) => void;
  /** The folder of prepared-sample caches (default: preparedCacheRoot(cacheDir), beside the landmark cache). */
  readonly preparedDir?: string;
  /** Bytes per shard (default SHARD_BYTES); part of what a cache is, so tests can make many small shards. */
  readonly shardBytes?: number;
}

/** Landmarks first (only when the detector cannot run in workers), then preparation. */
export interface PrepareProgress extends ProgressSnapshot {
  readonly phase: 'landmarks' | 'prepare';
}

export interface CacheReport extends PrepareReport {
  /** The set's cache folder. */
  readonly cacheDir: string;
  readonly bytes: number;
  /** Samples prepared (decoded) now; the others came from the cache. */
  readonly decoded: number;
  /** Damaged or cut shards found and prepared again. */
  readonly rebuilt: readonly { readonly file: string; readonly reason: string }[];
}

export interface CachedSet {
  readonly store: ShardStore;
  readonly report: CacheReport;
}

/** What the loader calls a sample: its file, else its id (a CSV row). */
function sampleName(sample: CacheSample): string {
  return sample.source.kind === 'file' ? sample.source.path : sample.relPath;
}

interface ShardPlan {
  readonly shape: ShardShape;
  readonly file: string;
  statuses: string[];
  reasons: Record<string, string>;
  bytes: number;
}

interface OpenShard {
  readonly writer: ShardWriter;
  remaining: number;
}

/** Prepares the shards in `todo` and closes each as its last record arrives. */
async function prepareShards(
  samples: readonly CacheSample[],
  todo: readonly ShardPlan[],
  key: string,
  options: CacheOptions,
  labelIndex: ReadonlyMap<Expression, number>,
): Promise<void> {
  const items = todo.flatMap((plan) => Array.from({ length: plan.shape.count }, (_, k) => ({ plan, slot: k })));
  const workers = options.workers ?? (items.length >= AUTO_WORKERS_MIN ? defaultWorkers() : 0);
  const { detector, signal } = options;
  const faces = new Map<number, CachedFaces['faces']>();
  if (workers > 0 && !canRunInWorkers(detector)) {
    // Workers cannot run this detector: its landmarks go to the cache first, where the workers find them.
    const pass = new ProgressMeter(items.length, (s) => options.onProgress?.({ phase: 'landmarks', ...s }));
    await detectLandmarks(items.map(({ plan, slot }) => samples[plan.shape.firstIndex + slot]!.source), {
      detector, workers: 0, ...(options.cacheDir !== undefined && { cacheDir: options.cacheDir }),
      ...(options.maxPixels !== undefined && { maxPixels: options.maxPixels }), ...(signal && { signal }),
      onResult: (i, outcome) => {
        if (outcome.ok && !outcome.stored) faces.set(i, outcome.faces);
        pass.tick();
      },
    });
  }
  const meter = new ProgressMeter(items.length, (s) => options.onProgress?.({ phase: 'prepare', ...s }));
  const settings: SampleSettings = {
    inputSize: options.inputSize, codebook: options.codebook, crop: options.crop ?? 'paper',
    ...(options.cacheDir !== undefined && { cacheDir: options.cacheDir }),
    ...(options.maxPixels !== undefined && { maxPixels: options.maxPixels }),
  };
  const open = new Map<ShardPlan, OpenShard>();
  const pool: Pool | undefined = workers > 0 ? startPool('prepareWorker', workers) : undefined;
  try {
    await runJobs<PrepareJob, PrepareOutcome>({
      count: items.length,
      job: (i) => {
        const { plan, slot } = items[i]!;
        const sample = samples[plan.shape.firstIndex + slot]!;
        const known = faces.get(i);
        return {
          source: sample.source, expression: sample.label, label: labelIndex.get(sample.label)!, settings,
          detectorVersion: detector.version, ...(known && { faces: known }),
        };
      },
      ...(pool && { pool: { pool, method: 'prepare', workers } }),
      inThread: (job) => prepareRecord(loaded(detector), job),
      onResult: async (i, outcome) => {
        const { plan, slot } = items[i]!;
        let shard = open.get(plan);
        if (!shard) {
          shard = { writer: await ShardWriter.create(plan.file, plan.shape), remaining: plan.shape.count };
          open.set(plan, shard);
        }
        if (outcome.ok) {
          await shard.writer.write(slot, outcome.record);
          plan.statuses[slot] = outcome.status;
        } else {
          plan.statuses[slot] = SAMPLE_STATUS.unreadable;
          plan.reasons[slot] = outcome.reason;
        }
        if (--shard.remaining === 0) {
          open.delete(plan);
          plan.bytes = await shard.writer.finish({ key, statuses: plan.statuses.join(''), reasons: plan.reasons });
        }
        meter.tick();
      },
      ...(signal && { signal }),
    });
  } finally {
    await pool?.terminate(true);
    for (const shard of open.values()) await shard.writer.abandon();
  }
}

/** The store's entries and the report's lists, from every shard's statuses. */
function collect(
  samples: readonly CacheSample[],
  plans: readonly ShardPlan[],
  labelIndex: ReadonlyMap<Expression, number>,
):
  { entries: ShardEntries; report: Omit<CacheReport, 'cacheDir' | 'bytes' | 'decoded' | 'rebuilt'> } {
  const records: number[] = [];
  const hasAu: number[] = [];
  const corrupt: { path: string; reason: string }[] = [];
  const noFace: string[] = [];
  for (const plan of plans) {
    plan.statuses.forEach((status, slot) => {
      const index = plan.shape.firstIndex + slot;
      const name = sampleName(samples[index]!);
      if (status === SAMPLE_STATUS.unreadable) {
        corrupt.push({ path: name, reason: plan.reasons[slot] ?? 'unreadable' });
        return;
      }
      records.push(index);
      hasAu.push(status === SAMPLE_STATUS.auMap ? 1 : 0);
      if (status === SAMPLE_STATUS.noFace) noFace.push(name);
    });
  }
  const auValid = hasAu.reduce((n, v) => n + v, 0);
  const entries: ShardEntries = {
    records: Uint32Array.from(records),
    labels: Uint16Array.from(records, (r) => labelIndex.get(samples[r]!.label)!),
    hasAu: Uint8Array.from(hasAu),
    names: records.map((r) => sampleName(samples[r]!)),
  };
  return {
    entries,
    report: {
      total: samples.length, prepared: records.length, corrupt, noFace, auValid, auInvalid: records.length - auValid,
    },
  };
}

/**
 * Prepares `samples` into their cache (reusing every whole shard already there) and opens it. Unreadable samples
 * are listed in the report and left out of the store; cancelled through `signal` between two samples, leaving the
 * shards finished so far for the next run.
 */
export async function prepareCached(samples: readonly CacheSample[], options: CacheOptions): Promise<CachedSet> {
  const { labels } = options;
  const labelIndex = labelIndexFor(samples, labels, sampleName);
  const crop = options.crop ?? 'paper';
  // Records are as long as the prepared square: face-api's crop is made at the input size, not at the base side.
  const side = preparedSide(options.inputSize, crop);
  const key = await preparedCacheKey({
    samples, labels, side, crop, codebook: options.codebook, detectorVersion: options.detector.version,
    ...(options.maxPixels !== undefined && { maxPixels: options.maxPixels }),
    ...(options.signal && { signal: options.signal }),
  });
  const dir = path.join(options.preparedDir ?? preparedCacheRoot(options.cacheDir), key.slice(0, 32));
  await mkdir(dir, { recursive: true });
  await removeStaleTemps(dir);
  const perShard = Math.max(1, Math.floor((options.shardBytes ?? SHARD_BYTES) / recordBytes(side)));
  const plans: ShardPlan[] = [];
  const todo: ShardPlan[] = [];
  const rebuilt: { file: string; reason: string }[] = [];
  for (let first = 0, shard = 0; first < samples.length; first += perShard, shard++) {
    const shape = { side, count: Math.min(perShard, samples.length - first), firstIndex: first };
    const file = path.join(dir, shardFileName(shard));
    const check = await checkShard(file, shape, key);
    const plan: ShardPlan = { shape, file, statuses: [], reasons: {}, bytes: 0 };
    if (check.state === 'valid') {
      plan.statuses = [...check.footer.statuses];
      plan.reasons = { ...check.footer.reasons };
      plan.bytes = check.bytes;
    } else {
      if (check.state === 'invalid') {
        rebuilt.push({ file, reason: check.reason });
        await rm(file, { force: true });
      }
      todo.push(plan);
    }
    plans.push(plan);
  }
  if (todo.length > 0) {
    await describeCache(dir, samples.length, side, crop, options);
    await prepareShards(samples, todo, key, options, labelIndex);
  } else {
    // All from the cache: one progress report, so a progress display still sees the set go by.
    const n = samples.length;
    options.onProgress?.({ phase: 'prepare', done: n, total: n, perSecond: 0, etaSeconds: 0 });
  }
  options.signal?.throwIfAborted();
  const { entries, report } = collect(samples, plans, labelIndex);
  const descriptor: ShardStoreDescriptor = { dir, side, perShard };
  const decoded = todo.reduce((n, plan) => n + plan.shape.count, 0);
  const bytes = plans.reduce((n, plan) => n + plan.bytes, 0);
  return { store: new ShardStore(descriptor, entries), report: { ...report, cacheDir: dir, bytes, decoded, rebuilt } };
}

/** cache.json: what the folder holds, for people looking at their disk; nothing reads it back. */
async function describeCache(dir: string, samples: number, side: number, crop: string, options: CacheOptions):
  Promise<void> {
  const about = {
    about: 'AU Lens prepared samples (face crops and AU maps); safe to delete, rebuilt when needed',
    samples, side, crop, codebook: options.codebook.name, detector: options.detector.version,
    recordBytes: recordBytes(side), createdAt: new Date().toISOString(),
  };
  await writeFileAtomic(path.join(dir, 'cache.json'), `${JSON.stringify(about, null, 2)}\n`).catch(() => undefined);
}
