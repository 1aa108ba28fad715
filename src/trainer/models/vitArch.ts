/**
 * Vision-transformer architectures by their numbers alone, with nothing heavy imported, so metadata readers
 * (wizards, layer pickers) need no graph code. The network is timm's VisionTransformer as DeiT uses it: a patch
 * embedding, a class token, a learned absolute positional embedding, pre-norm blocks (LayerNorm → multi-head
 * self-attention → residual, LayerNorm → MLP with GELU → residual), a final LayerNorm and a linear head on the
 * class token; no dropout and no stochastic depth.
 */

export interface VitArch {
  /** Square input side in pixels; a multiple of `patch`. */
  readonly imageSize: number;
  readonly patch: number;
  /** Token width C (timm's embed_dim); a multiple of `heads`. */
  readonly width: number;
  /** Number of blocks, named block1…blockN. */
  readonly depth: number;
  readonly heads: number;
  /** MLP hidden width / C. */
  readonly mlpRatio: number;
  /** LayerNorm ε: timm's and torchvision's ViTs use 1e-6. */
  readonly epsilon: number;
  /** nn.GELU's form: 'none' (exact, erf) in timm and torchvision. */
  readonly gelu: 'none' | 'tanh';
}

/** 64 px faces in 8×8 patches: 64 tokens plus the class token, small enough to train on two cores in minutes. */
export const VIT64: VitArch = {
  imageSize: 64, patch: 8, width: 128, depth: 6, heads: 4, mlpRatio: 4, epsilon: 1e-6, gelu: 'none',
};
/** timm's deit_tiny_patch16_224 and deit_small_patch16_224. */
export const DEIT_TINY: VitArch = {
  imageSize: 224, patch: 16, width: 192, depth: 12, heads: 3, mlpRatio: 4, epsilon: 1e-6, gelu: 'none',
};
export const DEIT_SMALL: VitArch = {
  imageSize: 224, patch: 16, width: 384, depth: 12, heads: 6, mlpRatio: 4, epsilon: 1e-6, gelu: 'none',
};

/** Patches per side: the token grid is grid × grid. */
export const vitGrid = (a: VitArch): number => a.imageSize / a.patch;
/** Tokens per image: the patches and the class token (first). */
export const vitTokens = (a: VitArch): number => vitGrid(a) ** 2 + 1;
/** The layer name of block i (1-based), as CNN stages are 'stage1'…. */
export const vitBlockName = (i: number): string => `block${i}`;
export const vitLayerNames = (a: VitArch): string[] => Array.from({ length: a.depth }, (_, i) => vitBlockName(i + 1));

export function checkVitArch(a: VitArch): void {
  const whole = (v: number): boolean => Number.isInteger(v) && v > 0;
  const parts = [a.patch, vitGrid(a), a.width / a.heads, a.depth, a.width * a.mlpRatio];
  if (!parts.every(whole)) {
    const what = 'the image side a multiple of the patch and the width a multiple of the heads';
    throw new RangeError(`a ViT needs ${what}, got ${JSON.stringify(a)}`);
  }
}
