/**
 * Max-pooling's gradient routed without indices (autodiff/ops/pool.ts), run on WebGPU itself (SwiftShader,
 * helpers/swiftShader.ts): every window's gradient goes to its first maximum, as PyTorch routes it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { tieCases } from '../helpers/maxPoolTies';
import { repoRoot } from '../helpers/paths';
import { swiftShaderEnv } from '../helpers/swiftShader';

describe('MaxPool2d on WebGPU (SwiftShader)', function () {
  this.timeout(300_000);

  it('routes windows of tied maxima as PyTorch does, zeros after a ReLU included', function () {
    const swiftShader = swiftShaderEnv();
    if ('missing' in swiftShader) {
      console.log(`      skipped: ${swiftShader.missing}`);
      this.skip();
    }
    const child = path.join(repoRoot, 'test', 'webgpu', 'maxPoolTiesChild.ts');
    const stdout = execFileSync(process.execPath, ['-r', 'tsx/cjs', child], { cwd: repoRoot, env: swiftShader.env, encoding: 'utf8' });
    const results = JSON.parse(stdout.trim().split('\n').pop()!) as { name: string; y: number[]; dx: number[] }[];
    const cases = tieCases();
    assert.equal(results.length, cases.length);
    cases.forEach((c, i) => {
      assert.deepEqual(results[i]!.y, c.y, `${c.name}: forward`);
      assert.deepEqual(results[i]!.dx, c.dx, `${c.name}: gradient`);
    });
  });
});
