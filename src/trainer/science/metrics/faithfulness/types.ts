/**
 * The values every faithfulness metric shares: the image a model takes, a set of pixels, and the result of a metric
 * that could not be computed for a face. Pure: no I/O, no engine.
 */

/**
 * One image as the model takes it: planar C×H×W float32 (`data[(c * height + y) * width + x]`), already normalised
 * the way the model expects. Perturbations (blur, imputation) act in this space, as pytorch-grad-cam's metrics act
 * on its `input_tensor`; blurring commutes with a per-channel affine normalisation, so the order does not matter.
 */
export interface ModelImage {
  readonly channels: number;
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/** A set of pixels of a width×height image: data[y * width + x] is 1 inside, 0 outside. */
export interface PixelMask {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
  /** How many pixels are inside. */
  readonly pixels: number;
}

/**
 * Why a metric has no number for a face, so reports say it instead of printing NaN:
 * - 'no-aus': the class uses no Action Unit (neutral);
 * - 'no-landmarks': the face has no usable landmarks;
 * - 'outside-image': every AU of the class falls outside the model's crop;
 * - 'class-not-in-model': the model has no output for the class (e.g. contempt for a 7-class model);
 * - 'constant-map': the map is constant, so it orders no pixel before another.
 */
export type SkipReason = 'no-aus' | 'no-landmarks' | 'outside-image' | 'class-not-in-model' | 'constant-map';

export interface Skipped {
  readonly status: 'skipped';
  readonly reason: SkipReason;
  /** One sentence for people. */
  readonly detail: string;
}

export function skipped(reason: SkipReason, detail: string): Skipped {
  return { status: 'skipped', reason, detail };
}
