/**
 * `au-lens landmarks` says how many faces each face-finding strategy found, on a tiny dataset made at test time from
 * face-api's MIT demo photo: the photo itself (SSD), a tight 56-px crop of its best face (too small for SSD) and a
 * flat grey image (no face).
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import sharp from 'sharp';
import { runCli } from '../../../src/trainer/cli/main';
import { demoFaceCrop } from '../../helpers/demoFaceCrop';
import { faceApiDemoDir } from '../../helpers/paths';
import { makeTempDir } from '../io/fixtures';

describe('au-lens landmarks', function () {
  this.timeout(120_000);
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};

  before(async () => {
    ({ dir, cleanup } = await makeTempDir('landmarks-cli'));
    for (const cls of ['happy', 'sad', 'anger']) await mkdir(path.join(dir, 'data', cls), { recursive: true });
    await copyFile(path.join(faceApiDemoDir, 'sample1.jpg'), path.join(dir, 'data', 'happy', 'photo.jpg'));
    await writeFile(path.join(dir, 'data', 'sad', 'crop.png'), await demoFaceCrop(56));
    await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).toFile(path.join(dir, 'data', 'anger', 'grey.png'));
  });
  after(() => cleanup());

  it('prints the faces each strategy found and the images without one', async () => {
    const lines: string[] = [];
    const argv = ['landmarks', '--data', path.join(dir, 'data'), '--cache', path.join(dir, 'cache')];
    assert.equal(await runCli(argv, { out: (l) => lines.push(l), err: () => {} }), 0);
    const text = lines.join('\n');
    assert.match(text, /landmarks on 2\/3 images/);
    assert.match(text, /faces by strategy: SSD on the image \(detector\) 1, tiny detector on a grey border \(padded\) 1, whole image \(whole-image\) 0; no face 1/);
    const json: string[] = [];
    assert.equal(await runCli([...argv, '--json'], { out: (l) => json.push(l), err: () => {} }), 0);
    assert.deepEqual(JSON.parse(json.join('\n')).methods, { detector: 1, padded: 1, 'whole-image': 0 });
  });
});
