/**
 * What any model of MODEL_NAMES looks like from outside, whatever its family: the ResNet presets
 * (resnetPresets.ts), the vision transformers (vitPresets.ts) and face-api's expression network (faceApiInfo.ts).
 * Metadata only, no graph builder, so the editor can ask it.
 */
import { faceApiInfo } from './faceApiInfo';
import type { PresetInfo } from './modelInfo';
import { isFaceApiModel, isPresetName, isVitName, MODEL_NAMES } from './modelNames';
import { resnetInfo } from './resnetPresets';
import { vitInfo } from './vitPresets';

/** The shapes and layers of any model of MODEL_NAMES. */
export function presetInfo(name: string): PresetInfo {
  if (isFaceApiModel(name)) return faceApiInfo();
  if (isVitName(name)) return vitInfo(name);
  if (!isPresetName(name)) {
    throw new RangeError(`unknown model preset "${name}"; known presets: ${MODEL_NAMES.join(', ')}`);
  }
  return resnetInfo(name);
}

/** Checks that every requested attention layer exists in the model, with the known ones in the message. */
export function checkLayers(name: string, layers: readonly string[]): void {
  const known = presetInfo(name).layers;
  for (const layer of layers) {
    if (!known.includes(layer)) {
      throw new RangeError(`preset "${name}" has no layer "${layer}"; its layers: ${known.join(', ')}`);
    }
  }
}
