/**
 * A worker thread of the loader's pool (pool.ts): reads a batch's records from the shard cache and augments them
 * into the batch's arrays, which go back to the loader without a copy. Nothing here depends on which worker runs a
 * batch, or when: its content is fixed by the slot settings (data/batchFill.ts).
 */
import workerpool from 'workerpool';
import type { SlotSettings } from '../data/batchFill';
import { fillSlot } from '../data/batchFill';
import type { ShardStoreDescriptor } from '../data/cache/shardFormat';
import { ShardReader } from '../data/cache/shardStore';

export interface BatchJob {
  readonly store: ShardStoreDescriptor;
  /** The record of each real slot, in slot order. */
  readonly records: readonly number[];
  readonly batchSize: number;
  readonly slots: SlotSettings;
}

export interface BatchArrays {
  readonly image: Float32Array;
  readonly auMaps: Float32Array;
}

/** One reader per cache a loader of this pool reads (training and validation sets have their own). */
const readers = new Map<string, ShardReader>();

function buildBatch(job: BatchJob): BatchArrays {
  let reader = readers.get(job.store.dir);
  if (!reader) {
    reader = new ShardReader(job.store);
    readers.set(job.store.dir, reader);
  }
  const plane = job.slots.size * job.slots.size;
  const image = new Float32Array(job.batchSize * 3 * plane);
  const auMaps = new Float32Array(job.batchSize * plane);
  job.records.forEach((record, k) => fillSlot(reader.read(record), k, job.slots, image, auMaps));
  return { image, auMaps };
}

workerpool.worker({
  batch: (job: BatchJob) => {
    const arrays = buildBatch(job);
    return new workerpool.Transfer(arrays, [arrays.image.buffer, arrays.auMaps.buffer]);
  },
});
