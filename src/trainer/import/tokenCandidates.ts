/**
 * Finds a vision transformer's token layers in an ONNX graph, so `au-lens inspect` and "Import ONNX Model…" can
 * propose them with the sidecar's `tokens` (tokenLayers.ts) instead of the patch embedding, the only spatial map a
 * ViT has. timm and torchvision export pre-norm blocks, x + attn(LN(x)) then x + mlp(LN(x)): the residual stream is
 * the outputs of the Adds whose two inputs are both (1, T, C) values made by nodes — two per block, the second the
 * block's output. The patch grid is the spatial map (the patch embedding) whose H·W is T less the class token(s).
 * Each block's attention Softmax (attentionCandidates.ts) goes with the layout, for attention rollout.
 */
import type { onnx } from 'onnx-proto';
import { attentionSoftmaxes } from './attentionCandidates';
import type { CandidateLayer, Dim } from './foreignGraph';
import type { TokenLayout } from './tokenLayers';

export interface TokenCandidates {
  readonly tokens: TokenLayout;
  /** The residual stream in graph order, each as its C×H×W grid. */
  readonly layers: readonly CandidateLayer[];
  /**
   * Block outputs but the last, at most 4, the last of them the CAM layer: the head reads the class token alone, so
   * the last block's patch tokens get no class-score gradient (the vit64 preset's default, block{N−1}).
   */
  readonly defaults: readonly string[];
}

/** Tokens before the patches that are tried, in this order: a class token; a class and a distillation token. */
const SKIPS = [1, 2];

/** The token layers of a ViT, or undefined when the graph has no residual stream of tokens on a patch grid. */
export function tokenCandidates(
  model: onnx.IModelProto,
  shapes: ReadonlyMap<string, readonly Dim[]>,
  spatial: readonly CandidateLayer[],
): TokenCandidates | undefined {
  const tokenDims = (value: string): readonly [number, number] | undefined => {
    const d = shapes.get(value);
    const isTokens = d?.length === 3 && d[0] === 1 && typeof d[1] === 'number' && typeof d[2] === 'number';
    return isTokens ? [d[1] as number, d[2] as number] : undefined;
  };
  const made = new Set((model.graph?.node ?? []).flatMap((n) => n.output ?? []));
  const stream = (model.graph?.node ?? []).filter((n) => n.opType === 'Add' && n.input?.length === 2 &&
    n.input.every((v) => made.has(v) && tokenDims(v)) && tokenDims(n.output?.[0] ?? ''));
  const first = stream[0] && tokenDims(stream[0].output![0]!);
  if (!first) return undefined;
  const [count, channels] = first;
  const grid = SKIPS.flatMap((skip) => spatial.filter((l) => l.shape[1] * l.shape[2] === count - skip)
    .map((l): TokenLayout => ({ grid: [l.shape[1], l.shape[2]], skip })))[0];
  if (!grid) return undefined;
  const layers = stream
    .filter((n) => tokenDims(n.output![0]!)?.join() === `${count},${channels}`)
    .map((n): CandidateLayer => ({ value: n.output![0]!, node: `Add ${n.name ?? ''}`.trim(),
      shape: [channels, grid.grid[0], grid.grid[1]] }));
  // Two Adds per block: the block outputs are every second one, counted back from the last.
  const blockOutputs = layers.filter((_, i) => (layers.length - 1 - i) % 2 === 0);
  const defaults = (blockOutputs.length > 1 ? blockOutputs.slice(0, -1) : blockOutputs).slice(-4).map((l) => l.value);
  // Rollout multiplies every block's attention: proposed only when each block has exactly one.
  const attention = attentionSoftmaxes(model, shapes, count);
  const rollout = attention.length === blockOutputs.length ? { attention } : {};
  return { tokens: { ...grid, ...rollout }, layers, defaults };
}
