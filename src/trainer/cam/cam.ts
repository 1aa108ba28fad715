/**
 * CAM: Zhou et al. 2016, "Learning Deep Features for Discriminative Localization", https://arxiv.org/abs/1512.04150.
 * For a GAP + linear head the class score is S_y = Σ_c w_{y,c}·mean_ij A_c(i, j), so the map M_y = Σ_c w_{y,c}·A_c
 * (Eq. 2) is the score before pooling.
 */
import type { CamInput, CamNeed } from './baseCam';
import { BaseCam, classWeightsOf } from './baseCam';

export class Cam extends BaseCam {
  readonly needs: readonly CamNeed[] = ['classWeights'];
  /** The paper's `CAM` keeps torchcam's default `_relu = False`: negative evidence stays in the map until min-max. */
  readonly relu = false;

  weights(input: CamInput): Float32Array {
    // w_c = w_{y,c}, the fc weight row of the target class (Eq. 2).
    return Float32Array.from(classWeightsOf(input));
  }
}
