import assert from 'node:assert/strict';
import {
  Concat, Gather, Reshape, Slice, SpaceToDepth, Split, Transpose,
} from '../../../src/trainer/autodiff/ops/shape';
import { gradCheck } from '../../helpers/gradcheck';
import { runOp } from '../../helpers/runOp';

const iota = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => i);

describe('autodiff: shape ops', () => {
  it('Transpose permutes axes and its gradient goes back through the inverse', async () => {
    const { outputs: [y] } = await runOp(Transpose, [{ shape: [2, 3], data: iota(6) }], [1, 0]);
    assert.deepEqual([...y!], [0, 3, 1, 4, 2, 5]);
    await gradCheck(Transpose, [{ shape: [2, 3, 4, 5] }], [2, 0, 3, 1], { tol: 1e-3 });
  });

  it('Reshape', async () => {
    await gradCheck(Reshape, [{ shape: [2, 3, 4] }], [6, 4], { tol: 1e-3 });
  });

  it('SpaceToDepth makes each patch one pixel’s channels, and DepthToSpace takes its gradient back', async () => {
    const { outputs: [y] } = await runOp(SpaceToDepth, [{ shape: [1, 1, 2, 4], data: iota(8) }], { block: 2 });
    assert.deepEqual([...y!], [0, 2, 1, 3, 4, 6, 5, 7]);
    await gradCheck(SpaceToDepth, [{ shape: [2, 3, 4, 6] }], { block: 2 }, { tol: 1e-3 });
  });

  it('Concat joins along an axis (a class token before the patch tokens)', async () => {
    const cls = { shape: [2, 1, 2], data: iota(4) };
    const patches = { shape: [2, 2, 2], data: iota(8).map((v) => 10 + v) };
    const { outputs: [y] } = await runOp(Concat, [cls, patches], { axis: 1 });
    assert.deepEqual([...y!], [0, 1, 10, 11, 12, 13, 2, 3, 14, 15, 16, 17]);
    const inputs = [{ shape: [3, 1, 4] }, { shape: [3, 5, 4] }, { shape: [3, 2, 4] }];
    await gradCheck(Concat, inputs, { axis: -2 }, { tol: 1e-3 });
  });

  it('Split cuts into equal parts; a part without gradient gets zeros', async () => {
    const { outputs } = await runOp(Split, [{ shape: [3, 2], data: iota(6) }], { axis: 0, parts: 3 });
    assert.deepEqual(outputs.map((o) => [...o]), [[0, 1], [2, 3], [4, 5]]);
    await gradCheck(Split, [{ shape: [2, 6, 3] }], { axis: 1, parts: 3 }, { tol: 1e-3 });
    await gradCheck(Split, [{ shape: [6, 2] }], { axis: 0, parts: 2 }, { tol: 1e-3, outputsToCheck: 1 });
  });

  it('Slice selects tokens, and its gradient is zero elsewhere', async () => {
    const x = { shape: [2, 4], data: iota(8) };
    const { outputs: [y], grads: [dx] } = await runOp(Slice, [x], { starts: [1], ends: [99], axes: [1] }, [0]);
    assert.deepEqual([...y!], [1, 2, 3, 5, 6, 7]);
    assert.deepEqual([...dx!], [0, 1, 1, 1, 0, 1, 1, 1]);
    const window = { starts: [1, 2], ends: [4, -1], axes: [1, -1] };
    await gradCheck(Slice, [{ shape: [2, 5, 6] }], window, { tol: 1e-3 });
  });

  it('Gather takes one index and drops its axis (the class token)', async () => {
    const x = { shape: [2, 3, 2], data: iota(12) };
    const { outputs: [y], grads: [dx] } = await runOp(Gather, [x], { axis: 1, index: -3 }, [0]);
    assert.deepEqual([...y!], [0, 1, 6, 7]);
    assert.deepEqual([...dx!], [1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0]);
    await gradCheck(Gather, [{ shape: [2, 5, 3] }], { axis: 1, index: 2 }, { tol: 1e-3 });
  });

  it('refuses a bad permutation, an uneven split, an out-of-range index and an empty slice', async () => {
    const x = { shape: [2, 3], data: iota(6) };
    await assert.rejects(runOp(Transpose, [x], [0, 0]), /Transpose needs a permutation of 0…1/);
    await assert.rejects(runOp(Split, [x], { axis: 1, parts: 2 }), /does not split into 2 equal parts/);
    await assert.rejects(runOp(Gather, [x], { axis: 1, index: 3 }), /index 3 is out of range/);
    await assert.rejects(runOp(Slice, [x], { starts: [2], ends: [2], axes: [1] }), /is empty/);
    const other = { shape: [3, 3], data: iota(9) };
    await assert.rejects(runOp(Concat, [x, other], { axis: 1 }), /Concat needs shapes equal off axis 1/);
  });
});
