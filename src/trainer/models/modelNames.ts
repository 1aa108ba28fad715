/**
 * The names of every model AU Lens can build, by family: the ResNet presets (resnetPresets.ts), the vision
 * transformers (vitPresets.ts) and face-api's expression network (faceApiInfo.ts). A new family adds its names
 * here and its description beside the others. Checkpoints, graphs and exported models name their model with one
 * of MODEL_NAMES.
 */

/** The presets trained from scratch, the peer's networks. */
export const PRESET_NAMES = ['tiny64', 'small96', 'resnet18', 'resnet50'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export function isPresetName(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name);
}

/** The vision transformers: vit64 trains from scratch; deit-tiny and deit-small are timm's DeiT layouts. */
export const VIT_NAMES = ['vit64', 'deit-tiny', 'deit-small'] as const;
export type VitName = (typeof VIT_NAMES)[number];

export function isVitName(name: string): name is VitName {
  return (VIT_NAMES as readonly string[]).includes(name);
}

export const FACEAPI_EXPRESSION = 'faceapi-expression';
export type FaceApiModelName = typeof FACEAPI_EXPRESSION;

export function isFaceApiModel(name: string): name is FaceApiModelName {
  return name === FACEAPI_EXPRESSION;
}

export const MODEL_NAMES = [...PRESET_NAMES, ...VIT_NAMES, FACEAPI_EXPRESSION] as const;
export type ModelName = PresetName | VitName | FaceApiModelName;

export function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name);
}
