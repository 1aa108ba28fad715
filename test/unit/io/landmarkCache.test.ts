import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImageError } from '../../../src/trainer/io/image';
import type { RgbImage } from '../../../src/trainer/io/image';
import {
  defaultLandmarkCacheDir,
  describeFailure,
  describeNoFace,
  detectWithCache,
  landmarkCachePath,
} from '../../../src/trainer/io/landmarkCache';
import { sha256 } from '../../../src/trainer/io/sourceIdentity';
import type { DetectedFace, FaceLandmarker } from '../../../src/trainer/io/landmarks';
import { makeTempDir, solid, writeFixture } from './fixtures';

/** Stands in for the real detector: deterministic faces with unrounded coordinates, and a call counter. */
class FakeDetector implements FaceLandmarker {
  calls = 0;
  constructor(
    readonly version = 'fake-1',
    private readonly faces = 1,
  ) {}

  async detect(image: RgbImage): Promise<DetectedFace[]> {
    this.calls++;
    return Array.from({ length: this.faces }, (_, i) => ({
      box: { x: 1 / 3 + i, y: 2 / 3, width: image.width / 2, height: image.height / 2 },
      score: 0.987654321 - i * 0.1,
      method: 'padded' as const,
      landmarks: Array.from({ length: 68 }, (_, k) => ({ x: k / 7, y: image.height - k / 9 })),
    }));
  }
}

async function listFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
}

describe('io/landmarkCache detectWithCache', () => {
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  let imageFile = '';

  before(async () => {
    ({ dir, cleanup } = await makeTempDir('landmark-cache'));
    imageFile = await writeFixture(dir, 'face.png', await solid(48, 48, { r: 90, g: 90, b: 90 }).png().toBuffer());
  });
  after(() => cleanup());

  it('runs the detector once per content and returns identical results on a hit', async () => {
    const cacheDir = path.join(dir, 'cache-hit');
    const detector = new FakeDetector();
    const first = await detectWithCache(detector, imageFile, { dir: cacheDir });
    const second = await detectWithCache(detector, imageFile, { dir: cacheDir });
    assert.equal(detector.calls, 1, 'the second call is served from the cache');
    assert.deepEqual(second, first);
    assert.equal(first.length, 1);
    assert.equal(first[0]!.landmarks.length, 68);
    assert.equal(first[0]!.box.x, 0.33, 'coordinates rounded to 0.01 px on a miss too');

    // Same bytes under another name: still a hit (the key is the content).
    const copy = await writeFixture(dir, 'renamed.png', await readFile(imageFile));
    assert.deepEqual(await detectWithCache(detector, copy, { dir: cacheDir }), first);
    assert.equal(detector.calls, 1);

    const files = await listFiles(cacheDir);
    assert.equal(files.length, 1, `one entry, no temp files left: ${files.join(', ')}`);
  });

  it('keeps results of different detector versions apart', async () => {
    const cacheDir = path.join(dir, 'cache-versions');
    const a = new FakeDetector('fake-a', 1);
    const b = new FakeDetector('fake-b', 2);
    assert.equal((await detectWithCache(a, imageFile, { dir: cacheDir })).length, 1);
    assert.equal((await detectWithCache(b, imageFile, { dir: cacheDir })).length, 2);
    assert.equal(b.calls, 1);
    const content = sha256(await readFile(imageFile));
    assert.notEqual(landmarkCachePath(cacheDir, content, 'fake-a'), landmarkCachePath(cacheDir, content, 'fake-b'));
  });

  it('caches "no face" too', async () => {
    const cacheDir = path.join(dir, 'cache-empty');
    const detector = new FakeDetector('fake-none', 0);
    assert.deepEqual(await detectWithCache(detector, imageFile, { dir: cacheDir }), []);
    assert.deepEqual(await detectWithCache(detector, imageFile, { dir: cacheDir }), []);
    assert.equal(detector.calls, 1);
  });

  for (const [label, corrupt] of [
    ['truncated JSON', '{"format":1,"detector":"fa'],
    ['valid JSON of the wrong shape', '{"format":1,"detector":"fake-1","sha256":"x","faces":[{"box":[1]}]}'],
    ['an empty file', ''],
  ] as const) {
    it(`ignores and rewrites a corrupt cache file (${label})`, async () => {
      const cacheDir = path.join(dir, `cache-corrupt-${label.replace(/\W+/g, '-')}`);
      const detector = new FakeDetector();
      const expected = await detectWithCache(detector, imageFile, { dir: cacheDir });
      const entry = landmarkCachePath(cacheDir, sha256(await readFile(imageFile)), detector.version);
      await writeFile(entry, corrupt);
      assert.deepEqual(await detectWithCache(detector, imageFile, { dir: cacheDir }), expected);
      assert.equal(detector.calls, 2, 'the corrupt entry was a miss');
      JSON.parse(await readFile(entry, 'utf8'));
      assert.deepEqual(await detectWithCache(detector, imageFile, { dir: cacheDir }), expected);
      assert.equal(detector.calls, 2, 'and was rewritten');
    });
  }

  it('passes image errors through and caches nothing', async () => {
    const cacheDir = path.join(dir, 'cache-errors');
    const detector = new FakeDetector();
    const empty = await writeFixture(dir, 'empty.png', Buffer.alloc(0));
    await assert.rejects(detectWithCache(detector, empty, { dir: cacheDir }), (e: unknown) => e instanceof ImageError && /empty file/.test(e.message));
    await assert.rejects(detectWithCache(detector, path.join(dir, 'missing.png'), { dir: cacheDir }), /file not found/);
    const big = await writeFixture(dir, 'big.png', await solid(100, 100, { r: 0, g: 0, b: 0 }).png().toBuffer());
    await assert.rejects(detectWithCache(detector, big, { dir: cacheDir, maxPixels: 5000 }), /exceeds the 0\.005 MP limit/);
    assert.equal(detector.calls, 0);
  });

  it('defaults to $XDG_CACHE_HOME/au-lens/landmarks, else ~/.cache/au-lens/landmarks', () => {
    assert.equal(defaultLandmarkCacheDir({ XDG_CACHE_HOME: '/var/cache/me' }), path.join('/var/cache/me', 'au-lens', 'landmarks'));
    assert.equal(defaultLandmarkCacheDir({}), path.join(os.homedir(), '.cache', 'au-lens', 'landmarks'));
    assert.equal(defaultLandmarkCacheDir({ XDG_CACHE_HOME: 'relative' }), path.join(os.homedir(), '.cache', 'au-lens', 'landmarks'));
  });

  it('describes failures in one line naming the file', () => {
    assert.equal(describeFailure('a.png', new ImageError('a.png', 'empty file (0 bytes)')), 'a.png: empty file (0 bytes)');
    assert.equal(describeFailure('b.png', new Error('wasm out of memory\nstack…')), 'b.png: landmark detection failed: wasm out of memory');
    assert.match(describeNoFace('c.jpg', 640, 480), /^c\.jpg \(640×480\): no face found; /);
  });
});
