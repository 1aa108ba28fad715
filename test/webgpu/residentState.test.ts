/**
 * The training state in GPU memory on WebGPU itself (SwiftShader, helpers/swiftShader.ts): a diverging step keeps
 * the last good weights, validation reads the resident weights in place, and releasing the stepper brings them home.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from '../helpers/paths';
import { swiftShaderEnv } from '../helpers/swiftShader';

describe('training state resident on WebGPU (SwiftShader)', function () {
  this.timeout(600_000);

  it('keeps the last good weights through a diverging step, evaluates them in place and brings them home', function () {
    const swiftShader = swiftShaderEnv();
    if ('missing' in swiftShader) {
      console.log(`      skipped: ${swiftShader.missing}`);
      this.skip();
    }
    const child = path.join(repoRoot, 'test', 'webgpu', 'residentStateChild.ts');
    const stdout = execFileSync(process.execPath, ['-r', 'tsx/cjs', child], { cwd: repoRoot, env: swiftShader.env, encoding: 'utf8' });
    const report = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    assert.ok(Number.isFinite(report['goodLoss']), JSON.stringify(report));
    assert.deepEqual({ ...report, goodLoss: 0 }, {
      goodLoss: 0, residentAfterStep: true, divergedLoss: 'NaN', keptLastGoodWeights: true, validationSameFromDeviceAndHost: true,
      homeAfterRelease: true, finiteAfterRelease: true,
    });
  });
});
