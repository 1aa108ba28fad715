/**
 * Grad-CAM: Selvaraju et al. 2017, "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based
 * Localization", https://arxiv.org/abs/1610.02391.
 */
import type { CamInput, CamNeed } from './baseCam';
import { BaseCam, perChannel, sumOf } from './baseCam';

export class GradCam extends BaseCam {
  readonly needs: readonly CamNeed[] = ['gradients'];
  /** Eq. 2 of the paper: L = ReLU(Σ_c α_c·A_c). */
  readonly relu = true;

  weights(input: CamInput): Float32Array {
    // Eq. 1: α_c = (1/Z) Σ_ij ∂S/∂A_c(i, j), global average pooling of the gradients.
    return perChannel(input, (_acts, grads) => sumOf(grads) / grads.length);
  }
}
