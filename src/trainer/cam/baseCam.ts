/**
 * The CAM family's shared pipeline (after pytorch-grad-cam's `BaseCAM` and the paper's torchcam copy,
 * sbelharbi/interpretable-fer-aus `dlib/cams/core.py`): a method only says how it weights the target layer's
 * activations; the base checks the inputs, forms Σ_c w_c·A_c and applies the method's ReLU. The map stays at the
 * layer's resolution and is not normalised: min-max, upsampling and clamping belong to `prepareCam`/`camCosine`
 * (science/metrics/cosine.ts), so every method reaches the metrics through the same post-processing.
 */
import type { Heatmap } from '../science/types';

/** One sample's activations A of the CAM layer: C×H×W, row-major per channel. */
export interface LayerActivations {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly data: Float32Array;
}

/**
 * What a method may read. "What to explain" is fixed by the caller, not the method: `gradients` must be
 * dS_target/dA of the target class's pre-softmax score and `classWeights` the target class's fc row, so the same
 * target class underlies both (the paper explains the ground-truth class).
 */
export interface CamInput {
  readonly activations: LayerActivations;
  /** dS_target/dA, C×H×W like the activations; needed by the gradient methods. */
  readonly gradients?: Float32Array;
  /** Row of the linear head's weight for the target class (length C); needed by CAM. */
  readonly classWeights?: Float32Array;
}

/** Inputs beyond the activations that a method reads. */
export type CamNeed = 'gradients' | 'classWeights';

export abstract class BaseCam {
  /** Inputs beyond the activations, checked before `weights` runs. */
  abstract readonly needs: readonly CamNeed[];
  /** Whether the weighted sum goes through a ReLU (the paper's code: gradient CAMs yes, fc-weight CAM no). */
  abstract readonly relu: boolean;

  /**
   * The method's one hook. Length C: one weight per channel, broadcast over space (CAM, Grad-CAM, Grad-CAM++).
   * Length C·H·W: one weight per activation (LayerCAM), the broadcast torchcam's `_CAM.compute_cams` does.
   */
  abstract weights(input: CamInput): Float32Array;

  /** The class activation map Σ_c w_c·A_c (then ReLU where the method has it), H×W, not normalised. */
  explain(input: CamInput): Heatmap {
    checkInput(input, this.needs);
    const { channels, height, width, data } = input.activations;
    const w = this.weights(input);
    const area = height * width;
    const perPixel = w.length === channels * area;
    if (!perPixel && w.length !== channels) {
      throw new RangeError(`weights must have ${channels} or ${channels * area} entries, got ${w.length}`);
    }
    // Float64 sums: C is 2048 at layer 5 and the map is compared after min-max, where rounding would show.
    const sum = new Float64Array(area);
    for (let c = 0; c < channels; c++) {
      const base = c * area;
      if (perPixel) for (let p = 0; p < area; p++) sum[p] = sum[p]! + w[base + p]! * data[base + p]!;
      else {
        const wc = w[c]!;
        if (wc !== 0) for (let p = 0; p < area; p++) sum[p] = sum[p]! + wc * data[base + p]!;
      }
    }
    const out = new Float32Array(area);
    for (let p = 0; p < area; p++) out[p] = this.relu ? Math.max(0, sum[p]!) : sum[p]!;
    return { width, height, data: out };
  }
}

/** Throws a RangeError naming what is missing or mis-sized, so a wrongly wired batch fails loudly. */
function checkInput(input: CamInput, needs: readonly CamNeed[]): void {
  const { channels, height, width, data } = input.activations;
  for (const [name, v] of [['channels', channels], ['height', height], ['width', width]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`activations ${name} must be a positive integer, got ${v}`);
  }
  if (data.length !== channels * height * width) {
    throw new RangeError(`activations hold ${data.length} values, expected ${channels}×${height}×${width}`);
  }
  if (needs.includes('gradients')) gradientsOf(input);
  if (needs.includes('classWeights')) classWeightsOf(input);
}

/** dS_target/dA, checked against the activations' shape. */
export function gradientsOf(input: CamInput): Float32Array {
  const { channels, height, width } = input.activations;
  if (!input.gradients) throw new RangeError('this CAM method needs the gradients of the target score');
  if (input.gradients.length !== channels * height * width) {
    throw new RangeError(`gradients hold ${input.gradients.length} values, expected ${channels}×${height}×${width}`);
  }
  return input.gradients;
}

/** The target class's fc row, checked against the channel count. */
export function classWeightsOf(input: CamInput): Float32Array {
  const { channels } = input.activations;
  if (!input.classWeights) throw new RangeError("this CAM method needs the target class's fc weights");
  if (input.classWeights.length !== channels) {
    throw new RangeError(`class weights hold ${input.classWeights.length} values, expected ${channels}`);
  }
  return input.classWeights;
}

/** One weight per channel from that channel's activations and gradients (H·W views, no copy). */
export function perChannel(input: CamInput, weight: (acts: Float32Array, grads: Float32Array) => number): Float32Array {
  const { channels, height, width, data } = input.activations;
  const grads = gradientsOf(input);
  const area = height * width;
  const w = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    w[c] = weight(data.subarray(c * area, (c + 1) * area), grads.subarray(c * area, (c + 1) * area));
  }
  return w;
}

/** Σ of a channel's values in float64. */
export function sumOf(values: Float32Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s;
}
