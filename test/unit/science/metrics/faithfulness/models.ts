/**
 * Synthetic classifiers whose logits depend only on known pixels, so each faithfulness metric has a known answer.
 * `linearClassifier` runs in plain JS; onnxModels.ts builds the same model with the graph builder for ONNX Runtime.
 */
import type { Classifier } from '../../../../../src/trainer/science/metrics/faithfulness/classifier';
import type { ModelImage, PixelMask } from '../../../../../src/trainer/science/metrics/faithfulness/types';
import { softmax } from '../../../../../src/trainer/science/metrics/scores';

/** Logits = W·x + b for images of channels×size×size: W is classes × (channels·size·size), row-major. */
export interface LinearModel {
  readonly labels: readonly string[];
  readonly channels: number;
  readonly size: number;
  readonly weights: Float32Array;
  readonly bias: Float32Array;
}

/** Softmax of a linear model, in batches of `batchSize`; counts the images and calls it saw. */
export function linearClassifier(model: LinearModel, batchSize = 8): Classifier & { calls: number[] } {
  const { labels, channels, size, weights, bias } = model;
  const inputs = channels * size * size;
  const calls: number[] = [];
  return {
    labels, channels, width: size, height: size, batchSize, calls,
    probabilities: async (images) => {
      if (images.length < 1 || images.length > batchSize) throw new RangeError(`batch of ${images.length}`);
      calls.push(images.length);
      const out = new Float32Array(images.length * labels.length);
      images.forEach((x, n) => {
        if (x.length !== inputs) throw new RangeError(`image of ${x.length} values, expected ${inputs}`);
        const logits = labels.map((_, k) => {
          let s = bias[k]!;
          for (let i = 0; i < inputs; i++) s += weights[k * inputs + i]! * x[i]!;
          return s;
        });
        out.set(softmax(logits), n * labels.length);
      });
      return out;
    },
  };
}

/** (−1)^(x+y): a texture a blur wipes out. */
export const checker = (p: number, size: number): number => ((p % size) + Math.floor(p / size)) % 2 === 0 ? 1 : -1;

/** A grey face with a checkerboard of amplitude `amplitude` on every channel. */
export function checkerImage(size: number, amplitude = 0.4, channels = 3): ModelImage {
  const plane = size * size;
  const data = new Float32Array(channels * plane);
  for (let c = 0; c < channels; c++) for (let p = 0; p < plane; p++) data[c * plane + p] = 0.5 + amplitude * checker(p, size);
  return { channels, width: size, height: size, data };
}

/**
 * Two classes, 'other' and `target`: the target's logit is `gain`/|R| · Σ over the region R of the checkerboard's
 * sign times channel 0, i.e. a matched filter that reads the texture inside R and nothing else. On checkerImage
 * its logit is about gain·amplitude; once R is blurred it is about 0.
 */
export function matchedFilter(region: PixelMask, target = 'happy', gain = 10): LinearModel {
  const size = region.width;
  const plane = size * size;
  const channels = 3;
  const weights = new Float32Array(2 * channels * plane);
  for (let p = 0; p < plane; p++) if (region.data[p]) weights[channels * plane + p] = (gain / region.pixels) * checker(p, size);
  return { labels: ['other', target], channels, size, weights, bias: new Float32Array(2) };
}

/** A mask from a predicate on (x, y). */
export function maskOf(size: number, inside: (x: number, y: number) => boolean): PixelMask {
  const data = new Uint8Array(size * size);
  let pixels = 0;
  for (let p = 0; p < data.length; p++) {
    if (inside(p % size, Math.floor(p / size))) {
      data[p] = 1;
      pixels++;
    }
  }
  return { width: size, height: size, data, pixels };
}
