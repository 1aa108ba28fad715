/**
 * Batched matrix products of attention: scores = α·Q·Kᵀ and Q·K weighted values. The transposes and the scale
 * are emitted as plain ONNX (Transpose of the last two axes, MatMul, Mul by a scalar), which ONNX Runtime fuses
 * into one FusedMatMul with transA/transB and alpha (TransposeMatMulFusion, MatMulScaleFusion): no transposed
 * copy is made, in the forward or in the backward products below.
 */
import type { Graph, Tensor } from '../../onnx/graph';
import { matmul, mul, transpose } from '../../onnx/ops';
import type { DiffOp } from '../tape';

export interface BatchMatMulParams {
  /** Use Aᵀ (the last two axes swapped). */
  readonly transA?: boolean;
  readonly transB?: boolean;
  /** Scale of the product (1/√d for attention scores); default 1. */
  readonly alpha?: number;
}

/** The last two axes swapped. */
function swapLast(g: Graph, x: Tensor): Tensor {
  const r = x.shape.length;
  return transpose(g, x, [...x.shape.keys()].map((i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i)));
}

/** α·op(x)·op(y). */
function product(g: Graph, x: Tensor, tx: boolean, y: Tensor, ty: boolean, alpha: number): Tensor {
  const p = matmul(g, tx ? swapLast(g, x) : x, ty ? swapLast(g, y) : y);
  return alpha === 1 ? p : mul(g, p, g.scalar(alpha));
}

/**
 * Inputs [A (…, M, K), B (…, K, N)] (before the transposes asked for), with the same leading batch axes
 * → C = α·op(A)·op(B).
 * With C = α·A·B: dA = α·dC·Bᵀ and dB = α·Aᵀ·dC; the transposed cases follow by swapping roles, so every
 * gradient is again one α-scaled product with transposes that ONNX Runtime fuses.
 */
export const BatchMatMul: DiffOp<BatchMatMulParams> = {
  name: 'BatchMatMul',
  forward: (g, [a, b], { transA = false, transB = false, alpha = 1 }) => {
    const batchA = a!.shape.slice(0, -2).join();
    if (a!.shape.length < 3 || a!.shape.length !== b!.shape.length || batchA !== b!.shape.slice(0, -2).join()) {
      const shapes = `[${a!.shape}] and [${b!.shape}]`;
      throw new RangeError(`BatchMatMul needs A and B of one rank ≥ 3 with equal batch axes, got ${shapes}`);
    }
    return { outputs: [product(g, a!, transA, b!, transB, alpha)], saved: undefined };
  },
  backward: (g, { inputs: [a, b], params: { transA = false, transB = false, alpha = 1 } }, [dc], needed) => {
    let da: Tensor | undefined;
    let db: Tensor | undefined;
    if (needed[0]) da = transA ? product(g, b!, transB, dc!, true, alpha) : product(g, dc!, false, b!, !transB, alpha);
    if (needed[1]) db = transB ? product(g, dc!, true, a!, transA, alpha) : product(g, a!, !transA, dc!, false, alpha);
    return [da, db];
  },
};
