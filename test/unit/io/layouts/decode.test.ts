import assert from 'node:assert/strict';
import { appendFile } from 'node:fs/promises';
import * as path from 'node:path';
import sharp from 'sharp';
import { ImageError } from '../../../../src/trainer/io/image';
import { cropToSquare, decodeSource } from '../../../../src/trainer/io/layouts/decode';
import { readDataset } from '../../../../src/trainer/io/layouts/readDataset';
import { rafDbCrop, readRafDb } from '../../../../src/trainer/io/layouts/rafdb';
import type { Face } from './fixtures';
import { greyLevels, makeAffectNetCsv, makeFer2013, makeRafDbOriginal, RAF_PHOTO, rafPhoto, useFixtures } from './fixtures';

/** The reference's 224 crop made another way: sharp's own extract and resize of the photo. */
async function sharpCrop(photo: Buffer, left: number, top: number, right: number, bottom: number): Promise<Uint8Array> {
  const out = await sharp(photo).removeAlpha().extract({ left, top, width: right - left, height: bottom - top })
    .resize(224, 224, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer();
  return new Uint8Array(out);
}

function maxDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('decodeSource: one decoder for files, cropped photos and CSV pixel rows', function () {
  this.timeout(60_000);
  const fixtures = useFixtures('layouts-decode', 2);
  let faces: Face[];
  before(() => { faces = fixtures.faces(); });

  it('gives a FER2013 row back as RGB with its grey level in every channel, read alone from its byte range', async () => {
    const root = fixtures.fresh();
    await makeFer2013(root, faces);
    const d = await readDataset(root);
    for (const index of [0, 4, d.samples.length - 1]) {
      const sample = d.samples[index]!;
      const row = Number(sample.relPath.split('#')[1]);
      const decoded = await decodeSource(sample.source);
      const grey = await greyLevels(faces[row]!.file);
      assert.equal(decoded.width, 48);
      assert.deepEqual(decoded.data.filter((_, i) => i % 3 === 1), grey);
      assert.match(decoded.source, /^fer2013\.csv line \d+$/);
    }
    await appendFile(path.join(root, 'fer2013.csv'), '0,1 2,Training\r\n');
    await assert.rejects(decodeSource(d.samples[0]!.source), (err: unknown) => err instanceof ImageError && /changed since the dataset was read/.test(err.message));
  });

  it("cuts RAF-DB photos as the reference does: the box read as (y0, x0, y1, x1), 15 % per side, its clamp, 224 px", async () => {
    const root = fixtures.fresh();
    await makeRafDbOriginal(root, faces.slice(0, 3));
    const d = await readDataset(root);
    assert.equal(d.layout, 'rafdb-original');
    // Box "20 50 68 98": extents 48, so 7 px per side (int(48 × 0.3 / 2)); PIL box (50 − 7, 20 − 7, 98 + 7, 68 + 7),
    // then right ≤ height − 1 = 89 (the reference's clamp) and bottom ≤ width − 1 = 119.
    const first = d.samples.find((s) => s.relPath === 'Image/original/train_00001.jpg')!;
    const crop = first.source.kind === 'file' ? first.source.crop : undefined;
    assert.deepEqual(crop, { left: 43, top: 13, right: 105, bottom: 75, clamp: 'transposed', side: 224 });
    const decoded = await decodeSource(first.source);
    const photo = await rafPhoto(faces[0]!);
    assert.equal(decoded.width, 224);
    assert.ok(maxDiff(decoded.data, await sharpCrop(photo, 43, 13, 89, 75)) <= 1);

    const xyxy = await readRafDb(root, { boxOrder: 'xyxy' });
    const xyFirst = xyxy.samples.find((s) => s.relPath === first.relPath)!;
    const xyCrop = xyFirst.source.kind === 'file' ? xyFirst.source.crop : undefined;
    assert.deepEqual(xyCrop, { left: 13, top: 43, right: 75, bottom: 105, clamp: 'image', side: 224 });
    // Read as (x0, y0, x1, y1), the box reaches 15 px below the 90 px photo: clamped to 89, as PIL would be asked.
    assert.ok(maxDiff((await decodeSource(xyFirst.source)).data, await sharpCrop(photo, 13, 43, 75, 89)) <= 1);
  });

  it('pads with black where a crop still reaches past the photo (a tall photo under the transposed clamp)', async () => {
    const image = { width: 40, height: 100, data: new Uint8Array(40 * 100 * 3).fill(200), source: 'tall' };
    // right ≤ height − 1 = 99 lets the crop run 40 px past the 40 px wide image.
    const out = await cropToSquare(image, { left: 0, top: 0, right: 80, bottom: 30, clamp: 'transposed', side: 80 });
    assert.ok(out.data[(40 * 80 + 5) * 3]! > 190, 'left half keeps the image');
    assert.ok(out.data[(40 * 80 + 75) * 3]! < 10, 'right half is black');
    await assert.rejects(cropToSquare(image, { left: 50, top: 0, right: 60, bottom: 10, clamp: 'image', side: 8 }), /lies outside the 40×100 image/);
  });

  it("passes AffectNet's face box on to the detector with the image", async () => {
    const root = fixtures.fresh();
    await makeAffectNetCsv(root, faces.slice(0, 4));
    const d = await readDataset(root);
    const decoded = await decodeSource(d.samples[0]!.source);
    assert.deepEqual(decoded.faceBox, { x: 2, y: 3, width: 40, height: 41 });
    assert.equal(decoded.width, 48);
  });

  it('reads box numbers as the reference: clamped at 0, truncated, 30 % growth truncated per side', () => {
    assert.deepEqual(rafDbCrop([-3.7, 10.9, 100.2, 210.99], 'reference'), { left: 10 - 30, top: 0 - 15, right: 210 + 30, bottom: 100 + 15, clamp: 'transposed', side: 224 });
    assert.equal(RAF_PHOTO.width, 120);
  });
});
