/**
 * `au-lens eval` on ONNX models: an AU Lens export scores as its checkpoint does (same accuracy, ATT-COS and
 * CAM-COS), and a model trained elsewhere evaluates with every CAM method through its sidecar.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { evaluateCheckpoint } from '../../../src/trainer/eval/evaluateCheckpoint';
import { exportCheckpoint } from '../../../src/trainer/export/exportModel';
import { saveCheckpoint } from '../../../src/trainer/train/checkpoint';
import { randomCheckpoint } from '../export/fixtures';
import { CLASSES, FakeDetector, useTrainingWorkspace, writeDataset } from '../train/fixtures';
import { importVitValue, peerFixture, peerSidecar, placeImportVit, placePeerModel } from './fixture';

describe('import: evaluating ONNX models', function () {
  this.timeout(60000);
  const ws = useTrainingWorkspace('au-lens-eval-onnx-');
  const options = (checkpoint: string, data: string) => ({ checkpoint, trusted: true, data, split: 'all' as const, batch: 4, threads: 1, cacheDir: ws.cache });

  it('scores an exported model as its checkpoint: accuracy, ATT-COS per layer, CAM-COS', async () => {
    const data = await writeDataset(path.join(ws.root, 'small'), { classes: CLASSES, subjects: 3 });
    const ckpt = path.join(ws.root, 'model.ckpt');
    await saveCheckpoint(ckpt, randomCheckpoint(3));
    const onnx = path.join(ws.root, 'model.onnx');
    await exportCheckpoint(ckpt, onnx);
    const detector = new FakeDetector();
    const fromCkpt = await evaluateCheckpoint({ ...options(ckpt, data), methods: ['cam'] }, { detector });
    const fromOnnx = await evaluateCheckpoint({ ...options(onnx, data), methods: ['cam', 'gradcam'] }, { detector });
    assert.equal(fromOnnx.report.samples, 9);
    assert.equal(fromOnnx.report.accuracy, fromCkpt.report.accuracy);
    assert.deepEqual(fromOnnx.report.methods, ['cam']);
    assert.match(fromOnnx.warnings.join('\n'), /gradcam not computed: needs class-score gradients/);
    for (const key of [...fromCkpt.report.attCos.keys, 'cam']) {
      const summary = key === 'cam' ? 'camCos' : 'attCos';
      const a = fromCkpt.report[summary].byKey[key]!.average!;
      const b = fromOnnx.report[summary].byKey[key]!.average!;
      assert.ok(Math.abs(a - b) < 1e-4, `${key}: ${a} vs ${b}`);
    }
  });

  it('evaluates a model trained elsewhere with every CAM method, over the classes the data has', async () => {
    const data = path.join(ws.root, 'small');
    const model = await placePeerModel(ws.root, peerSidecar(peerFixture()), 'peer.onnx');
    const result = await evaluateCheckpoint(options(model, data), { detector: new FakeDetector() });
    assert.deepEqual(result.report.labels, ['happy', 'surprise', 'sad']);
    assert.deepEqual(result.report.layers, ['stem', 'stage1', 'stage2', 'stage3']);
    assert.deepEqual(result.report.methods, ['cam', 'gradcam', 'gradcam++', 'layercam']);
    assert.match(result.warnings.join('\n'), /has no neutral, fear, anger, disgust images: the model is scored over its 3 other classes/);
    assert.ok(Number.isFinite(result.report.camCos.byKey['layercam']!.average!));
  });

  it('scores an imported ViT\'s attention rollout as a preset\'s: ATT-COS and localisation beside the CAM layer', async () => {
    const attention = [0, 1, 2].map((k) => importVitValue(k, 'self_attention/Softmax'));
    const model = await placeImportVit(ws.root, 'vit.onnx', { grid: [4, 4], skip: 1, attention });
    const result = await evaluateCheckpoint(options(model, path.join(ws.root, 'small')), { detector: new FakeDetector() });
    assert.deepEqual(result.report.layers, ['block2', 'rollout']);
    assert.ok(Number.isFinite(result.report.attCos.byKey['rollout']!.average!));
    assert.deepEqual(result.report.localisation.maps, ['block2', 'rollout', ...result.report.methods]);
    assert.ok(result.report.localisation.byMap['rollout']!.rocAuc!.average !== null);
  });
});
