/**
 * Any sample's pixels as 8-bit RGB, whatever holds them: an image file (sharp, through io/image.ts's decodeImage,
 * cut first when the sample has a crop), or a row of FER2013's CSV (read back alone by its byte range, grey levels
 * repeated into three channels). The cache and the landmark detector consume this one function.
 * Every failure about the sample is an ImageError, as decodeImage's, so a run can list the sample and go on.
 */
import { open } from 'node:fs/promises';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import sharp from 'sharp';
import type { DecodeOptions, RgbImage } from '../image';
import { decodeImage, ImageError } from '../image';
import { greyToRgb, parsePixels } from './pixels';
import { RECORD_CAP } from './safeFiles';
import type { CropSpec, DecodedSample, SampleSource } from './types';

export type DecodeSourceOptions = Pick<DecodeOptions, 'maxPixels'>;

/**
 * The region of `crop` in `image` as raw RGB: clamped as the crop says, black where it still reaches past the image
 * (as PIL's Image.crop pads), then stretched to side × side with Lanczos-3 (PIL's LANCZOS in the reference).
 */
export async function cropToSquare(image: RgbImage, crop: CropSpec): Promise<RgbImage> {
  const [limitRight, limitBottom] = crop.clamp === 'transposed'
    ? [image.height - 1, image.width - 1]
    : [image.width - 1, image.height - 1];
  const left = Math.max(0, crop.left);
  const top = Math.max(0, crop.top);
  const right = Math.min(crop.right, limitRight);
  const bottom = Math.min(crop.bottom, limitBottom);
  if (right <= left || bottom <= top) {
    throw new ImageError(image.source, `the face box (${crop.left}, ${crop.top}, ${crop.right}, ${crop.bottom}) ` +
      `lies outside the ${image.width}×${image.height} image`);
  }
  const width = right - left;
  const height = bottom - top;
  const region = new Uint8Array(width * height * 3);
  for (let y = 0; y < height && top + y < image.height; y++) {
    const from = ((top + y) * image.width + left) * 3;
    const inside = Math.max(0, Math.min(width, image.width - left));
    region.set(image.data.subarray(from, from + inside * 3), y * width * 3);
  }
  const data = await sharp(region, { raw: { width, height, channels: 3 } })
    .resize(crop.side, crop.side, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer();
  const pixels = new Uint8Array(data.buffer, data.byteOffset, data.length);
  return { width: crop.side, height: crop.side, data: pixels, source: image.source };
}

/** One FER2013 row read back from its byte range; the file must still have the size it had when it was listed. */
async function decodeCsvPixels(source: Extract<SampleSource, { kind: 'csv-pixels' }>): Promise<DecodedSample> {
  const label = `${path.basename(source.file)} line ${source.line}`;
  if (source.length <= 0 || source.length > RECORD_CAP) {
    throw new ImageError(label, `a record of ${source.length} bytes cannot be a FER2013 row`);
  }
  let bytes: Buffer;
  const handle = await open(source.file, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new ImageError(label, `cannot open ${source.file} (${err.code ?? 'error'})`, { cause: err });
  });
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size !== source.fileSize) {
      throw new ImageError(label, `${source.file} changed since the dataset was read ` +
        `(${info.size} bytes, was ${source.fileSize}); read the dataset again`);
    }
    bytes = Buffer.alloc(source.length);
    const { bytesRead } = await handle.read(bytes, 0, source.length, source.offset);
    if (bytesRead !== source.length) throw new ImageError(label, 'the record is cut short; read the dataset again');
  } finally {
    await handle.close();
  }
  let records: string[][];
  try {
    records = parse(bytes, { relax_column_count: true, skip_empty_lines: true }) as string[][];
  } catch {
    throw new ImageError(label, 'the record is not one CSV row; the file changed since the dataset was read');
  }
  const field = records.length === 1 ? records[0]?.[source.column] : undefined;
  if (field === undefined) {
    throw new ImageError(label, 'the record is not one CSV row with a pixel field; read the dataset again');
  }
  const grey = parsePixels(field, source.width, source.height);
  if (typeof grey === 'string') throw new ImageError(label, grey);
  return { width: source.width, height: source.height, data: greyToRgb(grey), source: label };
}

/** The sample's pixels as RGB, and the dataset's face box when it gives one (in the decoded image's pixels). */
export async function decodeSource(source: SampleSource, options: DecodeSourceOptions = {}): Promise<DecodedSample> {
  if (source.kind === 'csv-pixels') return decodeCsvPixels(source);
  const image = await decodeImage(source.path, options.maxPixels === undefined ? {} : { maxPixels: options.maxPixels });
  if (source.crop !== undefined) return cropToSquare(image, source.crop);
  return source.faceBox === undefined ? image : { ...image, faceBox: source.faceBox };
}
