/**
 * The CAM methods the paper evaluates on a WGAP head (Table 1; `METHOD_REQU_GRAD` in its
 * `dlib/configure/constants.py`), by the names its configs use (science/camMethods.ts). A new method is one file
 * plus one entry here and its name there.
 */
import type { CamMethodName } from '../science/camMethods';
import type { BaseCam, CamNeed } from './baseCam';
import { Cam } from './cam';
import { GradCam } from './gradCam';
import { GradCamPlusPlus } from './gradCamPlusPlus';
import { LayerCam } from './layerCam';

export type { CamInput, CamNeed, LayerActivations } from './baseCam';
export { BaseCam } from './baseCam';
export { RandomCam } from './randomCam';

export interface CamMethod {
  readonly name: CamMethodName;
  /** How tables print it. */
  readonly title: string;
  /** Inputs beyond the activations: the caller computes gradients only for methods that list them. */
  readonly needs: readonly CamNeed[];
  /** Stateless, so one instance serves every sample. */
  readonly cam: BaseCam;
}

function method(name: CamMethodName, title: string, cam: BaseCam): CamMethod {
  return { name, title, needs: cam.needs, cam };
}

export const CAM_METHODS: Readonly<Record<CamMethodName, CamMethod>> = {
  cam: method('cam', 'CAM', new Cam()),
  gradcam: method('gradcam', 'Grad-CAM', new GradCam()),
  'gradcam++': method('gradcam++', 'Grad-CAM++', new GradCamPlusPlus()),
  layercam: method('layercam', 'LayerCAM', new LayerCam()),
};

/** Row `classIndex` of a K×C linear-head weight, as a view (no copy). */
export function fcRow(weight: Float32Array, classes: number, channels: number, classIndex: number): Float32Array {
  if (weight.length !== classes * channels) {
    throw new RangeError(`fc weight holds ${weight.length} values, expected ${classes}×${channels}`);
  }
  if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= classes) {
    throw new RangeError(`class index ${classIndex} outside 0..${classes - 1}`);
  }
  return weight.subarray(classIndex * channels, (classIndex + 1) * channels);
}
