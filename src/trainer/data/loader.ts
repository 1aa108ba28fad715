/**
 * Batches of prepared samples in the layout the training and evaluation graphs take. The graphs have a static
 * batch size, so every batch is full: training drops the incomplete last batch of each epoch (its samples come
 * back in another order next epoch), evaluation pads its last batch and says how many entries are real.
 *
 * Reproducible: the epoch's order is drawn from (seed, epoch) and each sample's augmentation from
 * (seed, epoch, position in the epoch), so a batch does not depend on timing, prefetching, the number of worker
 * threads or where a run resumed.
 *
 * Where batches are built: on worker threads when the samples are in the shard cache and `workers` > 0 (the
 * engine's step blocks this thread, so only other threads can build the next batches meanwhile), else on this
 * thread in short slices between steps, as before the cache.
 */
import type { Normalisation } from '../models/modelInfo';
import { IMAGENET_NORMALISATION } from '../models/modelInfo';
import { deriveSeed, mulberry32, shuffleInPlace } from '../science/random';
import type { BatchArrays, BatchJob } from '../workers/batchWorker';
import type { Pool } from '../workers/pool';
import { startPool } from '../workers/pool';
import type { AugmentationConfig } from './augment';
import { PAPER_AUGMENTATION } from './augment';
import type { LoaderMode, SlotSettings } from './batchFill';
import { fillSlot } from './batchFill';
import type { PreparedSample } from './prepare';
import type { SampleStore } from './sampleStore';
import { MemoryStore } from './sampleStore';

export interface Batch {
  /** N·3·S·S, planar per sample (NCHW), normalised. */
  readonly image: Float32Array;
  readonly labels: BigInt64Array;
  /** N·1·S·S AU maps in [0, 1]; zeros where there is none. */
  readonly auMaps: Float32Array;
  /** 1 where the sample has an AU map, else 0 (padding included). */
  readonly auValid: Float32Array;
  /** Real samples in this batch: N except in an evaluation's padded last batch, whose tail is padding. */
  readonly count: number;
  /** Paths of the `count` real samples. */
  readonly paths: string[];
  /** Their indices in the loader's sample list. */
  readonly indices: number[];
}

export interface BatchLoaderOptions {
  readonly batchSize: number;
  readonly inputSize: number;
  /** 'train': shuffled, augmented, incomplete last batch dropped. 'eval': in order, eval transform, padded. */
  readonly mode: LoaderMode;
  /** The run's seed (training only). */
  readonly seed?: number;
  readonly augmentation?: AugmentationConfig;
  readonly normalisation?: Normalisation;
  /** Worker threads that build batches (default 0: this thread); used only for samples in the shard cache. */
  readonly workers?: number;
  /** Batches built ahead of the one handed out (default: one per worker, plus one; 1 on this thread). */
  readonly prefetch?: number;
}

export interface EpochOptions {
  /** Skip this many batches (resuming inside an epoch); the remaining ones are exactly those of a full pass. */
  readonly startBatch?: number;
  /** Build the next batches as soon as one is handed out (default true). */
  readonly autoPrefetch?: boolean;
}

/** Stream id for deriveSeed, so the order and the augmentation draws never share a generator. */
const ORDER_STREAM = 1;
/** A batch is built in slices of about this many milliseconds, so messages and cancellation are not held up. */
const SLICE_MS = 8;

export class BatchLoader {
  readonly batchesPerEpoch: number;
  /** Batches built ahead. */
  readonly prefetchDepth: number;
  private readonly seed: number;
  private readonly store: SampleStore;
  private readonly workers: number;
  private pool: Pool | undefined;

  constructor(samples: SampleStore | readonly PreparedSample[], private readonly options: BatchLoaderOptions) {
    const { batchSize, inputSize, mode } = options;
    this.store = Array.isArray(samples) ? new MemoryStore(samples) : (samples as SampleStore);
    if (!Number.isInteger(batchSize) || batchSize <= 0) {
      throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
    }
    if (!Number.isInteger(inputSize) || inputSize <= 0) {
      throw new RangeError(`input size must be a positive integer, got ${inputSize}`);
    }
    this.seed = options.seed ?? 0;
    const n = this.store.length;
    if (mode === 'train') {
      this.batchesPerEpoch = Math.floor(n / batchSize);
      if (this.batchesPerEpoch === 0) {
        throw new RangeError(
          `training needs at least one full batch: ${n} sample(s), batch size ${batchSize}; lower the batch size`,
        );
      }
    } else {
      this.batchesPerEpoch = Math.ceil(n / batchSize);
    }
    this.workers = this.store.descriptor ? Math.max(0, options.workers ?? 0) : 0;
    this.prefetchDepth = Math.max(1, options.prefetch ?? (this.workers > 0 ? this.workers + 1 : 1));
  }

  /** Sample indices in the order `epoch` visits them. */
  order(epoch: number): number[] {
    const indices = Array.from({ length: this.store.length }, (_, i) => i);
    if (this.options.mode === 'eval') return indices;
    return shuffleInPlace(indices, mulberry32(deriveSeed(this.seed, ORDER_STREAM, epoch)));
  }

  /** The batches of one epoch (for evaluation the epoch number is irrelevant). */
  epoch(epoch: number, options: EpochOptions = {}): EpochBatches {
    return new EpochBatches(this, epoch, this.order(epoch), options);
  }

  /** Builds batch `index` of `epoch` from the epoch's sample order, on a worker or in slices on this thread. */
  async buildBatch(epoch: number, order: readonly number[], index: number): Promise<Batch> {
    const { batchSize: n, inputSize: size, mode } = this.options;
    const first = index * n;
    const count = Math.min(n, order.length - first);
    const indices = order.slice(first, first + count);
    const slots: SlotSettings = {
      mode, seed: this.seed, epoch, first, size,
      config: this.options.augmentation ?? PAPER_AUGMENTATION,
      norm: this.options.normalisation ?? IMAGENET_NORMALISATION,
    };
    const { image, auMaps } =
      this.workers > 0 ? await this.onWorker(indices, slots) : await this.inSlices(indices, slots);
    // Padding slots keep their zeros: label 0, no map, auValid 0, image 0 (the mean colour once normalised).
    const labels = new BigInt64Array(n);
    const auValid = new Float32Array(n);
    indices.forEach((i, k) => {
      labels[k] = BigInt(this.store.label(i));
      auValid[k] = this.store.hasAu(i) ? 1 : 0;
    });
    return { image, labels, auMaps, auValid, count, paths: indices.map((i) => this.store.name(i)), indices };
  }

  /** Ends the worker threads and closes the cache's files; a later epoch starts them again. */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.terminate(true);
    this.store.close();
  }

  private onWorker(indices: readonly number[], slots: SlotSettings): Promise<BatchArrays> {
    this.pool ??= startPool('batchWorker', this.workers);
    const job: BatchJob = {
      store: this.store.descriptor!,
      records: indices.map((i) => this.store.record!(i)),
      batchSize: this.options.batchSize,
      slots,
    };
    return Promise.resolve(this.pool.exec('batch', [job]) as PromiseLike<BatchArrays>);
  }

  private inSlices(indices: readonly number[], slots: SlotSettings): Promise<BatchArrays> {
    const plane = slots.size * slots.size;
    const image = new Float32Array(this.options.batchSize * 3 * plane);
    const auMaps = new Float32Array(this.options.batchSize * plane);
    return new Promise<BatchArrays>((resolve, reject) => {
      let k = 0;
      const slice = (): void => {
        try {
          const started = performance.now();
          while (k < indices.length && performance.now() - started < SLICE_MS) {
            fillSlot(this.store.read(indices[k]!), k, slots, image, auMaps);
            k++;
          }
          if (k < indices.length) setImmediate(slice);
          else resolve({ image, auMaps });
        } catch (error) {
          reject(error);
        }
      };
      setImmediate(slice);
    });
  }
}

/**
 * One pass over the batches of an epoch, building up to the loader's prefetchDepth batches ahead of the one
 * handed out. Each batch has its own arrays, so the engine may keep batch k's tensors while later ones are written.
 */
export class EpochBatches implements AsyncIterableIterator<Batch> {
  private nextIndex: number;
  private readonly pending = new Map<number, Promise<Batch>>();

  constructor(
    private readonly loader: BatchLoader,
    private readonly epochNumber: number,
    private readonly sampleOrder: readonly number[],
    private readonly options: EpochOptions,
  ) {
    const start = options.startBatch ?? 0;
    if (!Number.isInteger(start) || start < 0 || start > loader.batchesPerEpoch) {
      throw new RangeError(`startBatch must be an integer in 0–${loader.batchesPerEpoch}, got ${start}`);
    }
    this.nextIndex = start;
  }

  /** Batches left to hand out. */
  get remaining(): number {
    return this.loader.batchesPerEpoch - this.nextIndex;
  }

  /** Starts building the next batches, up to the prefetch depth, that are not already under way. */
  prefetch(): void {
    const end = Math.min(this.loader.batchesPerEpoch, this.nextIndex + this.loader.prefetchDepth);
    for (let index = this.nextIndex; index < end; index++) this.start(index);
  }

  async next(): Promise<IteratorResult<Batch, undefined>> {
    if (this.nextIndex >= this.loader.batchesPerEpoch) return { done: true, value: undefined };
    this.start(this.nextIndex);
    const promise = this.pending.get(this.nextIndex)!;
    this.pending.delete(this.nextIndex);
    this.nextIndex++;
    const batch = await promise;
    if (this.options.autoPrefetch ?? true) this.prefetch();
    return { done: false, value: batch };
  }

  [Symbol.asyncIterator](): EpochBatches {
    return this;
  }

  private start(index: number): void {
    if (this.pending.has(index)) return;
    const promise = this.loader.buildBatch(this.epochNumber, this.sampleOrder, index);
    // The error is delivered by next(); this only keeps an unconsumed failure from crashing the process.
    promise.catch(() => undefined);
    this.pending.set(index, promise);
  }
}
