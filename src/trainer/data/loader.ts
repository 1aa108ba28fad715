/**
 * Batches of prepared samples in the layout the training and evaluation graphs take. The graphs have a static
 * batch size, so every batch is full: training drops the incomplete last batch of each epoch (its samples come
 * back in another order next epoch), evaluation pads its last batch and says how many entries are real.
 *
 * Reproducible: the epoch's order is drawn from (seed, epoch) and each sample's augmentation from
 * (seed, epoch, position in the epoch), so a batch does not depend on timing, prefetching or where a run resumed.
 */
import type { Normalisation } from '../models/modelInfo';
import { IMAGENET_NORMALISATION } from '../models/modelInfo';
import { deriveSeed, mulberry32, shuffleInPlace } from '../science/random';
import type { AugmentationConfig } from './augment';
import { augmentInto, evalTransformInto, PAPER_AUGMENTATION } from './augment';
import type { PreparedSample } from './prepare';

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

export type LoaderMode = 'train' | 'eval';

export interface BatchLoaderOptions {
  readonly batchSize: number;
  readonly inputSize: number;
  /** 'train': shuffled, augmented, incomplete last batch dropped. 'eval': in order, eval transform, padded. */
  readonly mode: LoaderMode;
  /** The run's seed (training only). */
  readonly seed?: number;
  readonly augmentation?: AugmentationConfig;
  readonly normalisation?: Normalisation;
}

export interface EpochOptions {
  /** Skip this many batches (resuming inside an epoch); the remaining ones are exactly those of a full pass. */
  readonly startBatch?: number;
  /** Build batch k + 1 as soon as batch k is handed out (default true). */
  readonly autoPrefetch?: boolean;
}

/** Stream ids for deriveSeed, so the order and the augmentation draws never share a generator. */
const ORDER_STREAM = 1;
const AUGMENT_STREAM = 2;
/** A batch is built in slices of about this many milliseconds, so messages and cancellation are not held up. */
const SLICE_MS = 8;

export class BatchLoader {
  readonly batchesPerEpoch: number;
  private readonly seed: number;

  constructor(
    private readonly samples: readonly PreparedSample[],
    private readonly options: BatchLoaderOptions,
  ) {
    const { batchSize, inputSize, mode } = options;
    if (!Number.isInteger(batchSize) || batchSize <= 0) {
      throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
    }
    if (!Number.isInteger(inputSize) || inputSize <= 0) {
      throw new RangeError(`input size must be a positive integer, got ${inputSize}`);
    }
    this.seed = options.seed ?? 0;
    if (mode === 'train') {
      this.batchesPerEpoch = Math.floor(samples.length / batchSize);
      if (this.batchesPerEpoch === 0) {
        throw new RangeError(
          `training needs at least one full batch: ${samples.length} sample(s), batch size ${batchSize}; lower the ` +
            `batch size`,
        );
      }
    } else {
      this.batchesPerEpoch = Math.ceil(samples.length / batchSize);
    }
  }

  /** Sample indices in the order `epoch` visits them. */
  order(epoch: number): number[] {
    const indices = this.samples.map((_, i) => i);
    if (this.options.mode === 'eval') return indices;
    return shuffleInPlace(indices, mulberry32(deriveSeed(this.seed, ORDER_STREAM, epoch)));
  }

  /** The batches of one epoch (for evaluation the epoch number is irrelevant). */
  epoch(epoch: number, options: EpochOptions = {}): EpochBatches {
    return new EpochBatches(this, epoch, this.order(epoch), options);
  }

  /** Builds batch `index` of `epoch` from the epoch's sample order. Synchronous slices, see EpochBatches. */
  buildBatch(epoch: number, order: readonly number[], index: number): Promise<Batch> {
    const { batchSize: n, inputSize: size, mode } = this.options;
    const first = index * n;
    const count = Math.min(n, order.length - first);
    const plane = size * size;
    const batch: Batch = {
      image: new Float32Array(n * 3 * plane),
      labels: new BigInt64Array(n),
      auMaps: new Float32Array(n * plane),
      auValid: new Float32Array(n),
      count,
      paths: [],
      indices: [],
    };
    const norm = this.options.normalisation ?? IMAGENET_NORMALISATION;
    const config = this.options.augmentation ?? PAPER_AUGMENTATION;
    const fill = (k: number): void => {
      const position = first + k;
      const sampleIndex = order[position]!;
      const sample = this.samples[sampleIndex]!;
      const target = { image: batch.image, imageOffset: k * 3 * plane, map: batch.auMaps, mapOffset: k * plane };
      if (mode === 'train') {
        augmentInto(
          sample,
          size,
          mulberry32(deriveSeed(this.seed, AUGMENT_STREAM, epoch, position)),
          target,
          config,
          norm,
        );
      }
      else evalTransformInto(sample, size, target, norm);
      batch.labels[k] = BigInt(sample.label);
      batch.auValid[k] = sample.au ? 1 : 0;
      batch.paths.push(sample.path);
      batch.indices.push(sampleIndex);
    };
    // Padding slots keep their zeros: label 0, no map, auValid 0, image 0 (the mean colour once normalised).
    return new Promise<Batch>((resolve, reject) => {
      let k = 0;
      const slice = (): void => {
        try {
          const started = performance.now();
          while (k < count && performance.now() - started < SLICE_MS) fill(k++);
          if (k < count) setImmediate(slice);
          else resolve(batch);
        } catch (error) {
          reject(error);
        }
      };
      setImmediate(slice);
    });
  }
}

/**
 * One pass over the batches of an epoch, with one batch of lookahead.
 *
 * Prefetching: batches are built on the main thread in setImmediate slices. When next() hands out batch k it
 * starts building batch k + 1 (autoPrefetch) or the caller does so with prefetch(); while the engine's step on
 * batch k awaits ONNX Runtime (which computes on its own threads), the event loop is free and runs those slices,
 * so batch k + 1 is usually ready when the step ends. Each batch has its own arrays, so the engine may keep batch
 * k's tensors while k + 1 is written.
 */
export class EpochBatches implements AsyncIterableIterator<Batch> {
  private nextIndex: number;
  private pending: { index: number; promise: Promise<Batch> } | undefined;

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

  /** Starts building the next batch if it is not already under way. */
  prefetch(): void {
    if (this.pending || this.nextIndex >= this.loader.batchesPerEpoch) return;
    const index = this.nextIndex;
    const promise = this.loader.buildBatch(this.epochNumber, this.sampleOrder, index);
    // The error is delivered by next(); this only keeps an unconsumed failure from crashing the process.
    promise.catch(() => undefined);
    this.pending = { index, promise };
  }

  async next(): Promise<IteratorResult<Batch, undefined>> {
    if (this.nextIndex >= this.loader.batchesPerEpoch) return { done: true, value: undefined };
    this.prefetch();
    const { promise } = this.pending!;
    this.pending = undefined;
    this.nextIndex++;
    const batch = await promise;
    if (this.options.autoPrefetch ?? true) this.prefetch();
    return { done: false, value: batch };
  }

  [Symbol.asyncIterator](): EpochBatches {
    return this;
  }
}
