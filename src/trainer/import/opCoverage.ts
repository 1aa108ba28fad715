/**
 * Which ONNX ops the graph translation (translateGraph.ts) covers, and which uncovered ones a model holds: all of
 * them, or those on the gradient path from the CAM layer to the logits, which keep the gradient CAMs out.
 */
import type { onnx } from 'onnx-proto';

const SUPPORTED = new Set([
  'Conv',
  'BatchNormalization',
  'Relu',
  'Add',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'Flatten',
  'Reshape',
  'Gemm',
  'MatMul',
  'Identity',
  'Dropout',
  'Constant',
  // A vision transformer's (translateTokens.ts).
  'LayerNormalization',
  'Mul',
  'Div',
  'Erf',
  'Softmax',
  'Transpose',
  'Squeeze',
  'Unsqueeze',
  'Slice',
  'Gather',
  'Concat',
  'Split',
]);

export interface UnsupportedOp {
  readonly op: string;
  readonly count: number;
}

const opName = (n: onnx.INodeProto): string => (n.domain ? `${n.domain}.${n.opType ?? '?'}` : n.opType ?? '?');
export const isCovered = (n: onnx.INodeProto): boolean => !n.domain && SUPPORTED.has(n.opType ?? '');

function countOps(nodes: readonly onnx.INodeProto[]): UnsupportedOp[] {
  const counts = new Map<string, number>();
  for (const n of nodes) counts.set(opName(n), (counts.get(opName(n)) ?? 0) + 1);
  return [...counts].map(([op, count]) => ({ op, count }));
}

/** Op types (with counts, in first-use order) that the translation does not cover, wherever they are. */
export function unsupportedOps(model: onnx.IModelProto): UnsupportedOp[] {
  return countOps((model.graph?.node ?? []).filter((n) => !isCovered(n)));
}

/**
 * The nodes downstream of `value`: the ones a gradient at it passes back through. A Shape reads no values, so
 * the shape arithmetic after it carries no gradient (and is folded at translation: the input size is fixed).
 */
export function dependsOn(model: onnx.IModelProto, value: string): Set<onnx.INodeProto> {
  const reached = new Set([value]);
  const nodes = new Set<onnx.INodeProto>();
  for (const n of model.graph?.node ?? []) {
    if (n.opType === 'Shape' || !(n.input ?? []).some((i) => reached.has(i))) continue;
    nodes.add(n);
    for (const o of n.output ?? []) reached.add(o);
  }
  return nodes;
}

/** The uncovered ops (with counts) between the CAM layer and the logits: these keep the gradient methods out. */
export function gradientBlockers(model: onnx.IModelProto, camValue: string): UnsupportedOp[] {
  return countOps([...dependsOn(model, camValue)].filter((n) => !isCovered(n)));
}

export const describeUnsupported = (ops: readonly UnsupportedOp[]): string =>
  ops.map((o) => `${o.op} ×${o.count}`).join(', ');
