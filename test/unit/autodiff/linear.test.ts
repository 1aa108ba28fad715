import assert from 'node:assert/strict';
import { Linear } from '../../../src/trainer/autodiff/ops/linear';
import { gradCheck } from '../../helpers/gradcheck';
import { runOp } from '../../helpers/runOp';

describe('autodiff: Linear', () => {
  it('computes x·wᵀ + b with PyTorch’s (out, in) weight layout', async () => {
    const { outputs: [y] } = await runOp(Linear, [
      { shape: [2, 2], data: Float32Array.from([1, 2, -1, 3]) },
      { shape: [3, 2], data: Float32Array.from([1, 0, 0, 1, 1, 1]) },
      { shape: [3], data: Float32Array.from([0.5, -1, 0]) },
    ], undefined);
    assert.deepEqual([...y!], [1.5, 1, 3, -0.5, 2, 2]);
  });

  it('against finite differences (x, w and b)', async () => {
    // Bilinear in (x, w), so central differences are exact up to rounding: a tight tolerance is safe.
    for (const seed of [7, 8]) await gradCheck(Linear, [{ shape: [5, 6] }, { shape: [4, 6] }, { shape: [4] }], undefined, { tol: 1e-3, seed });
  });

  it('refuses mismatched shapes', async () => {
    await assert.rejects(runOp(Linear, [
      { shape: [2, 3], data: new Float32Array(6) },
      { shape: [4, 2], data: new Float32Array(8) },
      { shape: [4], data: new Float32Array(4) },
    ], undefined), /Linear needs x \(N,in\), w \(out,in\), b \(out\)/);
  });
});
