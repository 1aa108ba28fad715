/**
 * The explanation panel's data from the worker (explainForPanel) on generated photos with a stand-in landmarker:
 * the no-model view (landmarks and every expression's AU map), the model view (every map at the face frame's size,
 * in [0, 1]), TIFF previews, the errors the panel tells apart, and the buffers the worker transfers.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import sharp from 'sharp';
import { Explainer } from '../../../src/trainer/explain/explainImage';
import { ExplainRequestError } from '../../../src/trainer/explain/explanation';
import type { ExplainRunResult } from '../../../src/trainer/explain/panelData';
import { explainForPanel, NoFaceError, PANEL_MAP_SIDE } from '../../../src/trainer/explain/panelData';
import type { RgbImage } from '../../../src/trainer/io/image';
import type { DetectedFace, FaceLandmarker } from '../../../src/trainer/io/landmarks';
import { PAPER_CLASSES } from '../../../src/trainer/science/labels';
import { saveCheckpoint } from '../../../src/trainer/train/checkpoint';
import { syntheticFace } from '../../helpers/syntheticFace';
import { randomCheckpoint } from '../export/fixtures';
import { makeTempDir, writeFixture } from '../io/fixtures';

/** A weak face at the top left and a strong one in the middle; none in files named "blank". */
const landmarker: FaceLandmarker = {
  version: 'panel-test-1',
  async detect(image: RgbImage): Promise<DetectedFace[]> {
    if (image.source.includes('blank')) return [];
    const at = (x: number, y: number, side: number): DetectedFace['landmarks'] => syntheticFace(side).map((p) => ({ x: p.x + x, y: p.y + y }));
    return [
      { box: { x: 20, y: 20, width: 60, height: 60 }, score: 0.5, method: 'detector', landmarks: at(10, 10, 80) },
      { box: { x: 200, y: 120, width: 120, height: 120 }, score: 0.97, method: 'detector', landmarks: at(182, 102, 156) },
    ];
  },
};

async function photo(format: 'png' | 'tiff', seed: number): Promise<Buffer> {
  const [w, h] = [480, 360];
  const raw = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) raw.set([(i % w) / 2, (i / w / 2) % 256, (seed * 40 + i) % 256], 3 * i);
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } }).toFormat(format).toBuffer();
}

const inUnitRange = (data: Float32Array): boolean => data.every((v) => v >= 0 && v <= 1);

describe('explain: panel data', function () {
  this.timeout(60000);
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  let explainer: Explainer;
  let cacheDir = '';

  before(async () => {
    ({ dir, cleanup } = await makeTempDir('panel'));
    cacheDir = path.join(dir, 'cache');
    explainer = new Explainer({ landmarker: async () => landmarker, landmarkCache: cacheDir });
  });
  after(async () => {
    await explainer.release();
    await cleanup();
  });
  const run = (request: Parameters<typeof explainForPanel>[0]): Promise<ExplainRunResult> => explainForPanel({ cacheDir, ...request }, { explainer, landmarker, trusted: true });

  it('without a model: every face, and the AU map of each expression of the codebook for the most confident face', async () => {
    const image = await writeFixture(dir, 'photo.png', await photo('png', 0));
    const r = await run({ imagePath: image });
    assert.equal(r.kind, 'landmarks');
    if (r.kind !== 'landmarks') return;
    assert.deepEqual([r.faces.length, r.face, r.faces[1]!.landmarks.length], [2, 1, 68]);
    assert.deepEqual(r.frame, { x: 182, y: 102, side: 156 });
    assert.equal(r.codebook, 'paper');
    assert.deepEqual(r.expressions.map((e) => e.expression), PAPER_CLASSES.filter((c) => c !== 'neutral'));
    assert.deepEqual(r.expressions[0]!.aus, [{ au: 'AU6', facs: 6, name: 'Cheek Raiser' }, { au: 'AU12', facs: 12, name: 'Lip Corner Puller' }, { au: 'AU25', facs: 25, name: 'Lips Part' }]);
    assert.deepEqual(r.maps.map((m) => m.id), r.expressions.map((e) => e.mapId));
    assert.ok(r.maps.every((m) => m.side === PANEL_MAP_SIDE && m.data.length === PANEL_MAP_SIDE ** 2 && inUnitRange(m.data)));
    assert.equal(r.preview, undefined, 'a PNG is shown as it is');
    assert.equal((await run({ imagePath: image, face: 0 })).face, 0);
    await assert.rejects(run({ imagePath: image, face: 2 }), (e: unknown) => e instanceof ExplainRequestError && /face 2 does not exist: 2 face/.test(e.message));
  });

  it('with a checkpoint: the report and every map over the face frame; TIFF photos come with a PNG preview', async () => {
    const ckpt = path.join(dir, 'model.ckpt');
    await saveCheckpoint(ckpt, randomCheckpoint(5, PAPER_CLASSES));
    const image = await writeFixture(dir, 'photo.tif', await photo('tiff', 1));
    const r = await run({ imagePath: image, model: ckpt, className: 'sad' });
    assert.equal(r.kind, 'model');
    if (r.kind !== 'model') return;
    assert.deepEqual([r.report.explained.class, r.face, r.faces.length], ['sad', 1, 2]);
    assert.deepEqual(r.frame, r.report.face.frame);
    assert.deepEqual(r.maps.map((m) => `${m.kind}:${m.key}`), [
      'au:au', 'attention:stem', 'attention:stage1', 'attention:stage2', 'attention:stage3', 'cam:cam', 'cam:gradcam', 'cam:gradcam++', 'cam:layercam']);
    assert.ok(r.maps.every((m) => m.data.length === PANEL_MAP_SIDE ** 2 && inUnitRange(m.data)));
    const preview = await sharp(Buffer.from(r.preview!.png)).metadata();
    assert.deepEqual([preview.format, preview.width, preview.height, r.preview!.scale], ['png', 480, 360, 1]);
  });

  it('with a checkpoint: what the decision depends on (AU occlusion, every map\'s curves; no ROAD, no sanity)', async () => {
    const r = await run({ imagePath: await writeFixture(dir, 'photo.png', await photo('png', 3)),
      model: path.join(dir, 'model.ckpt'), className: 'happy' });
    assert.ok(r.kind === 'model' && r.report.faithfulness);
    const f = r.report.faithfulness;
    assert.equal(f.class, 'happy');
    assert.equal(f.auOcclusion?.status, 'ok');
    assert.deepEqual(f.aus.map((a) => a.au).sort(), r.report.explained.aus.map((a) => a.au).sort());
    const drops = f.aus.map((a) => a.drop!);
    assert.deepEqual(drops, [...drops].sort((a, b) => b - a), 'largest drop first');
    assert.ok(f.aus.every((a) => a.share !== null && a.name !== ''));
    assert.deepEqual(Object.keys(f.maps), ['attention:stage3', 'cam:cam', 'cam:gradcam', 'cam:gradcam++', 'cam:layercam',
      'au', 'random']);
    for (const m of Object.values(f.maps)) {
      assert.ok(m.deletion?.status === 'ok' && m.deletion.deletion.fractions.length === 21 && m.road === undefined);
    }
    assert.equal(f.sanity, null);
    assert.match(f.reading, new RegExp(`^The 'happy' score ((falls|rises) \\d\\.\\d\\d|does not change) when ${f.aus[0]!.au} \\(`));
  });

  it('tells a photo without a face from other failures', async () => {
    const blank = await writeFixture(dir, 'blank.png', await photo('png', 2));
    await assert.rejects(run({ imagePath: blank }), (e: unknown) => e instanceof NoFaceError && /blank\.png \(480×360\): no face found/.test(e.message));
    const ckpt = path.join(dir, 'model.ckpt');
    await assert.rejects(run({ imagePath: blank, model: ckpt }), NoFaceError);
  });
});
