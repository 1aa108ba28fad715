import assert from 'node:assert/strict';
import * as path from 'node:path';
import sharp from 'sharp';
import { ALPHA_BACKGROUND, decodeImage, DEFAULT_MAX_PIXELS, ImageError } from '../../../src/trainer/io/image';
import type { RgbImage } from '../../../src/trainer/io/image';
import { faceFreeRaw, makeTempDir, noiseRaw, pngHeaderOnly, solid, writeFixture } from './fixtures';

function pixel(image: RgbImage, x: number, y: number): [number, number, number] {
  const i = (y * image.width + x) * 3;
  return [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!];
}

function assertNear(actual: readonly number[], expected: readonly number[], tolerance: number, what: string): void {
  const ok = actual.every((v, i) => Math.abs(v - expected[i]!) <= tolerance);
  assert.ok(ok, `${what}: got ${actual.join(',')}, expected ${expected.join(',')} ± ${tolerance}`);
}

/** Asserts decodeImage rejects with an ImageError naming the file and matching the problem. */
async function assertImageError(input: string, pattern: RegExp, options: Parameters<typeof decodeImage>[1] = {}): Promise<void> {
  await assert.rejects(decodeImage(input, options), (error: unknown) => {
    assert.ok(error instanceof ImageError, `expected ImageError, got ${String(error)}`);
    assert.ok(error.message.startsWith(`${input}: `), `message should name the file: ${error.message}`);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('io/image decodeImage', () => {
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  const colour = { r: 200, g: 30, b: 90 };

  before(async () => {
    ({ dir, cleanup } = await makeTempDir('image'));
  });
  after(() => cleanup());

  describe('rejects bad input with an actionable ImageError', () => {
    it('0-byte file', async () => {
      await assertImageError(await writeFixture(dir, 'empty.jpg', Buffer.alloc(0)), /empty file/);
    });

    it('missing file', async () => {
      await assertImageError(path.join(dir, 'nope.png'), /file not found/);
    });

    it('truncated JPEG', async () => {
      const jpeg = await sharp(noiseRaw(320, 240), { raw: { width: 320, height: 240, channels: 3 } }).jpeg().toBuffer();
      const file = await writeFixture(dir, 'truncated.jpg', jpeg.subarray(0, Math.floor(jpeg.length * 0.6)));
      await assertImageError(file, /corrupt or truncated/);
    });

    it('text file named .png', async () => {
      const file = await writeFixture(dir, 'notes.png', 'these are notes, not pixels\n');
      await assertImageError(file, /not an image: unrecognised format/);
    });

    it('format sharp reads but we do not promise (SVG)', async () => {
      const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>';
      await assertImageError(await writeFixture(dir, 'drawing.svg', svg), /unsupported format "svg"; convert it to JPEG or PNG/);
    });

    it('20000×20000 image fails from its header, before decoding', async () => {
      const header = pngHeaderOnly(20000, 20000);
      assert.ok(header.length < 120);
      const file = await writeFixture(dir, 'huge.png', header);
      const rssBefore = process.memoryUsage().rss;
      await assertImageError(file, /20000×20000 = 400 MP exceeds the 100 MP limit; downscale it or raise --max-pixels/);
      assert.ok(process.memoryUsage().rss - rssBefore < 200e6, 'no pixel buffer should have been allocated');
      assert.equal(DEFAULT_MAX_PIXELS, 100_000_000);
    });

    it('pixel limit is configurable', async () => {
      const file = await writeFixture(dir, 'small-limit.png', await solid(100, 100, colour).png().toBuffer());
      await assertImageError(file, /100×100 = 0\.01 MP exceeds the 0\.005 MP limit/, { maxPixels: 5000 });
      assert.equal((await decodeImage(file, { maxPixels: 10_000 })).width, 100);
    });

    it('8×8 image is too small to hold a face', async () => {
      const file = await writeFixture(dir, 'tiny.png', await solid(8, 8, colour).png().toBuffer());
      await assertImageError(file, /8×8 is too small to hold a face \(each side needs at least 32 px\)/);
    });

    it('a Buffer input is labelled by options.source', async () => {
      await assert.rejects(decodeImage(Buffer.alloc(0), { source: 'upload.jpg' }), /^ImageError: upload\.jpg: empty file/);
    });
  });

  describe('decodes odd-but-valid images to 8-bit sRGB', () => {
    async function decodeFixture(name: string, bytes: Buffer): Promise<RgbImage> {
      const image = await decodeImage(await writeFixture(dir, name, bytes));
      assert.equal(image.data.length, image.width * image.height * 3);
      return image;
    }

    it('plain JPEG', async () => {
      const image = await decodeFixture('plain.jpg', await solid(64, 40, colour).jpeg().toBuffer());
      assert.deepEqual([image.width, image.height], [64, 40]);
      assertNear(pixel(image, 10, 10), [200, 30, 90], 4, 'jpeg colour');
      assert.equal(image.source, path.join(dir, 'plain.jpg'));
    });

    it('CMYK JPEG', async () => {
      const bytes = await solid(64, 40, colour).toColourspace('cmyk').jpeg().toBuffer();
      assert.equal((await sharp(bytes).metadata()).space, 'cmyk');
      const image = await decodeFixture('cmyk.jpg', bytes);
      assertNear(pixel(image, 5, 5), [200, 30, 90], 25, 'cmyk → srgb');
    });

    it('16-bit PNG', async () => {
      const bytes = await solid(64, 40, colour).toColourspace('rgb16').png().toBuffer();
      assert.equal((await sharp(bytes).metadata()).depth, 'ushort');
      assertNear(pixel(await decodeFixture('deep.png', bytes), 0, 0), [200, 30, 90], 1, '16 → 8 bit');
    });

    it('grey (1-channel) PNG', async () => {
      const bytes = await sharp(Buffer.alloc(64 * 40, 105), { raw: { width: 64, height: 40, channels: 1 } }).toColourspace('b-w').png().toBuffer();
      assert.equal((await sharp(bytes).metadata()).channels, 1);
      assert.deepEqual(pixel(await decodeFixture('grey.png', bytes), 3, 3), [105, 105, 105]);
    });

    it('RGBA PNG: transparent pixels become mid grey, opaque ones keep their colour', async () => {
      const transparent = await decodeFixture('clear.png', await solid(64, 40, { r: 255, g: 0, b: 0, alpha: 0 }).png().toBuffer());
      assert.deepEqual(pixel(transparent, 0, 0), [ALPHA_BACKGROUND.r, ALPHA_BACKGROUND.g, ALPHA_BACKGROUND.b]);
      const opaque = await decodeFixture('opaque.png', await solid(64, 40, { ...colour, alpha: 1 }).png().toBuffer());
      assert.deepEqual(pixel(opaque, 0, 0), [200, 30, 90]);
    });

    it('animated GIF: first frame only', async () => {
      const red = await solid(64, 40, { r: 255, g: 0, b: 0 }).png().toBuffer();
      const blue = await solid(64, 40, { r: 0, g: 0, b: 255 }).png().toBuffer();
      const gif = await sharp([red, blue], { join: { animated: true } }).gif().toBuffer();
      assert.equal((await sharp(gif).metadata()).pages, 2);
      const image = await decodeFixture('anim.gif', gif);
      assert.deepEqual([image.width, image.height], [64, 40]);
      assertNear(pixel(image, 32, 20), [255, 0, 0], 8, 'first frame is red');
    });

    it('EXIF orientation 6 is applied (width and height swap)', async () => {
      // Left half red, right half blue; orientation 6 means "rotate 90° clockwise to display", so the left
      // column ends up on top.
      const raw = Buffer.alloc(64 * 40 * 3);
      for (let i = 0; i < 64 * 40; i++) raw.set(i % 64 < 32 ? [255, 0, 0] : [0, 0, 255], i * 3);
      const bytes = await sharp(raw, { raw: { width: 64, height: 40, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
      assert.equal((await sharp(bytes).metadata()).orientation, 6);
      const image = await decodeFixture('rotated.jpg', bytes);
      assert.deepEqual([image.width, image.height], [40, 64]);
      assertNear(pixel(image, 20, 5), [255, 0, 0], 40, 'top is red');
      assertNear(pixel(image, 20, 58), [0, 0, 255], 40, 'bottom is blue');
    });

    it('TIFF', async () => {
      assertNear(pixel(await decodeFixture('image.tiff', await solid(64, 40, colour).tiff().toBuffer()), 1, 1), [200, 30, 90], 1, 'tiff');
    });

    it('WebP', async () => {
      assertNear(pixel(await decodeFixture('image.webp', await solid(64, 40, colour).webp().toBuffer()), 1, 1), [200, 30, 90], 6, 'webp');
    });

    it('a Buffer input (a 640×480 PNG)', async () => {
      const png = await sharp(faceFreeRaw(640, 480), { raw: { width: 640, height: 480, channels: 3 } }).png().toBuffer();
      const image = await decodeImage(png);
      assert.deepEqual([image.width, image.height, image.source], [640, 480, '<buffer>']);
      assert.ok(image.data instanceof Uint8Array);
    });
  });
});
