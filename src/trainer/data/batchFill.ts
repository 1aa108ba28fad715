/**
 * Fills one slot of a batch from a prepared sample: the train-time augmentation drawn from the slot's own
 * (seed, epoch, position) stream, or the eval transform. The loader's slices on the main thread and its worker
 * threads (workers/batchWorker.ts) both call this, which is why a batch is the same wherever it was built.
 */
import type { Normalisation } from '../models/modelInfo';
import { deriveSeed, mulberry32 } from '../science/random';
import type { AugmentationConfig, TransformInput } from './augment';
import { augmentInto, evalTransformInto } from './augment';

export type LoaderMode = 'train' | 'eval';

/** Stream id for deriveSeed, so the augmentation draws never share a generator with the epoch order. */
const AUGMENT_STREAM = 2;

/** Everything a slot's content depends on besides the sample. */
export interface SlotSettings {
  readonly mode: LoaderMode;
  readonly seed: number;
  readonly epoch: number;
  /** Position in the epoch of the batch's first slot. */
  readonly first: number;
  /** The network's input side. */
  readonly size: number;
  readonly config: AugmentationConfig;
  readonly norm: Normalisation;
}

/** Writes slot k of a batch's image (N·3·S·S) and map (N·S·S) arrays. */
export function fillSlot(
  input: TransformInput,
  k: number,
  settings: SlotSettings,
  image: Float32Array,
  maps: Float32Array,
): void {
  const { size, norm } = settings;
  const plane = size * size;
  const target = { image, imageOffset: k * 3 * plane, map: maps, mapOffset: k * plane };
  if (settings.mode === 'train') {
    const random = mulberry32(deriveSeed(settings.seed, AUGMENT_STREAM, settings.epoch, settings.first + k));
    augmentInto(input, size, random, target, settings.config, norm);
  } else {
    evalTransformInto(input, size, target, norm);
  }
}
