/**
 * Grad-CAM++: Chattopadhay et al. 2018, "Grad-CAM++: Improved Visual Explanations for Deep Convolutional
 * Networks", https://arxiv.org/abs/1710.11063. The closed form with first-order gradients only (the paper's
 * exponential-score trick), as pytorch-grad-cam's `GradCAMPlusPlus` computes it, eps included.
 *
 * The paper's own code (a torchcam copy, `dlib/cams/gradcam.py`) differs twice: its denominator sums A·g³ over
 * space instead of multiplying ΣA by g³_ij, and its `alpha[nan_mask].div_(denom[nan_mask])` divides a copy made
 * by boolean indexing, so its α stays g². We follow Eq. 19 as published rather than reproduce that.
 */
import type { CamInput, CamNeed } from './baseCam';
import { BaseCam, perChannel, sumOf } from './baseCam';

/** pytorch-grad-cam's guard against a zero denominator. */
export const GRAD_CAM_PLUS_PLUS_EPS = 1e-6;

export class GradCamPlusPlus extends BaseCam {
  readonly needs: readonly CamNeed[] = ['gradients'];
  readonly relu = true;

  weights(input: CamInput): Float32Array {
    return perChannel(input, (acts, grads) => {
      const sumA = sumOf(acts);
      let w = 0;
      for (let i = 0; i < grads.length; i++) {
        const g = grads[i]!;
        // α is zeroed where the gradient is 0 (pytorch-grad-cam's np.where), which also keeps 0/eps out.
        if (g === 0) continue;
        const g2 = g * g;
        // Equation 19: α_ij = g² / (2g² + Σ_ab A_ab · g³).
        const alpha = g2 / (2 * g2 + sumA * g2 * g + GRAD_CAM_PLUS_PLUS_EPS);
        // Equation 7: w_c = Σ_ij α_ij · ReLU(∂S/∂A_ij).
        w += alpha * Math.max(0, g);
      }
      return w;
    });
  }
}
