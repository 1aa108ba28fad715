import assert from 'node:assert/strict';
import { LayerNorm } from '../../../src/trainer/autodiff/ops/layerNorm';
import { gradCheck, randn } from '../../helpers/gradcheck';
import { maxAbsDiff, runOp } from '../../helpers/runOp';

describe('autodiff: LayerNorm', () => {
  it('normalises each row with the biased variance, as nn.LayerNorm', async () => {
    const [rows, c, epsilon] = [6, 5, 1e-6];
    const x = randn(rows * c, 11, 3);
    const gamma = randn(c, 12);
    const beta = randn(c, 13);
    const { outputs: [y] } = await runOp(LayerNorm, [
      { shape: [2, 3, c], data: x }, { shape: [c], data: gamma }, { shape: [c], data: beta },
    ], { epsilon });
    const ref = Array.from(x, (v, i) => {
      const row = x.subarray(i - (i % c), i - (i % c) + c);
      const mean = row.reduce((s, u) => s + u, 0) / c;
      const variance = row.reduce((s, u) => s + (u - mean) ** 2, 0) / c;
      return ((v - mean) / Math.sqrt(variance + epsilon)) * gamma[i % c]! + beta[i % c]!;
    });
    assert.ok(maxAbsDiff(y!, ref) < 1e-5);
  });

  it('against finite differences (x, γ and β)', async () => {
    const inputs = [{ shape: [2, 3, 8] }, { shape: [8] }, { shape: [8] }];
    for (const seed of [7, 8]) await gradCheck(LayerNorm, inputs, { epsilon: 1e-5 }, { seed });
  });

  it('refuses parameters that do not match the last axis', async () => {
    await assert.rejects(runOp(LayerNorm, [
      { shape: [2, 4], data: new Float32Array(8) },
      { shape: [3], data: new Float32Array(3) },
      { shape: [3], data: new Float32Array(3) },
    ], { epsilon: 1e-5 }), /LayerNorm needs x \(…, C\) and γ, β \(C\)/);
  });
});
