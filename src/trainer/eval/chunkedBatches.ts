/**
 * An evaluation's batches, prepared a chunk of images at a time, so its memory does not grow with the number of
 * images: a prepared sample holds its pixels, its AU map and its landmark geometry (about 0.5 MB at 224 px), and
 * only one chunk of them, plus a batch's worth carried over, is alive at once. The prepared-sample shards used in
 * training hold no landmark geometry, which the faithfulness metrics need, so evaluation prepares in memory.
 *
 * The batches are those of one loader over every prepared image: images that could not be read drop out before
 * batching and the samples left over at a chunk's end open the next chunk's first batch, so each batch holds the
 * same images in the same slots whatever the chunk size, and only the last batch is padded.
 */
import type { Batch } from '../data/loader';
import { BatchLoader } from '../data/loader';
import type { PrepareOptions, PreparedSample, SampleToPrepare } from '../data/prepare';
import { labelIndexFor, preparedSide, prepareSamples } from '../data/prepare';
import type { Normalisation } from '../models/modelInfo';
import type { FaceCrop } from '../science/faceFrame';
import type { Codebook } from '../science/codebook';
import type { Expression } from '../science/labels';
import type { EvaluateOptions, EvaluationHooks, EvaluationProgress } from './types';

/** A batch with its real samples in slot order: the faithfulness metrics need each face's landmark geometry. */
export interface PreparedBatch extends Batch {
  readonly samples: readonly PreparedSample[];
}

export interface ChunkedBatchesOptions extends Omit<PrepareOptions, 'onProgress'> {
  readonly batchSize: number;
  readonly normalisation?: Normalisation;
  /** Images prepared at once (default: sized from the prepared side, see defaultChunkImages). */
  readonly chunkImages?: number;
  /** Prepared images, then evaluated ones, each counted over the whole list. */
  readonly onProgress?: EvaluationProgress;
  /** Names the images in the error when none is usable, e.g. "the test split of DIR". */
  readonly describe: string;
}

/** The bytes a chunk's prepared images and AU maps take by default (side² RGB bytes and side² floats each). */
const CHUNK_BYTES = 64 * 2 ** 20;

/** Images per chunk for a model's input: 146 for resnet50's 256 px base square, 1,799 for tiny64's 73 px. */
export function defaultChunkImages(inputSize: number, crop?: FaceCrop): number {
  const side = preparedSide(inputSize, crop ?? 'paper');
  return Math.max(1, Math.floor(CHUNK_BYTES / (7 * side * side)));
}

/**
 * Iterates once over the batches of `samples`, in order; `corrupt` lists the files that could not be read, once
 * the iteration has reached them. Throws when no image was usable, and on cancellation (between files).
 */
export class ChunkedBatches implements AsyncIterable<PreparedBatch> {
  readonly corrupt: { readonly path: string; readonly reason: string }[] = [];
  private readonly chunkImages: number;

  constructor(
    private readonly samples: readonly SampleToPrepare[],
    private readonly options: ChunkedBatchesOptions,
  ) {
    const chunk = options.chunkImages ?? defaultChunkImages(options.inputSize, options.crop);
    if (!(chunk >= 1 && (Number.isInteger(chunk) || chunk === Infinity))) {
      throw new RangeError(`chunkImages must be a positive integer, got ${chunk}`);
    }
    this.chunkImages = chunk;
    // A sample of a class the model lacks is refused before any file is read, not after some chunks have run.
    labelIndexFor(samples, options.labels, (s) => s.path);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<PreparedBatch, void, undefined> {
    const { batchSize, onProgress } = this.options;
    const total = this.samples.length;
    let carried: PreparedSample[] = [];
    let evaluated = 0;
    for (let first = 0; first < total; first += this.chunkImages) {
      const { samples, report } = await prepareSamples(this.samples.slice(first, first + this.chunkImages), {
        ...this.options,
        onProgress: (done) => onProgress?.(first + done, total, 'prepare'),
      });
      this.corrupt.push(...report.corrupt);
      const ready = carried.concat(samples);
      const last = first + this.chunkImages >= total;
      const whole = last ? ready.length : ready.length - (ready.length % batchSize);
      carried = ready.slice(whole);
      if (whole === 0) continue;
      const group = ready.slice(0, whole);
      const loader = new BatchLoader(group, {
        batchSize,
        inputSize: this.options.inputSize,
        mode: 'eval',
        ...(this.options.normalisation && { normalisation: this.options.normalisation }),
      });
      for await (const batch of loader.epoch(0)) {
        yield { ...batch, samples: batch.indices.map((i) => group[i]!) };
        evaluated += batch.count;
        // Unreadable files are never evaluated: the total is the images known to be usable or still to prepare.
        onProgress?.(evaluated, total - this.corrupt.length, 'evaluate');
      }
    }
    if (evaluated === 0) throw new Error(`no usable image in ${this.options.describe}`);
  }
}

/** What preparing and batching need of the evaluated model. */
export interface EvaluatedInput {
  /** The model's classes, restricted to the data's. */
  readonly labels: readonly Expression[];
  readonly inputSize: number;
  readonly crop?: FaceCrop;
  readonly codebook: Codebook;
  readonly normalisation?: Normalisation;
}

/** The batches of the images `samples` of the split `split` as an evaluation asks for them. */
export function evaluationBatches(
  samples: readonly SampleToPrepare[],
  split: string,
  model: EvaluatedInput,
  options: Pick<EvaluateOptions, 'data' | 'batch' | 'cacheDir' | 'chunkImages'>,
  hooks: EvaluationHooks,
): ChunkedBatches {
  return new ChunkedBatches(samples, {
    ...model,
    detector: hooks.detector,
    batchSize: options.batch,
    describe: `the ${split} split of ${options.data}`,
    ...(options.chunkImages !== undefined && { chunkImages: options.chunkImages }),
    ...(options.cacheDir !== undefined && { cacheDir: options.cacheDir }),
    ...(hooks.onProgress !== undefined && { onProgress: hooks.onProgress }),
    ...(hooks.signal !== undefined && { signal: hooks.signal }),
  });
}
