/**
 * Forward FLOPs per image with the PyTorch peer's convention (bench.py `count_forward_flops`): 2·MAC of every
 * Conv2d (2·Cout·Hout·Wout·Cin/groups·kh·kw) and Linear (2·in·out); BatchNorm, ReLU, additions and pooling are
 * not counted. A training step is counted as 3× the forward, as the peer does.
 */
import type { ConvBn } from '../models/layout';
import { modelLayout } from '../models/layout';
import type { PresetName, VitName } from '../models/modelNames';
import { isVitName } from '../models/modelNames';
import { vitGrid, vitTokens } from '../models/vitArch';
import { vitArch } from '../models/vitPresets';

export interface ForwardFlops {
  readonly conv: number;
  readonly linear: number;
  readonly total: number;
}

/** Output size of a conv or pool with kernel k, stride s and symmetric padding p (floor, as PyTorch). */
const outSize = (size: number, k: number, s: number, p: number): number => Math.floor((size + 2 * p - k) / s) + 1;

/**
 * A ViT's, with the same hooks: the patch conv, and every Linear once per token (the peer's 2·out.numel()·in); the
 * attention's two batched products are no module, so they are not counted, as the peer would not.
 */
function vitFlops(name: VitName, numClasses: number): ForwardFlops {
  const a = vitArch(name);
  const [c, t, hidden] = [a.width, vitTokens(a), a.width * a.mlpRatio];
  const conv = 2 * c * vitGrid(a) ** 2 * 3 * a.patch ** 2;
  const linear = a.depth * 2 * t * (c * 3 * c + c * c + 2 * c * hidden) + 2 * c * numClasses;
  return { conv, linear, total: conv + linear };
}

export function forwardFlops(preset: PresetName | VitName, numClasses: number): ForwardFlops {
  if (isVitName(preset)) return vitFlops(preset, numClasses);
  const layout = modelLayout(preset, numClasses);
  let conv = 0;
  /** Adds one conv's FLOPs and returns its output size. */
  const convAt = (size: number, u: ConvBn): number => {
    const out = outSize(size, u.kernel, u.stride, u.pad);
    conv += 2 * u.cout * out * out * u.cin * u.kernel * u.kernel;
    return out;
  };
  let size = convAt(layout.preset.inputSize, layout.stem);
  if (layout.stemPool) size = outSize(size, 3, 2, 1);
  for (const stage of layout.stages) {
    for (const block of stage.blocks) {
      if (block.downsample) convAt(size, block.downsample);
      size = block.main.reduce(convAt, size);
    }
  }
  const linear = 2 * layout.fc.in * layout.fc.out;
  return { conv, linear, total: conv + linear };
}
