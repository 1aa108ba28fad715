import assert from 'node:assert/strict';
import { ChannelMean } from '../../../src/trainer/autodiff/ops/attention';
import { gradCheck, randn } from '../../helpers/gradcheck';
import { maxAbsDiff, runOp } from '../../helpers/runOp';

describe('autodiff: layer attention', () => {
  it('ChannelMean is the plain channel mean (no abs, no normalisation)', async () => {
    const [n, c, hw] = [2, 3, 20];
    const x = randn(n * c * hw, 4);
    const { outputs: [y] } = await runOp(ChannelMean, [{ shape: [n, c, 4, 5], data: x }], undefined);
    const ref = Array.from({ length: n * hw }, (_, i) => {
      const [b, k] = [Math.floor(i / hw), i % hw];
      return (x[(b * c) * hw + k]! + x[(b * c + 1) * hw + k]! + x[(b * c + 2) * hw + k]!) / c;
    });
    assert.ok(maxAbsDiff(y!, ref) < 1e-6);
  });

  it('ChannelMean gradient', async () => {
    await gradCheck(ChannelMean, [{ shape: [2, 5, 3, 4] }], undefined);
  });
});
