/**
 * Explainer on a generated photo with a fake detector (two faces, a synthetic 68-point face in the stronger one)
 * and an untrained tiny64 checkpoint built in the test: the report's structure and numbers, invalid AU maps,
 * exported models, every error a user can meet, warm sessions, and the files written.
 */
import assert from 'node:assert/strict';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import sharp from 'sharp';
import { untrainedCheckpoint } from '../../../src/trainer/explain/benchExplain';
import { Explainer } from '../../../src/trainer/explain/explainImage';
import type { Explanation } from '../../../src/trainer/explain/explanation';
import { ExplainRequestError } from '../../../src/trainer/explain/explanation';
import { DISPLAY_SIDE, writeExplanation } from '../../../src/trainer/explain/renderExplanation';
import { exportCheckpoint } from '../../../src/trainer/export/exportModel';
import { ModelFileError } from '../../../src/trainer/export/modelDescription';
import type { RgbImage } from '../../../src/trainer/io/image';
import { ImageError } from '../../../src/trainer/io/image';
import type { DetectedFace, FaceLandmarker } from '../../../src/trainer/io/landmarks';
import { Graph } from '../../../src/trainer/onnx/graph';
import { toModelBytes } from '../../../src/trainer/onnx/serialize';
import { CAM_METHOD_NAMES } from '../../../src/trainer/science/camMethods';
import { PAPER_CLASSES } from '../../../src/trainer/science/labels';
import { attentionCosine } from '../../../src/trainer/science/metrics/cosine';
import type { Checkpoint } from '../../../src/trainer/train/checkpoint';
import { saveCheckpoint } from '../../../src/trainer/train/checkpoint';
import { syntheticFace } from '../../helpers/syntheticFace';
import { randomCheckpoint } from '../export/fixtures';
import { makeTempDir, writeFixture } from '../io/fixtures';

const BOX = { x: 150, y: 100, width: 100, height: 100 };
const FRAME = { x: 135, y: 85, side: 130 };

/** A 400×300 photo with smooth colour gradients and some texture, different per variant (the cache keys by content). */
async function photoPng(variant: number): Promise<Buffer> {
  const width = 400;
  const height = 300;
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      raw.set([(x * 255) / width, (y * 255) / height, 128 + 60 * Math.sin((x + variant) / 7) * Math.cos(y / 11)], (y * width + x) * 3);
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** Two faces (the stronger second), none for files whose name contains "noface". */
class FakeDetector implements FaceLandmarker {
  readonly version = 'fake-explain-1';
  calls = 0;

  async detect(image: RgbImage): Promise<DetectedFace[]> {
    this.calls++;
    if (image.source.includes('noface')) return [];
    const face = syntheticFace(FRAME.side).map((p) => ({ x: p.x + FRAME.x, y: p.y + FRAME.y }));
    return [
      { box: { x: 10, y: 10, width: 40, height: 40 }, score: 0.4, method: 'detector', landmarks: face.map((p) => ({ x: p.x - 140, y: p.y - 75 })) },
      { box: BOX, score: 0.95, method: 'detector', landmarks: face },
    ];
  }
}

describe('explain: Explainer on one photo', function () {
  this.timeout(60000);
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  let photo = '';
  let ckpt = '';
  let onnxModel = '';
  const detector = new FakeDetector();
  let explainer: Explainer;
  const checkpoint = randomCheckpoint(7, PAPER_CLASSES);

  before(async () => {
    ({ dir, cleanup } = await makeTempDir('explain'));
    photo = await writeFixture(dir, 'photo.png', await photoPng(0));
    ckpt = path.join(dir, 'model.ckpt');
    await saveCheckpoint(ckpt, checkpoint);
    onnxModel = path.join(dir, 'model.onnx');
    await exportCheckpoint(ckpt, onnxModel);
    explainer = new Explainer({ landmarker: async () => detector, threads: 1, landmarkCache: path.join(dir, 'cache'), maxModels: 2 });
  });
  after(async () => {
    await explainer.release();
    await cleanup();
  });

  it('explains the predicted class of the most confident face with every CAM, cosine and localisation score', async () => {
    const { report } = await explainer.explain({ trusted: true, model: ckpt, image: photo });
    assert.deepEqual([report.face.index, report.face.found, report.face.score], [1, 2, 0.95]);
    assert.deepEqual(report.face.frame, FRAME);
    assert.deepEqual(Object.keys(report.scores), PAPER_CLASSES);
    const probabilities = Object.values(report.scores) as number[];
    assert.ok(Math.abs(probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    assert.equal(report.predicted.probability, Math.max(...probabilities));
    assert.equal(report.predicted.class, PAPER_CLASSES[probabilities.indexOf(Math.max(...probabilities))]);
    assert.deepEqual([report.explained.class, report.explained.requested], [report.predicted.class, false]);
    assert.deepEqual(report.methods, { computed: CAM_METHOD_NAMES, unavailable: [] });
    assert.deepEqual(Object.keys(report.attCos), ['stem', 'stage1', 'stage2', 'stage3']);
    assert.deepEqual(Object.keys(report.localisation.maps), ['stage3', ...CAM_METHOD_NAMES]);
    assert.equal(report.model.camLayer, 'stage3');
    assert.ok(Object.values(report.timingsMs).every((t) => t >= 0));
  });

  it('scores a requested class against its AU map, with FACS names, and says it in one line', async () => {
    const { report, maps } = await explainer.explain({ trusted: true, model: ckpt, image: photo, className: 'happiness' });
    assert.deepEqual([report.explained.class, report.explained.requested], ['happy', true]);
    assert.deepEqual(report.explained.aus.map((a) => [a.au, a.name]), [['AU6', 'Cheek Raiser'], ['AU12', 'Lip Corner Puller'], ['AU25', 'Lips Part']]);
    assert.deepEqual(report.auMap, { valid: true });
    assert.equal(report.cosineNote, null);
    for (const [layer, v] of Object.entries(report.attCos)) {
      assert.ok(typeof v === 'number' && v >= 0 && v <= 1, `${layer}: ${v}`);
      assert.equal(v, attentionCosine(maps.attention.get(layer)!, maps.auInputMap!));
    }
    for (const m of CAM_METHOD_NAMES) assert.ok(typeof report.camCos[m] === 'number', m);
    const shares = report.perAuEnergyShare['stage3']!;
    assert.deepEqual(shares.map((s) => s.au), ['AU6', 'AU12', 'AU25']);
    assert.ok(shares.every((s) => s.share >= 0 && s.share <= 1 && s.pixels > 0));
    const inside = report.localisation.maps['stage3']!.energyPointingGame!;
    const head = report.predicted.class === 'happy' ? 'happy' : `${report.predicted.class} \\d\\.\\d\\d \\(explaining happy`;
    assert.match(report.reading, new RegExp(`^${head}.* — ${Math.round(100 * inside)} % of stage3 attention lies on AU6, AU12, AU25$`));
  });

  it('reports null cosines with the reason for a class without AUs, and still renders', async () => {
    const explanation = await explainer.explain({ trusted: true, model: ckpt, image: photo, className: 'neutral', face: 0 });
    const { report } = explanation;
    assert.equal(report.face.index, 0);
    assert.equal(report.auMap.valid, false);
    assert.ok(Object.values(report.attCos).every((v) => v === null));
    assert.ok(Object.values(report.camCos).every((v) => v === null));
    assert.ok(Object.values(report.perAuEnergyShare).every((v) => v === null));
    assert.ok(Object.values(report.localisation.maps).every((v) => v === null));
    assert.match(report.cosineNote!, /no AU map for neutral: the expression uses no action units/);
    assert.match(report.reading, /no AU map for neutral.*so no alignment is measured$/);
    const written = await writeExplanation(explanation, path.join(dir, 'neutral'));
    assert.ok((await readFile(path.join(dir, 'neutral', 'au-map.png'))).length > 0);
    assert.equal(written.maps.length, 1 + 4 + 4);
  });

  it('explains an exported model with the same scores and maps, offering attention and CAM only', async () => {
    const fromCheckpoint = await explainer.explain({ trusted: true, model: ckpt, image: photo, className: 'sad' });
    const fromOnnx = await explainer.explain({ trusted: true, model: onnxModel, image: photo, className: 'sad' });
    const r = fromOnnx.report;
    assert.equal(r.model.kind, 'onnx');
    assert.deepEqual(r.methods.computed, ['cam']);
    assert.deepEqual(r.methods.unavailable.map((u) => u.method), ['gradcam', 'gradcam++', 'layercam']);
    assert.match(r.methods.unavailable[0]!.reason, /exported ONNX model does not carry/);
    for (const c of PAPER_CLASSES) assert.ok(Math.abs(r.scores[c]! - fromCheckpoint.report.scores[c]!) < 1e-6, c);
    for (const [layer, v] of Object.entries(r.attCos)) assert.ok(Math.abs(v! - fromCheckpoint.report.attCos[layer]!) < 1e-6, layer);
    assert.ok(Math.abs(r.camCos['cam']! - fromCheckpoint.report.camCos['cam']!) < 1e-6);
    assert.equal(r.reading, fromCheckpoint.report.reading);
  });

  it('keeps one warm session per model and reopens a model whose file changed', async () => {
    const fresh = new Explainer({ landmarker: async () => detector, landmarkCache: path.join(dir, 'cache'), maxModels: 1 });
    try {
      const first = await fresh.explain({ trusted: true, model: ckpt, image: photo });
      const again = await fresh.explain({ trusted: true, model: ckpt, image: photo });
      assert.ok(first.report.timingsMs.model > 0);
      assert.equal(again.report.timingsMs.model, 0);
      assert.equal(fresh.openModels, 1);
      await fresh.explain({ trusted: true, model: onnxModel, image: photo });
      assert.equal(fresh.openModels, 1, 'maxModels 1 closes the least recently used');

      const changed = path.join(dir, 'changing.ckpt');
      await saveCheckpoint(changed, checkpoint);
      const before = await fresh.explain({ trusted: true, model: changed, image: photo });
      const retrained: Checkpoint = randomCheckpoint(8, PAPER_CLASSES);
      await saveCheckpoint(changed, retrained);
      await utimes(changed, new Date(), new Date(Date.now() + 5000));
      const after = await fresh.explain({ trusted: true, model: changed, image: photo });
      assert.ok(after.report.timingsMs.model > 0, 'reopened');
      assert.notDeepEqual(after.report.scores, before.report.scores);
    } finally {
      await fresh.release();
    }
    const calls = detector.calls;
    await explainer.explain({ trusted: true, model: ckpt, image: photo });
    assert.equal(detector.calls, calls, 'landmarks come from the cache for a photo seen before');
  });

  it('fails clearly: foreign or broken model files, unknown presets, faces and classes that do not exist, no face, unreadable images', async () => {
    const g = new Graph('foreign');
    g.output(g.node('Relu', [g.input('x', 'float32', [1, 4])], [{ dtype: 'float32', shape: [1, 4] }])[0]!, 'y');
    const foreign = await writeFixture(dir, 'foreign.onnx', Buffer.from(toModelBytes(g)));
    await assert.rejects(explainer.explain({ trusted: true, model: foreign, image: photo }), (e: unknown) => e instanceof ModelFileError && /foreign\.onnx: an ONNX model trained elsewhere needs a sidecar config .* expected at .*foreign\.au-lens\.json; write one with `au-lens inspect/.test(e.message));
    const garbage = await writeFixture(dir, 'garbage.onnx', Buffer.from('definitely not a model'));
    await assert.rejects(explainer.explain({ trusted: true, model: garbage, image: photo }), /garbage\.onnx: neither an AU Lens checkpoint nor a valid ONNX model/);
    await assert.rejects(explainer.explain({ trusted: true, model: path.join(dir, 'missing.ckpt'), image: photo }), /missing\.ckpt: file not found/);
    const truncated = await writeFixture(dir, 'truncated.ckpt', (await readFile(ckpt)).subarray(0, 2000));
    await assert.rejects(explainer.explain({ trusted: true, model: truncated, image: photo }), /truncated\.ckpt: truncated/);
    const unknown = path.join(dir, 'unknown.ckpt');
    await saveCheckpoint(unknown, { ...checkpoint, model: { ...checkpoint.model, preset: 'vgg16' } });
    await assert.rejects(explainer.explain({ trusted: true, model: unknown, image: photo }), /unknown model preset "vgg16"/);

    await assert.rejects(explainer.explain({ trusted: true, model: ckpt, image: photo, face: 2 }), (e: unknown) => e instanceof ExplainRequestError && e.message === 'face 2 does not exist: 2 face(s) found (0–1)');
    await assert.rejects(explainer.explain({ trusted: true, model: ckpt, image: photo, className: 'contempt' }), (e: unknown) => e instanceof ExplainRequestError && /no class "contempt"; its classes: neutral, happy/.test(e.message));
    const noFace = await writeFixture(dir, 'noface.png', await photoPng(1));
    await assert.rejects(explainer.explain({ trusted: true, model: ckpt, image: noFace }), /noface\.png \(400×300\): no face found/);
    const broken = await writeFixture(dir, 'broken.png', (await photoPng(2)).subarray(0, 80));
    await assert.rejects(explainer.explain({ trusted: true, model: ckpt, image: broken }), ImageError);
    await writeFile(path.join(dir, 'empty.jpg'), '');
    await assert.rejects(explainer.explain({ trusted: true, model: ckpt, image: path.join(dir, 'empty.jpg') }), /empty file/);
  });

  it('writes report.json, one PNG per map and a contact sheet', async () => {
    const explanation: Explanation = await explainer.explain({ trusted: true, model: ckpt, image: photo, className: 'surprise' });
    const out = path.join(dir, 'out');
    const written = await writeExplanation(explanation, out);
    const names = ['au-map', 'attention-stem', 'attention-stage1', 'attention-stage2', 'attention-stage3', 'cam-cam', 'cam-gradcam', 'cam-gradcampp', 'cam-layercam'];
    assert.deepEqual(written.maps.map((m) => m.map), names);
    for (const m of written.maps) {
      const meta = await sharp(m.file).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['png', DISPLAY_SIDE, DISPLAY_SIDE + 30], m.map);
    }
    // Ten tiles (the face and nine maps) in four columns.
    const sheet = await sharp(written.sheet).metadata();
    assert.deepEqual([sheet.width, sheet.height], [4 * DISPLAY_SIDE + 3 * 6, 3 * (DISPLAY_SIDE + 30) + 2 * 6]);
    const report = JSON.parse(await readFile(written.report, 'utf8')) as { reading: string; files: { maps: { file: string }[] } };
    assert.equal(report.reading, explanation.report.reading);
    assert.deepEqual(report.files.maps.map((m) => m.file), names.map((n) => `${n}.png`));
  });

  it('scores a ViT\'s attention rollout as the CAMs are: localisation and per-AU energy beside the CAM layer', async () => {
    const vit = path.join(dir, 'vit64.ckpt');
    await saveCheckpoint(vit, untrainedCheckpoint('vit64', 3));
    const { report } = await explainer.explain({ trusted: true, model: vit, image: photo, className: 'happy' });
    assert.equal(report.model.camLayer, 'block5');
    assert.equal(typeof report.attCos['rollout'], 'number');
    assert.deepEqual(Object.keys(report.localisation.maps), ['block5', 'rollout', ...CAM_METHOD_NAMES]);
    assert.deepEqual(Object.keys(report.perAuEnergyShare), ['block5', 'rollout', ...CAM_METHOD_NAMES]);
    assert.ok(report.localisation.maps['rollout']!.rocAuc! >= 0);
  });
});
