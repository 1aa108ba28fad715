/**
 * The one thing faithfulness metrics need from a model: class probabilities for a batch of images. The engine
 * (eval/, explain/) implements `Classifier` over its ONNX Runtime inference session; tests implement it in plain
 * JS. A metric is planned as a `Probe` (the perturbed images it needs, made on demand, and how to read their
 * scores), so `runProbes` can put every perturbed image of a face, from every metric, through inference in full
 * batches, and a worker pool could make the images (the imputation is the costly part) while the model runs.
 */
import type { Skipped } from './types';
import { skipped } from './types';

export interface Classifier {
  /** Class names in the model's output order. */
  readonly labels: readonly string[];
  readonly channels: number;
  readonly width: number;
  readonly height: number;
  /** Most images one `probabilities` call takes (an ONNX graph with a static batch pads a shorter one). */
  readonly batchSize: number;
  /**
   * Softmax probabilities of 1..batchSize images, each channels×height×width planar: a flat array of
   * images.length × labels.length values, image-major (the layout of an ORT output tensor).
   */
  probabilities(images: readonly Float32Array[]): Promise<ArrayLike<number>>;
}

/**
 * A metric for one face, ready to run: `size` images, the class whose probability it reads, and the result from
 * those probabilities. A probe with nothing to compute has size 0 and `finish` gives its defined result.
 */
export interface Probe<R> {
  readonly size: number;
  readonly classIndex: number;
  /** The i-th image (0 ≤ i < size), made when asked for so that only one batch is held at a time. */
  image(i: number): Float32Array;
  /** The result, from the class probability of each image in order (float64). */
  finish(probabilities: Float64Array): R;
}

/** A probe that needs no inference: its result is already known (e.g. a skipped face). */
export function settledProbe<R>(result: R): Probe<R> {
  const image = (): never => {
    throw new RangeError('a settled probe has no image');
  };
  return { size: 0, classIndex: 0, image, finish: () => result };
}

/** The output index of `className`, or a Skipped saying the model lacks it. */
export function classIndexOf(labels: readonly string[], className: string): number | Skipped {
  const index = labels.indexOf(className);
  if (index >= 0) return index;
  return skipped('class-not-in-model', `the model has no class "${className}"; its classes: ${labels.join(', ')}`);
}

export interface RunOptions {
  readonly signal?: AbortSignal;
  /** Called after each batch with the images scored so far and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Runs every probe's images through the classifier in batches of `batchSize`, across probe boundaries, and
 * returns each probe's result in order. Stops with the signal's reason when it is aborted between batches.
 */
export async function runProbes<R>(
  classifier: Classifier,
  probes: readonly Probe<R>[],
  options: RunOptions = {},
): Promise<R[]> {
  const classes = classifier.labels.length;
  const batchSize = classifier.batchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const inputSize = classifier.channels * classifier.height * classifier.width;
  const scores = probes.map((p) => new Float64Array(p.size));
  const jobs = probes.flatMap((p, k) => Array.from({ length: p.size }, (_, i) => ({ k, i })));
  for (let start = 0; start < jobs.length; start += batchSize) {
    options.signal?.throwIfAborted();
    const batch = jobs.slice(start, start + batchSize);
    const images = batch.map(({ k, i }) => probes[k]!.image(i));
    for (const x of images) {
      if (x.length !== inputSize) {
        const shape = `${classifier.channels}×${classifier.height}×${classifier.width}`;
        throw new RangeError(`a ${x.length}-value image cannot go through a model that takes ${shape}`);
      }
    }
    const out = await classifier.probabilities(images);
    if (out.length !== batch.length * classes) {
      const expected = `${batch.length} images of ${classes} classes`;
      throw new RangeError(`the classifier returned ${out.length} values for ${expected}`);
    }
    batch.forEach(({ k, i }, j) => {
      scores[k]![i] = out[j * classes + probes[k]!.classIndex]!;
    });
    options.onProgress?.(start + batch.length, jobs.length);
  }
  return probes.map((p, k) => p.finish(scores[k]!));
}

/** One probe on its own. */
export async function runProbe<R>(classifier: Classifier, probe: Probe<R>, options: RunOptions = {}): Promise<R> {
  return (await runProbes(classifier, [probe], options))[0]!;
}
