/**
 * The vision-transformer presets described without building them: which architecture each name is, and what it
 * looks like from outside. Layers are 'block1'…'blockN', each block's patch tokens on the token grid (channel
 * mean: the block's attention map, as TS-CAM takes it), then 'block1.cls'…'blockN.cls', each block's class-token
 * attention to the patches (one channel per head, so the channel mean is the head mean), and 'rollout', the
 * attention rollout of all blocks (Abnar & Zuidema 2020): the class token's row of the product of the blocks'
 * head-mean attentions with the residual, as one channel.
 *
 * The default layer (AU alignment, CAMs) is the token grid entering the last block, block N−1: the last spatial
 * evidence the classifier reads, as a CNN's last stage is. The head reads the class token alone, so block N's
 * patch tokens reach no logit: their class-score gradient is exactly zero (Grad-CAM there is blank, as
 * pytorch-grad-cam's ViT tutorial warns when it picks blocks[-1].norm1, the last block's input), and aligning
 * them with AU maps would leave what the classifier sees free.
 */
import type { PresetInfo } from './modelInfo';
import { IMAGENET_NORMALISATION } from './modelInfo';
import type { VitName } from './modelNames';
import type { VitArch } from './vitArch';
import { DEIT_SMALL, DEIT_TINY, VIT64, vitGrid, vitLayerNames } from './vitArch';

const ARCHS: Readonly<Record<VitName, VitArch>> = { vit64: VIT64, 'deit-tiny': DEIT_TINY, 'deit-small': DEIT_SMALL };

export function vitArch(name: VitName): VitArch {
  return ARCHS[name];
}

/** The attention rollout of every block (vit.ts), a one-channel map on the token grid. */
export const ROLLOUT_LAYER = 'rollout';

/**
 * The layers whose attention is localised besides the CAM layer's: a ViT's rollout, the map made to explain a
 * transformer, is scored as the CAMs are (localisation, per-AU energy), not only by its ATT-COS.
 */
export function extraLocalisedLayers(layers: readonly string[], camLayer: string): string[] {
  return layers.includes(ROLLOUT_LAYER) && camLayer !== ROLLOUT_LAYER ? [ROLLOUT_LAYER] : [];
}

/** The class-token attention layer of a block layer: 'block6' → 'block6.cls'. */
export const classAttentionLayer = (block: string): string => `${block}.cls`;

/** The block a class-token attention layer belongs to ('block6.cls' → 'block6'), or undefined for a token grid. */
export function classAttentionBlock(layer: string): string | undefined {
  return layer.endsWith('.cls') ? layer.slice(0, -'.cls'.length) : undefined;
}

/**
 * The shapes and layers of a ViT preset. All three use ImageNet statistics: DeiT's (timm's
 * IMAGENET_DEFAULT_MEAN/STD), so pretrained DeiT weights see the inputs they were trained on.
 */
export function vitInfo(name: VitName): PresetInfo {
  const arch = vitArch(name);
  const g = vitGrid(arch);
  const blocks = vitLayerNames(arch);
  const layerShapes: Record<string, readonly [number, number, number]> = {};
  for (const b of blocks) layerShapes[b] = [arch.width, g, g];
  for (const b of blocks) layerShapes[classAttentionLayer(b)] = [arch.heads, g, g];
  layerShapes[ROLLOUT_LAYER] = [1, g, g];
  return {
    inputSize: arch.imageSize,
    layers: Object.keys(layerShapes),
    defaultLayer: blocks[blocks.length - 2]!,
    camLayers: blocks.slice(0, -1),
    featureChannels: arch.width,
    layerShapes,
    normalisation: IMAGENET_NORMALISATION,
    crop: 'paper',
  };
}
