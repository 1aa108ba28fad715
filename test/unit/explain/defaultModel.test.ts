/**
 * A fresh install explains with face-api's expression network: `au-lens explain` without --model, on face-api's
 * demo photo with the real detector, cropping the face as face-api's withFaceExpressions does (so it reads the smile
 * face-api reads).
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { runCli } from '../../../src/trainer/cli/main';
import { faceApiFaceBox, faceApiFrame } from '../../../src/trainer/data/faceApiCrop';
import type { ExplanationReport } from '../../../src/trainer/explain/explanation';
import { decodeImage } from '../../../src/trainer/io/image';
import { LandmarkDetector } from '../../../src/trainer/io/landmarks';
import { faceApiDemoDir } from '../../helpers/paths';
import { makeTempDir } from '../io/fixtures';

describe('au-lens explain without --model: face-api\'s expression network', function () {
  this.timeout(60_000);
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};

  before(async () => {
    ({ dir, cleanup } = await makeTempDir('explain-default'));
  });
  after(() => cleanup());

  it('explains the photo\'s face with every layer and CAM, on face-api\'s crop of it', async () => {
    const out = path.join(dir, 'out');
    const lines: string[] = [];
    const errors: string[] = [];
    const code = await runCli(['explain', '--image', path.join(faceApiDemoDir, 'sample1.jpg'), '--out', out, '--cache', path.join(dir, 'cache'), '--threads', '1', '--json'],
      { out: (l) => lines.push(l), err: (l) => errors.push(l) });
    assert.equal(code, 0, errors.join('\n'));
    const report = JSON.parse(lines.join('\n')) as ExplanationReport;
    assert.deepEqual(
      [report.model.path, report.model.kind, report.model.preset, report.model.inputSize, report.model.camLayer],
      ['faceapi-expression', 'checkpoint', 'faceapi-expression', 112, 'dense3'],
    );
    assert.deepEqual(report.model.labels, ['neutral', 'happy', 'sad', 'anger', 'fear', 'disgust', 'surprise']);
    // face-api's own detectSingleFace(…).withFaceLandmarks().withFaceExpressions() reads this face as happy 0.63
    // (0.97 without withFaceLandmarks(), on the detector's box); our crop, rounded to bytes, gives 0.61.
    assert.equal(report.predicted.class, 'happy');
    assert.ok(Math.abs(report.predicted.probability - 0.63) < 0.03, `${report.predicted.probability}`);
    // face-api's square about the landmarks (data/faceApiCrop.ts); the explanation's landmarks went through the cache,
    // which rounds them to 0.01 px, so the floored box may move by a pixel.
    const [face] = await (await LandmarkDetector.create()).detect(await decodeImage(path.join(faceApiDemoDir, 'sample1.jpg')));
    const expected = faceApiFrame(faceApiFaceBox(face!.landmarks, report.image.width, report.image.height));
    const frame = report.face.frame;
    assert.ok(Math.max(Math.abs(frame.x - expected.x), Math.abs(frame.y - expected.y), Math.abs(frame.side - expected.side)) <= 1, JSON.stringify(frame));
    assert.deepEqual(Object.keys(report.attCos), ['dense0', 'dense1', 'dense2', 'dense3']);
    assert.ok(Object.values(report.attCos).every((v) => v !== null && v > 0 && v < 1));
    assert.deepEqual(report.methods.computed, ['cam', 'gradcam', 'gradcam++', 'layercam']);
    assert.match(report.reading, /^happy 0\.\d\d — \d+ % of dense3 attention lies on AU6, AU12, AU25$/);
    assert.equal((await readdir(out)).filter((f) => f.endsWith('.png')).length, 10);
    // By default, AU occlusion and deletion/insertion curves; ROAD and the sanity check on --faithfulness all.
    const f = report.faithfulness!;
    assert.equal(f.auOcclusion?.status, 'ok');
    assert.deepEqual(f.aus.map((a) => a.au).sort(), ['AU12', 'AU25', 'AU6']);
    assert.deepEqual(Object.keys(f.maps), ['attention:dense3', 'cam:cam', 'cam:gradcam', 'cam:gradcam++', 'cam:layercam', 'au', 'random']);
    assert.ok(Object.values(f.maps).every((m) => m.deletion?.status === 'ok' && m.road === undefined));
    assert.equal(f.sanity, null);
    assert.match(f.reading, /^The 'happy' score falls 0\.\d\d when AU\d+ \(/);
  });
});
