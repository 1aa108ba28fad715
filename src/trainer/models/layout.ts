/**
 * The module tree of a preset, with PyTorch's state_dict names. Parameter specs and the forward builder both
 * walk this one description, so a weight's name, shape and place in the network cannot disagree.
 */
import type { PresetName } from './modelNames';
import type { Preset } from './resnetPresets';
import { getPreset } from './resnetPresets';

/** A bias-free conv followed by BatchNorm2d (every conv of these nets). */
export interface ConvBn {
  /** state_dict prefix of the conv ('stem.0', 'layer1.0.conv1', 'stages.1.0.downsample.0'). */
  readonly conv: string;
  /** state_dict prefix of its BatchNorm ('stem.1', 'layer1.0.bn1', …). */
  readonly bn: string;
  readonly cin: number;
  readonly cout: number;
  readonly kernel: number;
  readonly stride: number;
  readonly pad: number;
}

export interface Block {
  /** Main path: conv-BN pairs with a ReLU after every one but the last. */
  readonly main: readonly ConvBn[];
  /** Projection shortcut; identity when absent. */
  readonly downsample?: ConvBn;
}

export interface Stage {
  readonly name: string;
  readonly blocks: readonly Block[];
}

export interface Layout {
  readonly preset: Preset;
  readonly stem: ConvBn;
  /** torchvision's 3x3 s2 pad-1 max-pool after the stem. */
  readonly stemPool: boolean;
  readonly stages: readonly Stage[];
  readonly fc: { readonly name: string; readonly in: number; readonly out: number };
}

function convBn(conv: string, bn: string, cin: number, cout: number, kernel: number, stride: number): ConvBn {
  return { conv, bn, cin, cout, kernel, stride, pad: (kernel - 1) / 2 };
}

/** torchvision BasicBlock / Bottleneck v1.5 (the stride sits on the 3x3 conv), as the peer uses them. */
function block(prefix: string, type: Preset['block'], cin: number, cout: number, stride: number): Block {
  const main =
    type === 'basic'
      ? [
          convBn(`${prefix}.conv1`, `${prefix}.bn1`, cin, cout, 3, stride),
          convBn(`${prefix}.conv2`, `${prefix}.bn2`, cout, cout, 3, 1),
        ]
      : [
          convBn(`${prefix}.conv1`, `${prefix}.bn1`, cin, cout / 4, 1, 1),
          convBn(`${prefix}.conv2`, `${prefix}.bn2`, cout / 4, cout / 4, 3, stride),
          convBn(`${prefix}.conv3`, `${prefix}.bn3`, cout / 4, cout, 1, 1),
        ];
  const projection = stride !== 1 || cin !== cout;
  return projection
    ? { main, downsample: convBn(`${prefix}.downsample.0`, `${prefix}.downsample.1`, cin, cout, 1, stride) }
    : { main };
}

export function modelLayout(presetName: PresetName | string, numClasses: number): Layout {
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new RangeError(`numClasses must be an integer ≥ 2, got ${numClasses}`);
  }
  const preset = getPreset(presetName);
  const small = preset.stem === 'small';
  const stem = small
    ? convBn('stem.0', 'stem.1', 3, preset.stemWidth, 3, 1)
    : convBn('conv1', 'bn1', 3, preset.stemWidth, 7, 2);
  let cin = preset.stemWidth;
  const stages = preset.stages.map((st, i): Stage => {
    // SmallResNet keeps its stages in a ModuleList 'stages.<i>'; torchvision names them layer1…layer4.
    const prefix = small ? `stages.${i}` : `layer${i + 1}`;
    const blocks = Array.from({ length: st.blocks }, (_, b) => {
      const blk = block(`${prefix}.${b}`, preset.block, cin, st.width, b === 0 ? st.stride : 1);
      cin = st.width;
      return blk;
    });
    return { name: `stage${i + 1}`, blocks };
  });
  return { preset, stem, stemPool: !small, stages, fc: { name: 'fc', in: cin, out: numClasses } };
}

/** Every conv-BN pair in state_dict order. */
export function convBns(layout: Layout): ConvBn[] {
  return [
    layout.stem,
    ...layout.stages.flatMap((s) => s.blocks.flatMap((b) => (b.downsample ? [...b.main, b.downsample] : b.main))),
  ];
}
