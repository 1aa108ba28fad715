/**
 * `au-lens bench-faithfulness` at CI size: two test images and one warm panel repetition, so only the JSON's
 * shape and its invariants are checked, never a timing (timings belong to the benchmark's own runs).
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { benchFaithfulness, PANEL_TARGET_MS, SUITE_TARGET_S } from '../../../src/trainer/bench/faithfulnessBench';
import { untrainedCheckpoint } from '../../../src/trainer/explain/benchExplain';
import { saveCheckpoint } from '../../../src/trainer/train/checkpoint';
import { FakeDetector, useTrainingWorkspace } from '../train/fixtures';

describe('bench-faithfulness: the suite and one panel face, as one JSON object', function () {
  this.timeout(300_000);
  const ws = useTrainingWorkspace('bench-faithfulness');

  it('times the suite beside the plain evaluation and the panel face cold and warm', async () => {
    const model = path.join(ws.root, 'best.ckpt');
    await saveCheckpoint(model, untrainedCheckpoint('tiny64', 1, ['happy', 'sad', 'surprise']));
    const result = await benchFaithfulness({ checkpoint: model, data: ws.data, threads: 1, images: 2, panelReps: 1,
      cacheDir: ws.cache, detector: async () => new FakeDetector() });
    const json = JSON.parse(JSON.stringify(result)) as typeof result;
    assert.equal(json.kind, 'bench-faithfulness');
    assert.equal(json.images, 2);
    assert.deepEqual(json.maps, ['attention:stage3', 'cam:cam', 'cam:gradcam++', 'au', 'random']);
    assert.deepEqual([json.steps, json.percentiles?.length], [20, 9]);
    assert.ok(json.suite.seconds > 0 && json.baseline.seconds > 0 && json.baseline.ratio > 0);
    assert.equal(json.suite.targetSeconds, SUITE_TARGET_S);
    assert.equal(json.panel.warmMs.length, 1);
    assert.ok(json.panel.coldMs > 0 && json.panel.medianWarmMs > 0);
    assert.equal(json.panel.targetMs, PANEL_TARGET_MS);
  });
});
