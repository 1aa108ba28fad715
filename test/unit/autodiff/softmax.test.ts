import assert from 'node:assert/strict';
import { Softmax } from '../../../src/trainer/autodiff/ops/softmax';
import { gradCheck, randn } from '../../helpers/gradcheck';
import { maxAbsDiff, runOp } from '../../helpers/runOp';

describe('autodiff: Softmax', () => {
  it('normalises the last axis', async () => {
    const x = randn(12, 3, 2);
    const { outputs: [y] } = await runOp(Softmax, [{ shape: [2, 2, 3], data: x }], undefined);
    const ref = Array.from(x, (_, i) => {
      const row = x.subarray(i - (i % 3), i - (i % 3) + 3);
      return Math.exp(x[i]!) / row.reduce((s, v) => s + Math.exp(v), 0);
    });
    assert.ok(maxAbsDiff(y!, ref) < 1e-6);
  });

  it('against finite differences', async () => {
    await gradCheck(Softmax, [{ shape: [2, 3, 7] }], undefined, { tol: 1e-3 });
  });
});
