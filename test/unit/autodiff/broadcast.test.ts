import assert from 'node:assert/strict';
import { BroadcastAdd, Expand } from '../../../src/trainer/autodiff/ops/broadcast';
import { gradCheck } from '../../helpers/gradcheck';
import { runOp } from '../../helpers/runOp';

describe('autodiff: broadcasting', () => {
  it('BroadcastAdd adds a positional embedding to every image and sums its gradient over them', async () => {
    const { outputs: [y], grads: [dPos] } = await runOp(BroadcastAdd, [
      { shape: [1, 2, 2], data: Float32Array.of(1, 2, 3, 4) },
      { shape: [3, 2, 2], data: new Float32Array(12).fill(10) },
    ], undefined, [0]);
    assert.deepEqual([...y!], [11, 12, 13, 14, 11, 12, 13, 14, 11, 12, 13, 14]);
    assert.deepEqual([...dPos!], [3, 3, 3, 3]);
  });

  it('BroadcastAdd against finite differences (equal shapes, missing leading axis, inner axes of size 1)', async () => {
    await gradCheck(BroadcastAdd, [{ shape: [2, 3, 4] }, { shape: [2, 3, 4] }], undefined, { tol: 1e-3 });
    await gradCheck(BroadcastAdd, [{ shape: [3, 4] }, { shape: [2, 3, 4] }], undefined, { tol: 1e-3 });
    await gradCheck(BroadcastAdd, [{ shape: [2, 1, 4] }, { shape: [1, 3, 1] }], undefined, { tol: 1e-2 });
  });

  it('Expand repeats the class token over the batch', async () => {
    const { outputs: [y] } = await runOp(Expand, [{ shape: [1, 1, 2], data: Float32Array.of(5, 6) }], [3, 1, 2]);
    assert.deepEqual([...y!], [5, 6, 5, 6, 5, 6]);
    await gradCheck(Expand, [{ shape: [1, 1, 4] }], [3, 1, 4], { tol: 1e-3 });
    const column = { shape: [2, 1], data: Float32Array.of(1, 2) };
    await assert.rejects(runOp(Expand, [column], [2]), /Expand of \[2,1\] to \[2\]/);
  });
});
