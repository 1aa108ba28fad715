/**
 * A vision transformer's layers in an imported model are token values (1, T, C); the sidecar's `tokens` says how
 * they lie in space ({ grid: [H, W], skip: 1 }: the first `skip` tokens — the class token — are not patches, the
 * rest fill the grid row by row, as timm and torchvision lay them out and pytorch-grad-cam's reshape_transform
 * reads them). These turn such values into the C×H×W maps every CAM method and attention map takes.
 */
import type { PatchGrid } from '../models/attentionRollout';
import { tokenCount } from '../models/attentionRollout';

export interface TokenLayout extends PatchGrid {
  /**
   * Each block's attention probabilities, the Softmax output (1, heads, T, T) or (heads, T, T), in block order:
   * the ONNX values whose attention rollout (models/attentionRollout.ts) becomes the map 'rollout'; absent: none.
   */
  readonly attention?: readonly string[];
}

/** [C, H, W] of a token value of `dims` (1, T, C), or undefined when it is no such value. */
export function tokenShape(dims: readonly number[], tokens: TokenLayout): [number, number, number] | undefined {
  if (dims.length !== 3 || dims[0] !== 1 || dims[1] !== tokenCount(tokens)) return undefined;
  return [dims[2]!, tokens.grid[0], tokens.grid[1]];
}

/** Tokens (T, C), row-major, as the channel-major grid C×H×W, the first `skip` tokens left out. */
export function tokensToGrid(data: Float32Array, channels: number, tokens: TokenLayout): Float32Array {
  const area = tokens.grid[0] * tokens.grid[1];
  const out = new Float32Array(channels * area);
  for (let p = 0; p < area; p++) {
    const row = (tokens.skip + p) * channels;
    for (let c = 0; c < channels; c++) out[c * area + p] = data[row + c]!;
  }
  return out;
}
