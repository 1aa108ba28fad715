import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { decodeImage } from '../../../src/trainer/io/image';
import { detectWithCache, landmarkCachePath } from '../../../src/trainer/io/landmarkCache';
import { sha256 } from '../../../src/trainer/io/sourceIdentity';
import { LandmarkDetector } from '../../../src/trainer/io/landmarks';
import type { DetectedFace } from '../../../src/trainer/io/landmarks';
import { isTightCrop } from '../../../src/trainer/science/faceCheck';
import type { Point } from '../../../src/trainer/science/types';
import { demoFaceCrop } from '../../helpers/demoFaceCrop';
import { ck48Dir, faceApiDemoDir } from '../../helpers/paths';
import { faceFreeRaw, makeTempDir } from './fixtures';

function mean(points: readonly Point[]): Point {
  const n = points.length;
  return { x: points.reduce((s, p) => s + p.x, 0) / n, y: points.reduce((s, p) => s + p.y, 0) / n };
}

/** iBUG indices: 36–41 and 42–47 the eyes, 30 the nose tip, 48–67 the mouth. */
function assertSaneGeometry(face: DetectedFace, label: string): void {
  const lm = face.landmarks;
  assert.equal(lm.length, 68, `${label}: 68 points`);
  assert.ok(lm.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y)), `${label}: finite points`);
  const eyeR = mean(lm.slice(36, 42));
  const eyeL = mean(lm.slice(42, 48));
  const eyes = mean([eyeR, eyeL]);
  const mouth = mean(lm.slice(48, 68));
  const nose = lm[30]!;
  assert.ok(eyes.y < nose.y && nose.y < mouth.y, `${label}: eyes (${eyes.y}) above nose (${nose.y}) above mouth (${mouth.y})`);
  // Landmark 36 is the subject's right eye, which appears on the image's left.
  assert.ok(eyeR.x < eyeL.x, `${label}: eye order`);
  const { box } = face;
  const margin = 0.25;
  const inside = lm.filter(
    (p) =>
      p.x >= box.x - margin * box.width &&
      p.x <= box.x + (1 + margin) * box.width &&
      p.y >= box.y - margin * box.height &&
      p.y <= box.y + (1 + margin) * box.height,
  ).length;
  assert.ok(inside >= 64, `${label}: ${inside}/68 landmarks inside the (25 % enlarged) box`);
}

function listCk48(): string[] {
  return readdirSync(ck48Dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(path.join(ck48Dir, d.name))
        .filter((f) => f.endsWith('.png'))
        .map((f) => path.join(ck48Dir, d.name, f)),
    )
    .sort();
}

describe('io/landmarks LandmarkDetector', function () {
  this.timeout(120_000);
  let detector: LandmarkDetector;

  before(async () => {
    detector = await LandmarkDetector.create();
  });

  it('shares one tfjs/face-api initialisation between detectors', async () => {
    const started = performance.now();
    const second = await LandmarkDetector.create({ wholeImageFallback: false });
    assert.ok(performance.now() - started < 50, 'a second detector must not reload the models');
    assert.equal(tf.getBackend(), 'wasm');
    assert.notEqual(second.version, detector.version, 'options are part of the version (cache key)');
  });

  it('finds the 3 faces of face-api demo/sample1.jpg with sane landmark geometry', async () => {
    const image = await decodeImage(path.join(faceApiDemoDir, 'sample1.jpg'));
    const tensorsBefore = tf.memory().numTensors;
    const faces = await detector.detect(image);
    assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor leaked');
    assert.equal(faces.length, 3);
    for (const [i, face] of faces.entries()) {
      assert.equal(face.method, 'detector');
      assert.ok(face.score > 0.9, `face ${i} score ${face.score}`);
      assert.ok(face.box.x >= 0 && face.box.x + face.box.width <= image.width, `face ${i} box inside the photo`);
      assertSaneGeometry(face, `sample1 face ${i}`);
    }
    assert.deepEqual(
      faces.map((f) => f.score),
      [...faces.map((f) => f.score)].sort((a, b) => b - a),
      'sorted by score',
    );
  });

  it('does not reuse the landmarks that revision 1 (the detector chosen by image size alone) cached', async () => {
    const { dir, cleanup } = await makeTempDir('au-lens-r1-cache-');
    try {
      const file = path.join(faceApiDemoDir, 'sample1.jpg');
      const content = sha256(await readFile(file));
      // Revision 1's cache key with the default options, as LandmarkDetector built it before this revision.
      const faceApi = detector.version.split(' ')[0]!;
      const r1 = `${faceApi} r1 ssd>=0.3 crop<=256:tiny320>=0.05,border0.5,288px,whole-image`;
      const stale = {
        box: [0, 0, 10, 10], score: 1, method: 'padded', landmarks: Array.from({ length: 68 }, () => [5, 5]),
      };
      const plant = async (cacheDir: string, version: string): Promise<void> => {
        const entry = landmarkCachePath(cacheDir, content, version);
        await mkdir(path.dirname(entry), { recursive: true });
        await writeFile(entry, JSON.stringify({ format: 1, detector: version, sha256: content, faces: [stale] }));
      };
      // The planted entry is one the cache would read under the current key…
      await plant(path.join(dir, 'current'), detector.version);
      const reused = await detectWithCache(detector, file, { dir: path.join(dir, 'current') });
      assert.deepEqual(reused.map((f) => f.box), [{ x: 0, y: 0, width: 10, height: 10 }]);
      // …but under revision 1's it is never looked up.
      assert.match(detector.version, / r2 /);
      await plant(path.join(dir, 'r1'), r1);
      const faces = await detectWithCache(detector, file, { dir: path.join(dir, 'r1') });
      assert.equal(faces.length, 3, 'detected afresh, not the stale entry\'s one face');
      assert.ok(faces.every((f) => f.method === 'detector' && f.box.width > 100));
    } finally {
      await cleanup();
    }
  });

  it('returns [] for a 640×480 photo without a face', async () => {
    const png = await sharp(faceFreeRaw(640, 480), { raw: { width: 640, height: 480, channels: 3 } }).png().toBuffer();
    assert.deepEqual(await detector.detect(await decodeImage(png, { source: 'gradient.png' })), []);
  });

  it('finds no face on a flat grey crop: the landmarks the whole-image fallback draws there fail the check', async () => {
    const grey = await decodeImage(await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).png().toBuffer());
    assert.deepEqual(await detector.detect(grey), []);
  });

  it('takes a tight crop whole when the padded search finds nothing, only when allowed', async () => {
    // A tight 56-px crop (below SSD's 64) of a demo photo's face; no tiny-detector box scores 0.99999.
    const crop = await decodeImage(await demoFaceCrop(56), { source: 'crop.png' });
    const blind = await LandmarkDetector.create({ cropScoreThreshold: 0.99999 });
    const faces = await blind.detect(crop);
    assert.equal(faces.length, 1);
    assert.equal(faces[0]!.method, 'whole-image');
    assert.equal(faces[0]!.score, 0);
    assert.deepEqual(faces[0]!.box, { x: 0, y: 0, width: crop.width, height: crop.height });
    assertSaneGeometry(faces[0]!, 'whole-image crop');
    const strict = await LandmarkDetector.create({ cropScoreThreshold: 0.99999, wholeImageFallback: false });
    assert.deepEqual(await strict.detect(crop), []);
  });

  describe('CK+48 (research-only data in ../shared/data, never copied)', function () {
    this.timeout(900_000);

    before(function () {
      if (!existsSync(ck48Dir)) {
        console.log(`      skipped: ${ck48Dir} is absent (CK+48 is research-only and lives outside the repo)`);
        this.skip();
      }
    });

    it('finds landmarks on every image, each a tight crop (its own face frame)', async () => {
      const files = listCk48();
      assert.ok(files.length > 900, `expected the 981 CK+48 images, found ${files.length}`);
      const methods: Record<string, number> = {};
      const tensorsBefore = tf.memory().numTensors;
      let detectMs = 0;
      const started = performance.now();
      for (const file of files) {
        const image = await decodeImage(file);
        const t0 = performance.now();
        const faces = await detector.detect(image);
        detectMs += performance.now() - t0;
        const best = faces[0];
        const key = best?.method ?? 'none';
        methods[key] = (methods[key] ?? 0) + 1;
        if (best) {
          assertSaneGeometry(best, file);
          assert.ok(isTightCrop(best.landmarks, image.width, image.height), `${file}: a tight crop`);
        }
      }
      const totalMs = performance.now() - started;
      const found = files.length - (methods.none ?? 0);
      console.log(
        `      CK+48: landmarks on ${found}/${files.length} (${((100 * found) / files.length).toFixed(1)} %), ` +
          `methods ${JSON.stringify(methods)}, ${(detectMs / files.length).toFixed(1)} ms/image detect, ` +
          `${(totalMs / files.length).toFixed(1)} ms/image with decode`,
      );
      assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor leaked over the dataset');
      assert.equal(found, files.length, `landmarks on ${found}/${files.length}`);
    });
  });
});
