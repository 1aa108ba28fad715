/**
 * The sums over an epoch's steps that its reported means come from. A mid-epoch checkpoint keeps them, so a
 * resumed epoch reports the same means as one that ran through.
 */
import { argmax } from '../science/metrics/scores';
import type { JsonValue } from './checkpoint';
import type { EpochTrainMetrics } from './options';

export interface EpochSums {
  loss: number;
  ce: number;
  align: number;
  correct: number;
  images: number;
  steps: number;
}

export function emptySums(): EpochSums {
  return { loss: 0, ce: 0, align: 0, correct: 0, images: 0, steps: 0 };
}

/** The sums a checkpoint stored, zero for any it lacks. */
export function storedSums(value: JsonValue | undefined): EpochSums {
  const sums = emptySums();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return sums;
  const record = value as { readonly [key: string]: JsonValue };
  for (const key of Object.keys(sums) as (keyof EpochSums)[]) {
    const v = record[key];
    if (typeof v === 'number') sums[key] = v;
  }
  return sums;
}

/** How many of a batch's N·K logits put their maximum on the sample's label. */
export function correctPredictions(logits: Float32Array, labels: BigInt64Array, classes: number): number {
  let correct = 0;
  for (let n = 0; n < labels.length; n++) {
    if (BigInt(argmax(logits.subarray(n * classes, (n + 1) * classes))) === labels[n]) correct++;
  }
  return correct;
}

export function epochMeans(sums: EpochSums, lr: number): EpochTrainMetrics {
  return {
    loss: sums.loss / sums.steps,
    ce: sums.ce / sums.steps,
    align: sums.align / sums.steps,
    accuracy: sums.correct / Math.max(1, sums.images),
    lr,
  };
}
