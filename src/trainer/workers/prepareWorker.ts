/**
 * A worker thread of the preparation pool (pool.ts): landmarks of one sample through the cache, and one sample
 * prepared into a cache record. Its detector loads on its first cache miss, and must be the run's.
 */
import workerpool from 'workerpool';
import type { PrepareJob } from '../data/cache/prepareRecord';
import { prepareRecord } from '../data/cache/prepareRecord';
import type { LazyLandmarker } from '../io/landmarkCache';
import type { LandmarkJob } from '../io/landmarkPool';
import { landmarkJob } from '../io/landmarkPool';
import { LandmarkDetector } from '../io/landmarks';

let detector: Promise<LandmarkDetector> | undefined;

function workerLandmarker(version: string): LazyLandmarker {
  return {
    version,
    async get() {
      const loaded = await (detector ??= LandmarkDetector.create());
      if (loaded.version !== version) {
        throw new Error(`a worker's landmark detector (${loaded.version}) is not the run's (${version})`);
      }
      return loaded;
    },
  };
}

workerpool.worker({
  landmarks: (job: LandmarkJob) => landmarkJob(workerLandmarker(job.detectorVersion), job),
  prepare: async (job: PrepareJob) => {
    const outcome = await prepareRecord(workerLandmarker(job.detectorVersion), job);
    return outcome.ok ? new workerpool.Transfer(outcome, [outcome.record.buffer]) : outcome;
  },
});
