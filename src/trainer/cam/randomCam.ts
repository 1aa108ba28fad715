/**
 * A random-weights baseline, after pytorch-grad-cam's `RandomCAM`: channel weights drawn uniformly from [−1, 1),
 * then the gradient CAMs' ReLU. Only for sanity tests: a metric on which this scores above chance rewards noise.
 */
import { mulberry32 } from '../science/random';
import type { Random } from '../science/random';
import type { CamInput, CamNeed } from './baseCam';
import { BaseCam } from './baseCam';

export class RandomCam extends BaseCam {
  readonly needs: readonly CamNeed[] = [];
  readonly relu = true;
  private readonly random: Random;

  /** Each `explain` draws fresh weights from one seeded stream, so a run of calls is reproducible from `seed`. */
  constructor(seed: number) {
    super();
    this.random = mulberry32(seed);
  }

  weights(input: CamInput): Float32Array {
    const w = new Float32Array(input.activations.channels);
    for (let c = 0; c < w.length; c++) w[c] = 2 * this.random() - 1;
    return w;
  }
}
