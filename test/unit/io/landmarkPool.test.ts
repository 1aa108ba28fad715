import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { RgbImage } from '../../../src/trainer/io/image';
import type { LandmarkOutcome } from '../../../src/trainer/io/landmarkPool';
import { detectLandmarks } from '../../../src/trainer/io/landmarkPool';
import type { DetectedFace, FaceLandmarker } from '../../../src/trainer/io/landmarks';
import { LandmarkDetector } from '../../../src/trainer/io/landmarks';
import type { SampleSource } from '../../../src/trainer/io/layouts/types';
import { ck48Dir } from '../../helpers/paths';
import { makeTempDir } from './fixtures';

/** Counts detections; a face filling every image. */
class CountingDetector implements FaceLandmarker {
  readonly version = 'counting-1';
  calls = 0;
  async detect(image: RgbImage): Promise<DetectedFace[]> {
    this.calls++;
    const landmarks = Array.from({ length: 68 }, (_, k) => ({ x: (k % 10) + 1, y: Math.floor(k / 10) + 1 }));
    return [{ box: { x: 0, y: 0, width: image.width, height: image.height }, score: 0, method: 'whole-image', landmarks }];
  }
}

async function ck48Sources(n: number): Promise<SampleSource[]> {
  const dir = path.join(ck48Dir, 'happy');
  const names = (await readdir(dir)).sort().slice(0, n);
  return names.map((name) => ({ kind: 'file', path: path.join(dir, name) }));
}

function byIndex(): { outcomes: LandmarkOutcome[]; onResult: (i: number, o: LandmarkOutcome) => void } {
  const outcomes: LandmarkOutcome[] = [];
  return { outcomes, onResult: (i, o) => { outcomes[i] = o; } };
}

describe('io/landmarkPool detectLandmarks', () => {
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  before(async () => ({ dir, cleanup } = await makeTempDir('au-lens-lmpool-')));
  after(() => cleanup());

  it('a pool of two workers finds the same landmarks as one thread, and fills the same cache', async function () {
    this.timeout(180_000);
    const sources = await ck48Sources(6);
    const detector = await LandmarkDetector.create();
    const one = byIndex();
    const inThread = await detectLandmarks(sources, { detector, workers: 0, cacheDir: path.join(dir, 'a'), onResult: one.onResult });
    const two = byIndex();
    const pooled = await detectLandmarks(sources, { detector, workers: 2, cacheDir: path.join(dir, 'b'), onResult: two.onResult });
    assert.equal(inThread.workers, 0);
    assert.equal(pooled.workers, 2);
    assert.equal(pooled.detected, 6);
    assert.deepEqual(two.outcomes, one.outcomes);
    // Resumed from the cache the pool wrote: nothing is detected again.
    const again = await detectLandmarks(sources, { detector, workers: 2, cacheDir: path.join(dir, 'b') });
    assert.deepEqual([again.cached, again.detected], [6, 0]);
  });

  it('resumes an interrupted pass from the cache: only the images not done are detected', async () => {
    const sources = await ck48Sources(8);
    const cacheDir = path.join(dir, 'resume');
    const detector = new CountingDetector();
    const controller = new AbortController();
    await assert.rejects(detectLandmarks(sources, {
      detector, workers: 0, cacheDir, signal: controller.signal,
      onResult: (i) => { if (i === 2) controller.abort(new Error('stopped')); },
    }), /stopped/);
    assert.equal(detector.calls, 3);
    const resumed = await detectLandmarks(sources, { detector, workers: 0, cacheDir });
    assert.deepEqual([resumed.cached, resumed.detected, detector.calls], [3, 5, 8]);
  });

  it('an unreadable image in the middle is listed and the pass goes on', async () => {
    const sources = await ck48Sources(3);
    const broken = path.join(dir, 'broken.png');
    await writeFile(broken, 'not a png');
    const all: SampleSource[] = [sources[0]!, { kind: 'file', path: broken }, sources[1]!, sources[2]!];
    const { outcomes, onResult } = byIndex();
    const summary = await detectLandmarks(all, { detector: new CountingDetector(), workers: 0, cacheDir: path.join(dir, 'bad'), onResult });
    assert.deepEqual([summary.detected, summary.failed], [3, 1]);
    const failed = outcomes[1]!;
    assert.ok(!failed.ok && failed.reason.includes('broken.png'), JSON.stringify(failed));
  });

  it('keys a CSV row, which has no file of its own, by its pixels', async () => {
    const csv = path.join(dir, 'fer2013.csv');
    const pixels = Array.from({ length: 48 * 48 }, (_, i) => (i * 7) % 256).join(' ');
    const header = 'emotion,pixels,Usage\n';
    const row = `3,${pixels},Training\n`;
    await writeFile(csv, header + row + row);
    const rowSource = (line: number, offset: number): SampleSource => ({
      kind: 'csv-pixels', file: csv, fileSize: Buffer.byteLength(header + row + row), offset, length: Buffer.byteLength(row),
      line, column: 1, width: 48, height: 48,
    });
    const detector = new CountingDetector();
    const twoRows = [rowSource(2, Buffer.byteLength(header)), rowSource(3, Buffer.byteLength(header + row))];
    const summary = await detectLandmarks(twoRows, { detector, workers: 0, cacheDir: path.join(dir, 'csv') });
    assert.deepEqual([summary.detected, summary.cached], [1, 1], 'the same pixels in two rows share one cache entry');
  });
});
