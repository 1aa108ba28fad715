/**
 * The ResNet presets: the peer's networks (/work/shared/peers/torch/README.md, "Model definitions") by name.
 * tiny64 and small96 are the peer's SmallResNet (conv3x3 stem without max-pool); resnet18 and resnet50 are
 * torchvision's layouts with layer3 and layer4 at stride 1, so the attention maps stay large (the paper's
 * "large maps" variant, no dilation). Pure description: layout.ts turns it into modules, resnet.ts into a graph.
 */
import type { PresetInfo } from './modelInfo';
import { IMAGENET_NORMALISATION } from './modelInfo';
import type { PresetName } from './modelNames';
import { isPresetName, PRESET_NAMES } from './modelNames';

/** torchvision's BasicBlock (two 3x3 convs, expansion 1) or Bottleneck v1.5 (stride on the 3x3, expansion 4). */
export type BlockType = 'basic' | 'bottleneck';

export interface StageSpec {
  /** Output channels of the stage's blocks (a Bottleneck's inner width is width / 4). */
  readonly width: number;
  /** Stride of the first block. */
  readonly stride: number;
  readonly blocks: number;
}

export interface Preset {
  readonly name: PresetName;
  readonly inputSize: number;
  readonly block: BlockType;
  /**
   * 'small': conv3x3 s1 pad 1 → BN → ReLU (the peer's SmallResNet, state_dict keys 'stem.*', 'stages.*');
   * 'torchvision': conv7x7 s2 pad 3 → BN → ReLU → maxpool 3x3 s2 pad 1 (keys 'conv1', 'bn1', 'layerK.*').
   */
  readonly stem: 'small' | 'torchvision';
  readonly stemWidth: number;
  readonly stages: readonly StageSpec[];
}

const PRESETS: Readonly<Record<PresetName, Preset>> = {
  tiny64: {
    name: 'tiny64', inputSize: 64, block: 'basic', stem: 'small', stemWidth: 16,
    stages: [
      { width: 16, stride: 1, blocks: 1 }, { width: 32, stride: 2, blocks: 1 }, { width: 64, stride: 2, blocks: 1 },
    ],
  },
  small96: {
    name: 'small96', inputSize: 96, block: 'basic', stem: 'small', stemWidth: 32,
    stages: [
      { width: 32, stride: 1, blocks: 2 }, { width: 64, stride: 2, blocks: 2 },
      { width: 128, stride: 2, blocks: 2 }, { width: 256, stride: 1, blocks: 2 },
    ],
  },
  resnet18: {
    name: 'resnet18', inputSize: 112, block: 'basic', stem: 'torchvision', stemWidth: 64,
    stages: [
      { width: 64, stride: 1, blocks: 2 }, { width: 128, stride: 2, blocks: 2 },
      { width: 256, stride: 1, blocks: 2 }, { width: 512, stride: 1, blocks: 2 },
    ],
  },
  resnet50: {
    name: 'resnet50', inputSize: 224, block: 'bottleneck', stem: 'torchvision', stemWidth: 64,
    stages: [
      { width: 256, stride: 1, blocks: 3 }, { width: 512, stride: 2, blocks: 4 },
      { width: 1024, stride: 1, blocks: 6 }, { width: 2048, stride: 1, blocks: 3 },
    ],
  },
};

export function getPreset(name: string): Preset {
  if (!isPresetName(name)) {
    throw new RangeError(`unknown model preset "${name}"; known presets: ${PRESET_NAMES.join(', ')}`);
  }
  return PRESETS[name];
}

/** Output size of a conv or pool with kernel k, stride s and symmetric padding p (floor, as PyTorch). */
const outSize = (size: number, k: number, s: number, p: number): number => Math.floor((size + 2 * p - k) / s) + 1;

/** The shapes and layers of a ResNet preset. */
export function resnetInfo(name: PresetName): PresetInfo {
  const p = getPreset(name);
  let size = p.stem === 'small' ? p.inputSize : outSize(outSize(p.inputSize, 7, 2, 3), 3, 2, 1);
  const layerShapes: Record<string, readonly [number, number, number]> = { stem: [p.stemWidth, size, size] };
  p.stages.forEach((st, i) => {
    // A 3x3 pad-1 conv and a 1x1 pad-0 conv with the same stride give the same size.
    size = outSize(size, 3, st.stride, 1);
    layerShapes[`stage${i + 1}`] = [st.width, size, size];
  });
  const layers = Object.keys(layerShapes);
  return {
    inputSize: p.inputSize,
    layers,
    defaultLayer: layers[layers.length - 1]!,
    featureChannels: p.stages[p.stages.length - 1]!.width,
    layerShapes,
    normalisation: IMAGENET_NORMALISATION,
    crop: 'paper',
  };
}
