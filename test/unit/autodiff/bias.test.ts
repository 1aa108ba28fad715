import assert from 'node:assert/strict';
import { ChannelBias } from '../../../src/trainer/autodiff/ops/bias';
import { Tape } from '../../../src/trainer/autodiff/tape';
import { Graph } from '../../../src/trainer/onnx/graph';
import { gradCheck } from '../../helpers/gradcheck';
import { runOp } from '../../helpers/runOp';

describe('autodiff: ChannelBias', () => {
  it('adds one value per channel', async () => {
    const x = new Float32Array(2 * 2 * 1 * 2).fill(1);
    const { outputs: [y] } = await runOp(ChannelBias, [{ shape: [2, 2, 1, 2], data: x }, { shape: [2], data: Float32Array.of(10, 20) }], undefined);
    assert.deepEqual([...y!], [11, 11, 21, 21, 11, 11, 21, 21]);
  });

  it('passes dy to x and sums it over N, H and W for the bias', async () => {
    await gradCheck(ChannelBias, [{ shape: [2, 4, 3, 5] }, { shape: [4] }], undefined, { tol: 1e-3 });
  });

  it('refuses a bias that does not fit the channels', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [1, 4, 2, 2]);
    const b = g.input('b', 'float32', [3]);
    assert.throws(() => new Tape(g).apply1(ChannelBias, [x, b], undefined), /ChannelBias needs x \(N,C,H,W\) and b \(C\)/);
  });
});
