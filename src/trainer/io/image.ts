/**
 * Decodes any photo a user may point the trainer at into one predictable form: 8-bit sRGB, 3 bytes per pixel,
 * upright (EXIF orientation applied), first frame only. Every failure is an ImageError whose message names the
 * file and says what to do, because these messages go straight to the CLI and the editor.
 */
import sharp from 'sharp';
import { FileReadError, imageByteCap, readBoundedFile } from './boundedRead';

/** A decoded image: row-major RGB, data[(y * width + x) * 3 + c]. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
  /** Where the pixels came from (file path or a caller-given label), for messages. */
  readonly source: string;
}

export interface DecodeOptions {
  /** Largest accepted width × height, checked from the header before any pixel is decoded. */
  readonly maxPixels?: number;
  /** Label used in messages; defaults to the path, or "<buffer>" for a Buffer input. */
  readonly source?: string;
}

/** 100 MP: above any camera photo we expect, far below what would exhaust memory (3 bytes per pixel = 300 MB). */
export const DEFAULT_MAX_PIXELS = 100_000_000;

/** Below this side length no face detector or 68-point model gives anything useful. */
export const MIN_IMAGE_SIDE = 32;

/**
 * Transparent pixels are composited onto mid grey (128), the same grey the landmark detector pads small crops
 * with, so a cut-out face on a transparent background looks to the detector like a padded crop rather than a
 * face on a white wall.
 */
export const ALPHA_BACKGROUND = { r: 128, g: 128, b: 128 } as const;

/** sharp's names for the formats we promise to read; anything else sharp can open is refused explicitly. */
export const SUPPORTED_FORMATS: readonly string[] = ['jpeg', 'png', 'tiff', 'webp', 'gif'];

export class ImageError extends Error {
  override readonly name = 'ImageError';

  constructor(
    readonly source: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${problem}`, options);
  }
}

/** "12.3 MP" with enough precision to see why a limit was hit. */
function megapixels(pixels: number): string {
  const mp = pixels / 1_000_000;
  return `${mp >= 10 ? Math.round(mp) : Number(mp.toPrecision(2))} MP`;
}

/** libvips messages span several lines (one per warning); the first names the problem. */
function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]?.trim() ?? text;
}

/** Maps sharp's wording onto what the user can act on. */
function sharpProblem(error: unknown): string {
  const line = firstLine(error);
  if (/unsupported image format/i.test(line)) return 'not an image: unrecognised format';
  if (/exceeds pixel limit/i.test(line)) return `too many pixels (${line}); downscale it or raise --max-pixels`;
  if (/premature end|truncated|corrupt|bogus|invalid|read error|not a|damaged|unexpected end/i.test(line)) {
    return `corrupt or truncated image data (${line}); re-export or re-download the file`;
  }
  return `cannot decode the image (${line})`;
}

/**
 * Reads an image file's bytes: a regular file of at most the pixel limit's worth of bytes (a named pipe called
 * x.png is refused at once, never read). Every problem becomes an ImageError.
 */
export async function readImageFile(
  filePath: string,
  source: string = filePath,
  maxPixels: number = DEFAULT_MAX_PIXELS,
): Promise<Buffer> {
  try {
    return await readBoundedFile(filePath, imageByteCap(maxPixels), 'an image');
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    const problem =
      error.reason === 'folder' ? 'is a directory, not an image file'
      : error.reason === 'too-large' ? `${error.problem}; downscale it or raise --max-pixels`
      : error.problem;
    throw new ImageError(source, problem, { cause: error });
  }
}

/**
 * Reads and decodes an image file or buffer to 8-bit sRGB. 16-bit images are reduced to 8 bits, grey and CMYK
 * are converted to sRGB, alpha is flattened onto ALPHA_BACKGROUND, animated images give their first frame, and
 * the EXIF orientation is applied (so a portrait phone photo comes out portrait).
 */
export async function decodeImage(input: string | Buffer, options: DecodeOptions = {}): Promise<RgbImage> {
  const source = options.source ?? (typeof input === 'string' ? input : '<buffer>');
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const bytes = typeof input === 'string' ? await readImageFile(input, source, maxPixels) : input;
  if (bytes.length === 0) throw new ImageError(source, 'empty file (0 bytes)');

  // `pages: 1` makes every step see only the first frame of a GIF/WebP animation or a multi-page TIFF.
  // failOn 'error' (which implies 'truncated') rejects cut-off files but tolerates the harmless warnings many
  // camera JPEGs raise. The header is read without sharp's own pixel limit (reading it allocates no pixels) so
  // that our check below can say the size and the limit; decoding then gets the limit too.
  const open = (limitInputPixels: number | false): sharp.Sharp =>
    sharp(bytes, { pages: 1, page: 0, limitInputPixels, failOn: 'error' });

  let metadata: sharp.Metadata;
  try {
    metadata = await open(false).metadata();
  } catch (error) {
    throw new ImageError(source, sharpProblem(error), { cause: error });
  }
  const format = metadata.format ?? 'unknown';
  if (!SUPPORTED_FORMATS.includes(format)) {
    throw new ImageError(
      source,
      `unsupported format "${format}"; convert it to JPEG or PNG (supported: ${SUPPORTED_FORMATS.join(', ')})`,
    );
  }
  const width = metadata.width;
  // For animations sharp reports the height of one frame when `pages: 1` is set, but pageHeight wins if present.
  const height = metadata.pageHeight ?? metadata.height;
  if (!width || !height) throw new ImageError(source, 'the image header has no size; the file is probably corrupt');
  const pixels = width * height;
  if (maxPixels > 0 && pixels > maxPixels) {
    throw new ImageError(
      source,
      `${width}×${height} = ${megapixels(pixels)} exceeds the ${megapixels(maxPixels)} limit; ` +
        'downscale it or raise --max-pixels',
    );
  }
  if (Math.min(width, height) < MIN_IMAGE_SIDE) {
    throw new ImageError(
      source,
      `${width}×${height} is too small to hold a face (each side needs at least ${MIN_IMAGE_SIDE} px)`,
    );
  }

  try {
    const { data, info } = await open(maxPixels > 0 ? maxPixels : false)
      .rotate()
      .flatten({ background: ALPHA_BACKGROUND })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
      throw new Error(
        `decoder returned ${info.channels} channels, ${data.length} bytes for ${info.width}×${info.height}`,
      );
    }
    return {
      width: info.width,
      height: info.height,
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      source,
    };
  } catch (error) {
    throw new ImageError(source, sharpProblem(error), { cause: error });
  }
}
