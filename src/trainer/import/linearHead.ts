/**
 * CAM needs a linear head: logits = W · GAP(layer) + b. This finds it in a foreign graph — the CAM layer's only
 * path to the logits is a GlobalAveragePool (or ReduceMean over H, W), shape-only ops, then a Gemm or MatMul with
 * a constant weight — and reads W as classes × channels.
 */
import type { onnx } from 'onnx-proto';
import { tensorDims, tensorValues } from './foreignGraph';

const SHAPE_ONLY = new Set(['Flatten', 'Reshape', 'Squeeze', 'Identity', 'Dropout']);

export type LinearHead = { readonly weight: Float32Array } | { readonly reason: string };

export function findLinearHead(
  model: onnx.IModelProto,
  camValue: string,
  logits: string,
  classes: number,
  channels: number,
): LinearHead {
  const nodes = model.graph?.node ?? [];
  const consumers = (value: string): onnx.INodeProto[] => nodes.filter((n) => (n.input ?? []).includes(value));
  const none = (why: string): LinearHead => ({ reason: `CAM needs a linear head on the CAM layer: ${why}` });
  const first = consumers(camValue);
  if (first.length !== 1) return none(`the CAM layer feeds ${first.length} nodes, not one global average pooling`);
  const pool = first[0]!;
  const axes = (pool.attribute ?? []).find((a) => a.name === 'axes')?.ints?.map(Number);
  const isGap =
    pool.opType === 'GlobalAveragePool' ||
    (pool.opType === 'ReduceMean' && axes?.length === 2 && axes.includes(2) && axes.includes(3));
  if (!isGap) return none(`it feeds ${pool.opType}, not a global average pooling`);
  let node = pool;
  for (;;) {
    const next = consumers(node.output?.[0] ?? '');
    if (next.length !== 1) return none('the pooled features do not go to one linear layer');
    node = next[0]!;
    if (!SHAPE_ONLY.has(node.opType ?? '')) break;
  }
  if (node.opType !== 'Gemm' && node.opType !== 'MatMul') {
    return none(`the pooled features go to ${node.opType}, not Gemm or MatMul`);
  }
  const init = (model.graph?.initializer ?? []).find((t) => t.name === node.input?.[1]);
  const data = init && tensorValues(init);
  if (!init || !(data instanceof Float32Array)) return none("the linear layer's weight is not a float constant");
  let out = node.output?.[0] ?? '';
  for (let n = consumers(out); n.length === 1 && SHAPE_ONLY.has(n[0]!.opType ?? ''); n = consumers(out)) {
    out = n[0]!.output?.[0] ?? '';
  }
  if (out !== logits) return none('the linear layer does not make the logits directly (something follows it)');
  const transB = node.opType === 'Gemm' && (node.attribute ?? []).some((a) => a.name === 'transB' && Number(a.i) === 1);
  const [rows, cols] = tensorDims(init);
  if (transB ? rows !== classes || cols !== channels : rows !== channels || cols !== classes) {
    return none(`its weight is [${rows}, ${cols}], not ${classes} classes × ${channels} channels`);
  }
  if (transB) return { weight: data };
  const weight = new Float32Array(classes * channels);
  for (let c = 0; c < channels; c++) {
    for (let k = 0; k < classes; k++) weight[k * channels + c] = data[c * classes + k]!;
  }
  return { weight };
}
