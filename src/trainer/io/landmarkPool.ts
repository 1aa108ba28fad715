/**
 * Landmarks for a whole dataset, on a pool of worker threads (default: one per core), each with its own face-api
 * detector (tfjs wasm is single-threaded, so threads are how detection scales), or on this thread. Every result
 * goes to the landmark cache as soon as it is found, so an interrupted pass resumes where it stopped: cached
 * images cost a read and a hash, and a worker loads its detector only on its first miss.
 *
 * Workers can only run face-api's detector. Any other FaceLandmarker (the tests' fakes) runs on this thread.
 */
import { ImageError } from './image';
import type { CachedFaces, LazyLandmarker } from './landmarkCache';
import { detectSourceWithCache, loaded } from './landmarkCache';
import type { FaceLandmarker } from './landmarks';
import { LandmarkDetector } from './landmarks';
import type { SampleSource } from './layouts/types';
import type { ProgressSnapshot } from './progressMeter';
import { ProgressMeter } from './progressMeter';
import { startPool } from '../workers/pool';
import { runJobs } from '../workers/runJobs';

/** One image for a worker: the cache key needs the run's detector version, known before any detector loads. */
export interface LandmarkJob {
  readonly source: SampleSource;
  readonly detectorVersion: string;
  readonly cacheDir?: string;
  readonly maxPixels?: number;
}

/** A sample whose pixels cannot be read is reported, not thrown: the pass goes on. */
export type LandmarkOutcome = ({ readonly ok: true } & CachedFaces) | { readonly ok: false; readonly reason: string };

export interface LandmarkProgress extends ProgressSnapshot {
  /** Found in the cache. */
  readonly cached: number;
  readonly detected: number;
  readonly failed: number;
}

export interface LandmarkPassOptions {
  /** The run's detector: its version keys the cache; it runs here when it is not face-api's or workers is 0. */
  readonly detector: FaceLandmarker;
  /** Worker threads (0: this thread). */
  readonly workers: number;
  readonly cacheDir?: string;
  readonly maxPixels?: number;
  readonly signal?: AbortSignal;
  readonly onResult?: (index: number, outcome: LandmarkOutcome) => void;
  readonly onProgress?: (progress: LandmarkProgress) => void;
}

export interface LandmarkPassSummary {
  readonly cached: number;
  readonly detected: number;
  readonly failed: number;
  readonly seconds: number;
  /** Threads that ran the detector (0: this thread). */
  readonly workers: number;
}

/** The landmarks of one sample through the cache; shared by the workers and this thread. */
export async function landmarkJob(landmarker: LazyLandmarker, job: LandmarkJob): Promise<LandmarkOutcome> {
  try {
    const options = {
      ...(job.cacheDir !== undefined && { dir: job.cacheDir }),
      ...(job.maxPixels !== undefined && { maxPixels: job.maxPixels }),
    };
    return { ok: true, ...(await detectSourceWithCache(landmarker, job.source, options)) };
  } catch (error) {
    if (error instanceof ImageError) return { ok: false, reason: error.message };
    throw error;
  }
}

/** Workers run face-api's detector only; a detector of another kind must run where it was made. */
export function canRunInWorkers(detector: FaceLandmarker): boolean {
  return detector instanceof LandmarkDetector;
}

/** Landmarks of every source into the cache; results go to onResult in completion order. */
export async function detectLandmarks(
  sources: readonly SampleSource[],
  options: LandmarkPassOptions,
): Promise<LandmarkPassSummary> {
  const { detector } = options;
  const workers = canRunInWorkers(detector) ? Math.min(options.workers, sources.length) : 0;
  const counts = { cached: 0, detected: 0, failed: 0 };
  const meter = new ProgressMeter(sources.length, (s) => options.onProgress?.({ ...s, ...counts }));
  const started = performance.now();
  const pool = workers > 0 ? startPool('prepareWorker', workers) : undefined;
  try {
    await runJobs<LandmarkJob, LandmarkOutcome>({
      count: sources.length,
      job: (i) => ({
        source: sources[i]!,
        detectorVersion: detector.version,
        ...(options.cacheDir !== undefined && { cacheDir: options.cacheDir }),
        ...(options.maxPixels !== undefined && { maxPixels: options.maxPixels }),
      }),
      ...(pool && { pool: { pool, method: 'landmarks', workers } }),
      inThread: (job) => landmarkJob(loaded(detector), job),
      onResult: (index, outcome) => {
        if (!outcome.ok) counts.failed++;
        else if (outcome.cached) counts.cached++;
        else counts.detected++;
        options.onResult?.(index, outcome);
        meter.tick();
      },
      ...(options.signal && { signal: options.signal }),
    });
  } finally {
    await pool?.terminate(true);
  }
  return { ...counts, seconds: (performance.now() - started) / 1000, workers };
}
