/**
 * Max-pooling's gradient routed without indices (autodiff/ops/pool.ts), run on WebGPU itself (SwiftShader,
 * helpers/swiftShader.ts): every window's gradient goes to its first maximum, as PyTorch routes it.
 */
import assert from 'node:assert/strict';
import { tieCases } from '../helpers/maxPoolTies';
import { requireSwiftShader, runTs } from '../helpers/swiftShader';

describe('MaxPool2d on WebGPU (SwiftShader)', function () {
  this.timeout(300_000);

  it('routes windows of tied maxima as PyTorch does, zeros after a ReLU included', async function () {
    const stdout = await runTs(requireSwiftShader(this), 'test/webgpu/maxPoolTiesChild.ts');
    const results = JSON.parse(stdout.trim().split('\n').pop()!) as { name: string; y: number[]; dx: number[] }[];
    const cases = tieCases();
    assert.equal(results.length, cases.length);
    cases.forEach((c, i) => {
      assert.deepEqual(results[i]!.y, c.y, `${c.name}: forward`);
      assert.deepEqual(results[i]!.dx, c.dx, `${c.name}: gradient`);
    });
  });
});
