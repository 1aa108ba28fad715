/**
 * The training state in GPU memory on WebGPU itself (SwiftShader, helpers/swiftShader.ts): a diverging step keeps
 * the last good weights, validation reads the resident weights in place, and releasing the stepper brings them home.
 */
import assert from 'node:assert/strict';
import { requireSwiftShader, runTs } from '../helpers/swiftShader';

describe('training state resident on WebGPU (SwiftShader)', function () {
  this.timeout(600_000);

  it('keeps the last good weights through a diverging step, evaluates them in place and brings them home', async function () {
    const stdout = await runTs(requireSwiftShader(this), 'test/webgpu/residentStateChild.ts');
    const report = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    assert.ok(Number.isFinite(report['goodLoss']), JSON.stringify(report));
    assert.deepEqual({ ...report, goodLoss: 0 }, {
      goodLoss: 0, residentAfterStep: true, divergedLoss: 'NaN', keptLastGoodWeights: true, validationSameFromDeviceAndHost: true,
      homeAfterRelease: true, finiteAfterRelease: true,
    });
  });
});
