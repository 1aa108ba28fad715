/**
 * LayerCAM: Jiang et al. 2021, "LayerCAM: Exploring Hierarchical Class Activation Maps for Localization",
 * IEEE TIP 30, http://mmcheng.net/mftp/Papers/21TIP_LayerCAM.pdf. Each activation gets its own weight, so the
 * hook returns C·H·W weights and the base multiplies element-wise.
 */
import type { CamInput, CamNeed } from './baseCam';
import { BaseCam, gradientsOf } from './baseCam';

export class LayerCam extends BaseCam {
  readonly needs: readonly CamNeed[] = ['gradients'];
  /** Eq. 5: M = ReLU(Σ_c w_c ⊙ A_c). */
  readonly relu = true;

  weights(input: CamInput): Float32Array {
    // Eq. 4: w_c(i, j) = ReLU(∂S/∂A_c(i, j)).
    const grads = gradientsOf(input);
    const w = new Float32Array(grads.length);
    for (let i = 0; i < w.length; i++) w[i] = Math.max(0, grads[i]!);
    return w;
  }
}
