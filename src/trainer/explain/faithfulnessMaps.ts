/**
 * The maps whose pixel order the faithfulness metrics score (deletion/insertion, ROAD, the sanity check), at the
 * model's input size and prepared as the cosine metrics prepare them: the CAM layer's attention (channel mean,
 * min-max normalised, upsampled as the paper upsamples it), each CAM (min-max normalised, bilinear), the class's AU
 * heatmap itself (an oracle for "the AUs matter") and a random map (the floor: i.i.d. uniform per input pixel, drawn
 * from a seed, so its deletion curve is the expectation over random orders).
 *
 * Keys: `attention:<layer>`, `cam:<method>`, `au`, `random` (the explanation panel's map ids, where it has them).
 */
import { CAM_METHODS } from '../cam';
import type { CamMethodName } from '../science/camMethods';
import type { Skipped } from '../science/metrics/faithfulness/types';
import { prepareAttention, prepareCam } from '../science/metrics/cosine';
import { mulberry32 } from '../science/random';
import type { Heatmap } from '../science/types';

export const AU_MAP = 'au';
export const RANDOM_MAP = 'random';
export const attentionMapKey = (layer: string): string => `attention:${layer}`;
export const camMapKey = (method: CamMethodName): string => `cam:${method}`;

/** A map's name for people: "stage3 attention", "Grad-CAM++", "AU map", "random map". */
export function mapTitle(key: string): string {
  if (key === AU_MAP) return 'AU map';
  if (key === RANDOM_MAP) return 'random map';
  if (key.startsWith('attention:')) return `${key.slice('attention:'.length)} attention`;
  const method = key.slice('cam:'.length) as CamMethodName;
  return CAM_METHODS[method]?.title ?? key;
}

export interface MapSources {
  /** The model's input side S. */
  readonly size: number;
  readonly camLayer: string;
  /** The CAM layer's attention at its own resolution. */
  readonly attention: Heatmap;
  /** Each computed CAM at the CAM layer's resolution (not normalised). */
  readonly cams: ReadonlyMap<CamMethodName, Heatmap>;
}

/** The model's maps (attention and CAMs) at S×S; a constant one stays constant and the metrics skip it. */
export function modelMaps(sources: MapSources): Map<string, Heatmap> {
  const { size } = sources;
  const maps = new Map<string, Heatmap>([
    [attentionMapKey(sources.camLayer), prepareAttention(sources.attention, size, size)],
  ]);
  for (const [method, cam] of sources.cams) maps.set(camMapKey(method), prepareCam(cam, size, size));
  return maps;
}

/** S×S i.i.d. uniform values from `seed`. */
export function randomMap(size: number, seed: number): Heatmap {
  const random = mulberry32(seed);
  return { width: size, height: size, data: Float32Array.from({ length: size * size }, () => random()) };
}

/** Every map the metrics score for one face: the model's (modelMaps), the AU map or why there is none, a random map. */
export function faithfulnessMaps(
  model: ReadonlyMap<string, Heatmap>,
  auMap: Heatmap | Skipped,
  size: number,
  seed: number,
): Map<string, Heatmap | Skipped> {
  return new Map<string, Heatmap | Skipped>([...model, [AU_MAP, auMap], [RANDOM_MAP, randomMap(size, seed)]]);
}
