import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { baseSideFor } from '../../../src/trainer/data/augment';
import { prepareSamples, sampleFrame } from '../../../src/trainer/data/prepare';
import { decodeImage } from '../../../src/trainer/io/image';
import type { RgbImage } from '../../../src/trainer/io/image';
import type { DetectedFace, FaceLandmarker } from '../../../src/trainer/io/landmarks';
import { LandmarkDetector } from '../../../src/trainer/io/landmarks';
import { codebookPreset } from '../../../src/trainer/science/codebook';
import type { Expression } from '../../../src/trainer/science/labels';
import { ck48Dir } from '../../helpers/paths';
import { syntheticFace } from '../../helpers/syntheticFace';
import { faceFreeRaw, makeTempDir, writeFixture } from '../io/fixtures';

const INPUT = 64;
const BASE = baseSideFor(INPUT);
const codebook = codebookPreset('paper');

/** A 400×300 photo: blue, with a red square exactly where the face frame (box enlarged by 30 %) will be. */
const BOX = { x: 150, y: 100, width: 100, height: 100 };
const FRAME = { x: 135, y: 85, side: 130 };

/** `variant` changes one corner pixel, so the landmark cache (keyed by content) tells the files apart. */
async function photoPng(variant = 0): Promise<Buffer> {
  const width = 400;
  const height = 300;
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inFrame = x >= FRAME.x && x < FRAME.x + FRAME.side && y >= FRAME.y && y < FRAME.y + FRAME.side;
      raw.set(inFrame ? [220, 20, 20] : [20, 20, 220], (y * width + x) * 3);
    }
  }
  raw[0] = variant;
  return sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** Two faces per photo (the weaker one elsewhere), none for files whose name contains "noface". */
class FakeDetector implements FaceLandmarker {
  readonly version = 'fake-prepare-1';

  async detect(image: RgbImage): Promise<DetectedFace[]> {
    if (image.source.includes('noface')) return [];
    const face = syntheticFace(FRAME.side).map((p) => ({ x: p.x + FRAME.x, y: p.y + FRAME.y }));
    return [
      { box: { x: 10, y: 10, width: 40, height: 40 }, score: 0.4, method: 'detector', landmarks: face.map((p) => ({ x: p.x - 140, y: p.y - 75 })) },
      { box: BOX, score: 0.95, method: 'detector', landmarks: face },
    ];
  }
}

describe('data/prepare', () => {
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  let photo = '';
  let noFace = '';
  let corrupt = '';

  before(async () => {
    ({ dir, cleanup } = await makeTempDir('prepare'));
    const png = await photoPng();
    photo = await writeFixture(dir, 'photo.png', png);
    noFace = await writeFixture(dir, 'noface.png', await photoPng(1));
    corrupt = await writeFixture(dir, 'corrupt.png', png.subarray(0, 60));
  });
  after(() => cleanup());

  const options = (overrides: Partial<Parameters<typeof prepareSamples>[1]> = {}): Parameters<typeof prepareSamples>[1] => ({
    labels: ['neutral', 'happy', 'surprise'] as Expression[],
    inputSize: INPUT,
    codebook,
    detector: new FakeDetector(),
    cacheDir: path.join(dir, 'cache'),
    ...overrides,
  });

  it('crops the most confident face\'s frame (box + 30 %) to the base square and builds its AU map', async () => {
    const { samples, report } = await prepareSamples([{ path: photo, label: 'happy' }], options());
    assert.deepEqual(report, { total: 1, prepared: 1, corrupt: [], noFace: [], auValid: 1, auInvalid: 0 });
    const [s] = samples;
    assert.equal(s!.label, 1);
    assert.equal(s!.side, BASE);
    assert.equal(s!.rgb.length, BASE * BASE * 3);
    // The red square fills the frame: every pixel is red (the rim may blend a little blue).
    let red = 0;
    for (let i = 0; i < BASE * BASE; i++) if (s!.rgb[i * 3]! > 200 && s!.rgb[i * 3 + 2]! < 40) red++;
    assert.ok(red > BASE * BASE * 0.95, `${red} of ${BASE * BASE} pixels red`);
    assert.equal(s!.au!.length, BASE * BASE);
    assert.ok(s!.au!.some((v) => v === 1) && s!.au!.every((v) => v >= 0 && v <= 1));
    assert.equal(s!.auInvalidReason, undefined);
  });

  it('keeps a neutral sample and a face-less image without a map, and skips a corrupt file with its reason', async () => {
    const progress: number[] = [];
    const { samples, report } = await prepareSamples(
      [{ path: photo, label: 'neutral' }, { path: corrupt, label: 'happy' }, { path: noFace, label: 'surprise' }],
      options({ onProgress: (done, total) => progress.push(done / total) }),
    );
    assert.deepEqual(progress, [1 / 3, 2 / 3, 1]);
    assert.equal(report.total, 3);
    assert.equal(report.prepared, 2);
    assert.equal(report.corrupt.length, 1);
    assert.equal(report.corrupt[0]!.path, corrupt);
    assert.match(report.corrupt[0]!.reason, /corrupt|truncated|decode/);
    assert.deepEqual(report.noFace, [noFace]);
    assert.equal(report.auValid, 0);
    assert.equal(report.auInvalid, 2);
    assert.deepEqual(samples.map((s) => [s.label, s.au, s.auInvalidReason]), [[0, undefined, 'no-aus'], [2, undefined, 'no-face']]);
    // Without a face the whole image is kept, centred: a 400×300 photo becomes a 400 px square with black bands.
    assert.deepEqual(sampleFrame({ width: 400, height: 300 }, undefined), { x: 0, y: -50, side: 400 });
    const face = samples[1]!;
    assert.deepEqual([...face.rgb.subarray(0, 3)], [0, 0, 0], 'the band above the photo is black');
  });

  it('can be cancelled between files', async () => {
    const controller = new AbortController();
    const files = [photo, photo, photo].map((p) => ({ path: p, label: 'happy' as const }));
    let done = 0;
    const run = prepareSamples(files, options({ signal: controller.signal, onProgress: (n) => { done = n; if (n === 1) controller.abort(); } }));
    await assert.rejects(run, (error: unknown) => (error as Error).name === 'AbortError');
    assert.equal(done, 1);
  });

  it('refuses a sample whose class is not among the labels', async () => {
    await assert.rejects(prepareSamples([{ path: photo, label: 'fear' }], options()), /class fear is not among the run's labels \(neutral, happy, surprise\)/);
  });

  describe('CK+48 with the real detector (research-only data in ../shared/data, never copied)', function () {
    this.timeout(120_000);

    before(function () {
      if (!existsSync(ck48Dir)) {
        console.log(`      skipped: ${ck48Dir} is absent (CK+48 is research-only and lives outside the repo)`);
        this.skip();
      }
    });

    it('prepares 21 face crops, lists the corrupt file and keeps the face-less photo without a map', async () => {
      const classes: Expression[] = ['anger', 'contempt', 'disgust', 'fear', 'happy', 'sad', 'surprise'];
      const crops = classes.flatMap((label) =>
        readdirSync(path.join(ck48Dir, label)).sort().slice(0, 3).map((f) => ({ path: path.join(ck48Dir, label, f), label })),
      );
      const landscape = await writeFixture(dir, 'landscape.png', await sharp(faceFreeRaw(640, 480), { raw: { width: 640, height: 480, channels: 3 } }).png().toBuffer());
      const detector = await LandmarkDetector.create();
      const started = performance.now();
      const { samples, report } = await prepareSamples([...crops, { path: corrupt, label: 'happy' }, { path: landscape, label: 'sad' }], {
        labels: classes,
        inputSize: INPUT,
        codebook,
        detector,
        cacheDir: path.join(dir, 'ck-cache'),
      });
      console.log(`      CK+48: ${crops.length} crops + 2 fixtures prepared in ${Math.round(performance.now() - started)} ms (cold cache)`);
      assert.equal(report.total, 23);
      assert.equal(report.prepared, 22);
      assert.deepEqual(report.corrupt.map((c) => c.path), [corrupt]);
      assert.deepEqual(report.noFace, [landscape]);
      // Contempt uses no AU in the paper's codebook; every other crop has a face and gets a map.
      const byReason = (r: string | undefined): number => samples.filter((s) => s.auInvalidReason === r).length;
      assert.equal(byReason('no-aus'), 3);
      assert.equal(byReason('no-face'), 1);
      assert.equal(report.auValid, 18);
      assert.equal(report.auInvalid, 4);

      // A tight crop is its own frame: the base square is the whole 48×48 image enlarged.
      const first = samples[0]!;
      const image = await decodeImage(first.path);
      const centre = (y: number, x: number): number => first.rgb[((y * BASE + x) * 3)]!;
      const source = (y: number, x: number): number => image.data[(Math.floor((y * 48) / BASE) * 48 + Math.floor((x * 48) / BASE)) * 3]!;
      let close = 0;
      for (let y = 2; y < BASE - 2; y++) for (let x = 2; x < BASE - 2; x++) if (Math.abs(centre(y, x) - source(y, x)) < 40) close++;
      assert.ok(close > 0.9 * (BASE - 4) ** 2, `${close} pixels follow the source`);

      // A second run is served by the landmark cache and gives the same samples.
      const again = await prepareSamples(crops.slice(0, 3), { labels: classes, inputSize: INPUT, codebook, detector, cacheDir: path.join(dir, 'ck-cache') });
      assert.deepEqual(again.samples, samples.slice(0, 3));
    });
  });
});
