/**
 * Where the loader finds prepared samples: in this thread's memory (small sets, tests, the in-memory baseline of
 * the data benchmark), or in the on-disk shard cache, read record by record (cache/shardStore.ts). A store that
 * lives on disk can be opened again by worker threads through its descriptor.
 */
import type { TransformInput } from './augment';
import type { ShardStoreDescriptor } from './cache/shardFormat';
import type { PreparedSample } from './prepare';

export interface SampleStore {
  readonly length: number;
  /** Index of sample i's class in the run's label order. */
  label(index: number): number;
  hasAu(index: number): boolean;
  /** What a batch calls the sample (Batch.paths): its file, or its id for a sample without one. */
  name(index: number): string;
  /** Sample i's base square and AU map, read now. */
  read(index: number): TransformInput;
  /** For worker threads to read the same samples; undefined when they live in this thread's memory. */
  readonly descriptor?: ShardStoreDescriptor;
  /** Where sample i's record is in the cache (its index in the prepared set); only with a descriptor. */
  record?(index: number): number;
  /** Releases open files. */
  close(): void;
}

/** Prepared samples held in memory. */
export class MemoryStore implements SampleStore {
  constructor(private readonly samples: readonly PreparedSample[]) {}

  get length(): number {
    return this.samples.length;
  }

  label(index: number): number {
    return this.samples[index]!.label;
  }

  hasAu(index: number): boolean {
    return this.samples[index]!.au !== undefined;
  }

  name(index: number): string {
    return this.samples[index]!.path;
  }

  read(index: number): TransformInput {
    return this.samples[index]!;
  }

  close(): void {}
}
