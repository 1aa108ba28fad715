/**
 * Faithfulness through the engine: the batched classifier every model kind offers against its own single-image
 * run, and the Explainer's faithfulness of one face (AU occlusion, deletion/insertion and ROAD of every map, the
 * sanity check) on an untrained tiny64 checkpoint and its ONNX export, with the bad inputs each giving a defined
 * result: a class without AUs, a face whose AUs all fall outside the crop, a constant map, a class the model lacks.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import sharp from 'sharp';
import { Explainer } from '../../../src/trainer/explain/explainImage';
import type { FaithfulnessRequest } from '../../../src/trainer/explain/explanationFaithfulness';
import { planFace, scoreFaces } from '../../../src/trainer/explain/faceFaithfulness';
import type { FaithfulnessReport } from '../../../src/trainer/science/faithfulnessReport';
import { CLASSIFIER_BATCH, openModel } from '../../../src/trainer/explain/modelFile';
import { exportCheckpoint } from '../../../src/trainer/export/exportModel';
import type { RgbImage } from '../../../src/trainer/io/image';
import type { DetectedFace, FaceLandmarker } from '../../../src/trainer/io/landmarks';
import { PAPER_CLASSES } from '../../../src/trainer/science/labels';
import { softmax } from '../../../src/trainer/science/metrics/scores';
import { mulberry32 } from '../../../src/trainer/science/random';
import type { Checkpoint } from '../../../src/trainer/train/checkpoint';
import { saveCheckpoint } from '../../../src/trainer/train/checkpoint';
import { syntheticFace } from '../../helpers/syntheticFace';
import { randomCheckpoint } from '../export/fixtures';
import { makeTempDir, writeFixture } from '../io/fixtures';

const BOX = { x: 150, y: 100, width: 100, height: 100 };
const FRAME = { x: 135, y: 85, side: 130 };
const ALL: FaithfulnessRequest = { settings: { occlusion: true, deletion: true, road: true }, sanity: true };
/** Fewer ROAD percentiles and no sanity check, where a test is about which results are skipped. */
const QUICK: FaithfulnessRequest = { settings: { ...ALL.settings, percentiles: [30, 70], steps: 5 }, sanity: false };
/** The test's own files: trusted, as the CLI trusts its user's. */
const TRUSTED = { trusted: true } as const;

/** A photo with gradients and texture, different per variant (the landmark cache keys by content). */
async function photoPng(variant: number): Promise<Buffer> {
  const [width, height] = [400, 300];
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      raw.set([(x * 255) / width, (y * 255) / height, 128 + 60 * Math.sin((x + variant) / 7) * Math.cos(y / 11)], (y * width + x) * 3);
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** One face; in files named "*outside*" its landmarks lie far outside its box, so every AU misses the crop. */
class FakeDetector implements FaceLandmarker {
  readonly version = 'fake-faithfulness-1';

  async detect(image: RgbImage): Promise<DetectedFace[]> {
    const shift = image.source.includes('outside') ? 2000 : 0;
    const landmarks = syntheticFace(FRAME.side).map((p) => ({ x: p.x + FRAME.x + shift, y: p.y + FRAME.y + shift }));
    return [{ box: BOX, score: 0.95, method: 'detector', landmarks }];
  }
}

/** Every number in a JSON value is finite (JSON.stringify would turn NaN into null silently). */
function assertFinite(value: unknown, where = 'report'): void {
  if (typeof value === 'number') assert.ok(Number.isFinite(value), `${where} is ${value}`);
  else if (Array.isArray(value)) value.forEach((v, i) => assertFinite(v, `${where}[${i}]`));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) assertFinite(v, `${where}.${k}`);
  }
}

describe('explain: faithfulness through the engine', function () {
  this.timeout(120000);
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  let photo = '';
  let outside = '';
  let ckpt = '';
  let onnxModel = '';
  let flatCkpt = '';
  let explainer: Explainer;
  const checkpoint = randomCheckpoint(7, PAPER_CLASSES);

  before(async () => {
    ({ dir, cleanup } = await makeTempDir('faithfulness'));
    photo = await writeFixture(dir, 'photo.png', await photoPng(0));
    outside = await writeFixture(dir, 'outside.png', await photoPng(1));
    ckpt = path.join(dir, 'model.ckpt');
    await saveCheckpoint(ckpt, checkpoint);
    onnxModel = path.join(dir, 'model.onnx');
    await exportCheckpoint(ckpt, onnxModel);
    // A zero head: every CAM of every class is constant (0), so the pixel-order metrics have nothing to order.
    const flat: Checkpoint = { ...checkpoint, tensors: { ...checkpoint.tensors, model: checkpoint.tensors.model.map(
      (t) => (t.name === 'fc.weight' ? { ...t, data: new Float32Array(t.data.length) } : t)) } };
    flatCkpt = path.join(dir, 'flat.ckpt');
    await saveCheckpoint(flatCkpt, flat);
    explainer = new Explainer({ landmarker: async () => new FakeDetector(), threads: 1,
      landmarkCache: path.join(dir, 'cache') });
  });
  after(async () => {
    await explainer.release();
    await cleanup();
  });

  for (const kind of ['checkpoint', 'onnx'] as const) {
    it(`gives a ${kind}'s batched probabilities equal to its single-image run, a short batch included`, async () => {
      const model = await openModel(kind === 'checkpoint' ? ckpt : onnxModel, {}, { trusted: true });
      try {
        const classifier = await model.classifier();
        assert.equal(classifier.batchSize, CLASSIFIER_BATCH);
        assert.deepEqual([classifier.channels, classifier.width, classifier.height], [3, 64, 64]);
        const random = mulberry32(3);
        const images = Array.from({ length: 5 }, () => Float32Array.from({ length: 3 * 64 * 64 }, () => 2 * random() - 1));
        const batched = await classifier.probabilities(images);
        for (const [i, image] of images.entries()) {
          const single = softmax((await model.run(image, -1)).logits);
          const row = Array.from(batched).slice(i * 7, (i + 1) * 7);
          assert.ok(row.every((p, k) => Math.abs(p - single[k]!) < 1e-5), `image ${i}: ${row} vs ${single}`);
        }
      } finally {
        await model.release();
      }
    });
  }

  it('scores one face: AU occlusion with FACS names, curves and ROAD for every map, the sanity check', async () => {
    const explanation = await explainer.explain({ model: ckpt, image: photo, className: 'happy', trusted: true });
    const f = await explainer.faithfulness(explanation, ALL, TRUSTED);
    assertFinite(f);
    assert.equal(f.class, 'happy');
    assert.deepEqual(Object.keys(f.maps), ['attention:stage3', 'cam:cam', 'cam:gradcam', 'cam:gradcam++', 'cam:layercam', 'au', 'random']);
    assert.equal(f.maps['attention:stage3']!.title, 'stage3 attention');
    assert.deepEqual(f.aus.map((a) => a.au).sort(), ['AU12', 'AU25', 'AU6']);
    const drops = f.aus.map((a) => a.drop!);
    assert.deepEqual(drops, [...drops].sort((a, b) => b - a), 'sorted by drop');
    assert.ok(f.aus.every((a) => a.name !== '' && a.pixels > 0 && a.share !== null));
    assert.equal(f.auOcclusion?.status, 'ok');
    for (const [key, m] of Object.entries(f.maps)) {
      assert.equal(m.deletion?.status, 'ok', key);
      assert.equal(m.road?.status, 'ok', key);
      if (m.deletion?.status === 'ok') assert.equal(m.deletion.deletion.probabilities.length, 21);
      if (m.road?.status === 'ok') assert.equal(m.road.morf.perPercentile.length, 9);
    }
    assert.deepEqual(f.settings, { blurSigma: (8 * 64) / 224, blurSigma224: 8, controlDraws: 3, steps: 20, percentiles: [10, 20, 30, 40, 50, 60, 70, 80, 90], seed: 19 });
    assert.ok(f.sanity && 'rho' in f.sanity);
    assert.equal(f.sanity.fromLayer, 'stage3');
    assert.ok(f.sanity.redrawn.includes('fc.weight') && f.sanity.redrawn.includes('stages.2.0.conv1.weight'));
    assert.ok(!f.sanity.redrawn.some((n) => n.startsWith('stages.1.')));
    assert.deepEqual(Object.keys(f.sanity.rho), ['attention:stage3', 'cam:cam', 'cam:gradcam', 'cam:gradcam++', 'cam:layercam']);
    assert.match(f.reading, /^The 'happy' score ((falls|rises) \d\.\d\d|does not change) when AU\d+ \([a-z ]+\) is hidden(, | and (falls|rises) )\d\.\d\d for a control region of skin the same size\. Removing pixels in the order of stage3 attention gives a deletion AUC of \d\.\d\d \(random map \d\.\d\d\) and an insertion AUC of \d\.\d\d\.$/);
    // The same seed, the same numbers.
    assert.deepEqual({ ...(await explainer.faithfulness(explanation, ALL, TRUSTED)), ms: 0 }, { ...f, ms: 0 });
  });

  it('scores an exported model with the metrics it has, and says why the sanity check is out of reach', async () => {
    const explanation = await explainer.explain({ model: onnxModel, image: photo, className: 'happy', trusted: true });
    const f = await explainer.faithfulness(explanation, ALL, TRUSTED);
    assertFinite(f);
    assert.deepEqual(Object.keys(f.maps), ['attention:stage3', 'cam:cam', 'au', 'random']);
    assert.ok(f.sanity && 'unavailable' in f.sanity);
    assert.match(f.sanity.unavailable, /checkpoint it came from/);
  });

  it('says, for a class without AUs, that there is nothing to hide and no AU map to order by', async () => {
    const explanation = await explainer.explain({ model: ckpt, image: photo, className: 'neutral', trusted: true });
    const f: FaithfulnessReport = await explainer.faithfulness(explanation, QUICK, TRUSTED);
    assertFinite(f);
    assert.deepEqual(f.auOcclusion, { status: 'skipped', reason: 'no-aus', detail: 'the class uses no action units (e.g. neutral), so there is nothing to hide' });
    assert.deepEqual(f.aus, []);
    assert.equal(f.maps['au']!.deletion?.status, 'skipped');
    assert.equal(f.maps['au']!.road?.status, 'skipped');
    assert.equal(f.maps['attention:stage3']!.deletion?.status, 'ok');
    assert.match(f.reading, /^No AU occlusion for 'neutral': the class uses no action units \(e\.g\. neutral\), so there is nothing to hide\. Removing pixels/);
  });

  it('says so when every AU of the class falls outside the crop', async () => {
    const explanation = await explainer.explain({ model: ckpt, image: outside, className: 'happy', trusted: true });
    const f = await explainer.faithfulness(explanation, QUICK, TRUSTED);
    assertFinite(f);
    assert.equal(f.auOcclusion?.status, 'skipped');
    assert.equal(f.auOcclusion?.status === 'skipped' && f.auOcclusion.reason, 'outside-image');
    assert.ok(f.aus.every((a) => a.drop === null));
    assert.equal(f.maps['au']!.deletion?.status === 'skipped' && f.maps['au']!.deletion.reason, 'outside-image');
    assert.match(f.reading, /^No AU occlusion for 'happy': none of AU6, AU12, AU25 falls inside the 64×64 input\./);
  });

  it('skips a constant map by name instead of ranking its pixels in raster order', async () => {
    const explanation = await explainer.explain({ model: flatCkpt, image: photo, className: 'happy', trusted: true });
    const f = await explainer.faithfulness(explanation, QUICK, TRUSTED);
    assertFinite(f);
    for (const key of ['cam:cam', 'cam:gradcam', 'cam:gradcam++', 'cam:layercam']) {
      assert.deepEqual(f.maps[key]!.deletion, { status: 'skipped', reason: 'constant-map', detail: 'the map is constant, so it ranks no pixel above another' }, key);
      assert.equal(f.maps[key]!.road?.status === 'skipped' && f.maps[key]!.road.reason, 'constant-map');
    }
    assert.equal(f.maps['attention:stage3']!.deletion?.status, 'ok');
  });

  it('skips every metric of a class the model lacks', async () => {
    const model = await openModel(ckpt, {}, { trusted: true });
    try {
      const image = { channels: 3, width: 64, height: 64, data: new Float32Array(3 * 64 * 64) };
      const map = { width: 64, height: 64, data: Float32Array.from({ length: 64 * 64 }, (_, i) => i) };
      const planned = planFace({ image, labels: model.description.labels, className: 'contempt', regions: { status: 'skipped', reason: 'no-landmarks', detail: '' }, maps: new Map([['m', map]]), seed: 1 }, QUICK.settings);
      const [face] = await scoreFaces(await model.classifier(), [planned]);
      assert.equal(face!.auOcclusion?.status === 'skipped' && face!.auOcclusion.reason, 'class-not-in-model');
      assert.equal(face!.maps['m']!.deletion?.status === 'skipped' && face!.maps['m']!.deletion.reason, 'class-not-in-model');
      assert.equal(face!.maps['m']!.road?.status === 'skipped' && face!.maps['m']!.road.reason, 'class-not-in-model');
    } finally {
      await model.release();
    }
  });
});
