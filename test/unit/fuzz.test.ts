/**
 * The fuzz test in CI: a few hundred seeded mutations per parser and a few through ONNX Runtime in the worker
 * process (test/fuzz/fuzz.ts; scripts/fuzz.ts runs the full count). Every parser answers with a result or its own
 * error, none hangs, and the caller survives every native case.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { runFuzz } from '../fuzz/fuzz';
import { repoRoot } from '../helpers/paths';
import { PEER_ONNX } from './import/fixture';

describe('fuzz: mutated checkpoints, ONNX files, sidecars, run configs and codebooks', function () {
  this.timeout(300_000);

  it('our parsers give a result or their clear error; ONNX Runtime runs where a crash cannot reach the caller', async () => {
    const workerScript = path.join(repoRoot, 'dist', 'worker.js');
    assert.ok(existsSync(workerScript), 'run "npm run build" first');
    const report = await runFuzz({ seed: 18, count: 60, nativeCount: 8, workerScript, onnxSeed: PEER_ONNX });
    for (const [name, target] of Object.entries(report.targets)) {
      assert.deepEqual(target.unexpected, [], `${name}: ${target.unexpected.join('\n')}`);
      assert.equal(target.cases, 60, name);
    }
    assert.ok(report.native?.callerSurvived);
    assert.equal(report.failures, 0);
  });
});
