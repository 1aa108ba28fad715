/** An imported model through the Explainer, as `au-lens explain` and the editor's panel use it. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import sharp from 'sharp';
import { Explainer } from '../../../src/trainer/explain/explainImage';
import type { RgbImage } from '../../../src/trainer/io/image';
import type { DetectedFace, FaceLandmarker } from '../../../src/trainer/io/landmarks';
import { syntheticFace } from '../../helpers/syntheticFace';
import { importVitValue, peerFixture, peerSidecar, placeImportVit, placePeerModel, useTempDir } from './fixture';

class OneFace implements FaceLandmarker {
  readonly version = 'fake-import-1';

  async detect(_image: RgbImage): Promise<DetectedFace[]> {
    const landmarks = syntheticFace(120).map((p) => ({ x: p.x + 40, y: p.y + 30 }));
    return [{ box: { x: 50, y: 40, width: 100, height: 100 }, score: 0.9, method: 'detector', landmarks }];
  }
}

describe('import: explaining with an imported model', function () {
  this.timeout(30000);
  const fixture = peerFixture();
  const scratch = useTempDir('import-explain');
  let explainer: Explainer;
  before(async () => {
    const raw = Buffer.alloc(200 * 200 * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 37) % 251;
    await sharp(raw, { raw: { width: 200, height: 200, channels: 3 } }).png().toFile(path.join(scratch.dir, 'photo.png'));
    explainer = new Explainer({ landmarker: async () => new OneFace(), landmarkCache: false });
  });
  after(async () => {
    await explainer.release();
  });

  it('reports every layer\'s ATT-COS and every CAM method, and reopens the model when its sidecar changes', async () => {
    const file = await placePeerModel(scratch.dir, peerSidecar(fixture));
    const { report } = await explainer.explain({ trusted: true, model: file, image: path.join(scratch.dir, 'photo.png'), className: 'happy' });
    assert.equal(report.model.kind, 'imported');
    assert.equal(report.model.preset, 'imported');
    assert.equal(report.model.crop, 'paper');
    assert.equal(report.model.inputSize, 64);
    assert.deepEqual(Object.keys(report.attCos), ['stem', 'stage1', 'stage2', 'stage3']);
    assert.deepEqual(report.methods.computed, ['cam', 'gradcam', 'gradcam++', 'layercam']);
    assert.ok(Object.values(report.camCos).every((v) => typeof v === 'number' && Number.isFinite(v)));

    const layers = peerSidecar(fixture)['layers'] as { value: string; name: string }[];
    await writeFile(path.join(scratch.dir, 'model.au-lens.json'), JSON.stringify(peerSidecar(fixture, { layers: layers.slice(2), camLayer: 'stage3', crop: 'box' })));
    const again = await explainer.explain({ trusted: true, model: file, image: path.join(scratch.dir, 'photo.png'), className: 'happy' });
    assert.deepEqual(Object.keys(again.report.attCos), ['stage2', 'stage3']);
    assert.equal(again.report.model.crop, 'box');
    assert.ok(again.report.timingsMs.model > 0, 'reopened');
  });

  it('shows and scores an imported ViT\'s attention rollout as a preset\'s: ATT-COS, localisation, per-AU energy', async () => {
    const attention = [0, 1, 2].map((k) => importVitValue(k, 'self_attention/Softmax'));
    const file = await placeImportVit(scratch.dir, 'vit.onnx', { grid: [4, 4], skip: 1, attention });
    const { report, maps } = await explainer.explain({ trusted: true, model: file, image: path.join(scratch.dir, 'photo.png'), className: 'happy' });
    assert.deepEqual(report.model.attentionLayers, ['block2', 'rollout']);
    assert.equal(typeof report.attCos['rollout'], 'number');
    assert.deepEqual(Object.keys(report.localisation.maps), ['block2', 'rollout', ...report.methods.computed]);
    assert.deepEqual(Object.keys(report.perAuEnergyShare), ['block2', 'rollout', ...report.methods.computed]);
    assert.deepEqual([maps.attention.get('rollout')!.width, maps.attention.get('rollout')!.height], [4, 4]);
  });
});
