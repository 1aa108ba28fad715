/**
 * Finds a vision transformer's attention probabilities in an ONNX graph, for attention rollout (the sidecar's
 * `tokens.attention`): the Softmax over the last axis of Q·Kᵀ — a MatMul of two computed values, no weight, perhaps
 * scaled or masked on the way by a Mul, Div or Add — whose output is (…, T, T) with T the tokens. torch.onnx.export
 * writes timm's `attn.softmax(dim=-1)` and nn.MultiheadAttention's (torchvision) so, one per block, in graph order,
 * which is block order.
 */
import type { onnx } from 'onnx-proto';
import type { Dim } from './foreignGraph';

/** What may lie between Q·Kᵀ and the Softmax: the 1/√d scale and an additive mask. */
const ON_THE_WAY = new Set(['Mul', 'Div', 'Add']);

/** The outputs of the attention Softmax nodes over T tokens, in graph order. */
export function attentionSoftmaxes(
  model: onnx.IModelProto,
  shapes: ReadonlyMap<string, readonly Dim[]>,
  tokens: number,
): string[] {
  const nodes = model.graph?.node ?? [];
  // Softmax normalised the last axis by default from opset 13, axis 1 (of a flattened input) before.
  const opset = Number(model.opsetImport?.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 13);
  const defaultAxis = opset >= 13 ? -1 : 1;
  const maker = new Map(nodes.flatMap((n) => (n.output ?? []).map((o) => [o, n] as const)));
  // Values computed from the image, not weights: a Constant node's output is as constant as an initializer.
  const computed = (v: string): boolean => maker.has(v) && maker.get(v)!.opType !== 'Constant';
  const fromQueryKey = (value: string): boolean => {
    let node = maker.get(value);
    for (let hops = 0; node && ON_THE_WAY.has(node.opType ?? '') && hops < 4; hops++) {
      const next = (node.input ?? []).find(computed);
      node = next === undefined ? undefined : maker.get(next);
    }
    return node?.opType === 'MatMul' && node.input?.length === 2 && node.input.every(computed);
  };
  return nodes.flatMap((n) => {
    const out = n.output?.[0];
    const dims = out === undefined ? undefined : shapes.get(out);
    if (n.opType !== 'Softmax' || !dims || dims.length < 3 || dims.at(-1) !== tokens || dims.at(-2) !== tokens) {
      return [];
    }
    const axis = Number(n.attribute?.find((a) => a.name === 'axis')?.i ?? defaultAxis);
    return (axis === -1 || axis === dims.length - 1) && fromQueryKey(n.input?.[0] ?? '') ? [out!] : [];
  });
}
