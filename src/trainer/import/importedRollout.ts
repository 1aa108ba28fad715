/**
 * The attention rollout of an imported vision transformer: each block's attention Softmax named by the sidecar's
 * `tokens.attention` is an extra output of the model's session (the rebuilt graph or the file as it is), and those
 * probabilities are rolled out by the presets' code (models/attentionRollout.ts) in a small graph of their own, so
 * both sessions give the same map and the rollout is the one the vit64/DeiT presets show.
 */
import { Reshape } from '../autodiff/ops/shape';
import { Tape } from '../autodiff/tape';
import { attentionRollout, tokenCount } from '../models/attentionRollout';
import { Graph } from '../onnx/graph';
import { toModelBytes } from '../onnx/serialize';
import type { EngineOptions, ort } from '../onnx/session';
import { createSession } from '../onnx/session';
import type { Heatmap } from '../science/types';
import type { TokenLayout } from './tokenLayers';

/** Rolls out one image's attention probabilities, given in the order of `tokens.attention`. */
export interface ImportedRollout {
  run(attention: readonly ort.Tensor[]): Promise<Heatmap>;
  release(): Promise<void>;
}

/** The sidecar's attention values that the graph does not make, with the message that names the first. */
export function missingAttention(tokens: TokenLayout | undefined, known: ReadonlySet<string>): string | undefined {
  const absent = tokens?.attention?.find((v) => !known.has(v));
  return absent === undefined ? undefined : `"tokens.attention" names "${absent}", which the graph does not have; ` +
    'name the output of each block\'s attention Softmax (`au-lens inspect --model FILE` proposes them)';
}

/**
 * The heads of each block from its measured dims — [1, heads, T, T], or [heads, T, T] as torch exports
 * nn.MultiheadAttention — with `t` the tokens of the layout; `fail` gets what is wrong with the first that is not.
 */
function headsOf(
  dims: readonly (readonly number[])[], tokens: TokenLayout, t: number, fail: (problem: string) => never,
): number[] {
  return dims.map((d, i) => {
    const square = d.length >= 2 && d.at(-1) === t && d.at(-2) === t;
    const heads = d.length === 4 && d[0] === 1 ? d[1]! : d.length === 3 ? d[0]! : 0;
    if (!square || heads < 1) {
      fail(
        `"tokens.attention[${i}]" (${tokens.attention![i]}) is [${d.join(', ')}], not a block's attention ` +
          `probabilities [1, heads, ${t}, ${t}] for one image (${t} tokens: ${tokens.skip} + ` +
          `${tokens.grid.join('×')} patches)`,
      );
    }
    return heads;
  });
}

/** The rollout of blocks whose attention outputs measured `dims` for one image, in `tokens.attention` order. */
export async function openImportedRollout(
  dims: readonly (readonly number[])[],
  tokens: TokenLayout,
  engine: EngineOptions,
  fail: (problem: string) => never,
): Promise<ImportedRollout> {
  const t = tokenCount(tokens);
  const heads = headsOf(dims, tokens, t, fail);
  const g = new Graph('au_lens_imported_rollout');
  const tape = new Tape(g);
  const inputName = (i: number): string => `attention.${i}`;
  const probs = dims.map((d, i) => tape.apply1(Reshape, [g.input(inputName(i), 'float32', d)], [1, heads[i]!, t, t]));
  g.output(attentionRollout(tape, probs, tokens), 'rollout');
  const session = await createSession(toModelBytes(g, { kind: 'imported-rollout' }), engine);
  const [height, width] = tokens.grid;
  return {
    async run(attention) {
      const out = await session.run(Object.fromEntries(attention.map((a, i) => [inputName(i), a])));
      return { width, height, data: out['rollout']!.data as Float32Array };
    },
    release: () => session.release(),
  };
}
