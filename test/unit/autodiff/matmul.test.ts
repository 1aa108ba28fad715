import assert from 'node:assert/strict';
import type { BatchMatMulParams } from '../../../src/trainer/autodiff/ops/matmul';
import { BatchMatMul } from '../../../src/trainer/autodiff/ops/matmul';
import { gradCheck, randn } from '../../helpers/gradcheck';
import { maxAbsDiff, runOp } from '../../helpers/runOp';

/** α·op(A)·op(B) over a batch of b matrices, op(X)[i][j] = X[j][i] when transposed. */
function reference(
  a: Float32Array, b: Float32Array, batch: number, m: number, k: number, n: number, p: BatchMatMulParams,
): number[] {
  const at = (x: Float32Array, z: number, rows: number, cols: number, t: boolean, i: number, j: number): number =>
    x[z * rows * cols + (t ? j * cols + i : i * cols + j)]!;
  const out: number[] = [];
  for (let z = 0; z < batch; z++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) {
          const left = at(a, z, p.transA ? k : m, p.transA ? m : k, !!p.transA, i, q);
          s += left * at(b, z, p.transB ? n : k, p.transB ? k : n, !!p.transB, q, j);
        }
        out.push((p.alpha ?? 1) * s);
      }
    }
  }
  return out;
}

describe('autodiff: BatchMatMul', () => {
  const [batch, m, k, n] = [3, 4, 5, 2];
  for (const [transA, transB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
    const p: BatchMatMulParams = { transA, transB, alpha: 0.5 };
    const shapeA = [batch, ...(transA ? [k, m] : [m, k])];
    const shapeB = [batch, ...(transB ? [n, k] : [k, n])];

    it(`transA=${transA} transB=${transB}: forward and finite differences`, async () => {
      const a = randn(batch * m * k, 21);
      const b = randn(batch * k * n, 22);
      const { outputs: [c] } = await runOp(BatchMatMul, [{ shape: shapeA, data: a }, { shape: shapeB, data: b }], p);
      assert.ok(maxAbsDiff(c!, reference(a, b, batch, m, k, n, p)) < 1e-5);
      await gradCheck(BatchMatMul, [{ shape: shapeA }, { shape: shapeB }], p, { tol: 1e-3 });
    });
  }

  it('works on several batch axes (images × heads) and refuses unequal ones', async () => {
    await gradCheck(BatchMatMul, [{ shape: [2, 3, 4, 5] }, { shape: [2, 3, 4, 5] }], { transB: true }, { tol: 1e-3 });
    await assert.rejects(runOp(BatchMatMul, [
      { shape: [2, 2, 2], data: new Float32Array(8) }, { shape: [1, 2, 2], data: new Float32Array(4) },
    ], {}), /BatchMatMul needs A and B of one rank ≥ 3 with equal batch axes/);
  });
});
