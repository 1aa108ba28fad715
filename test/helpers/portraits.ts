/**
 * Portrait-like photos made at test time from a tight face crop (CK+48's 48×48 faces): the face at half the
 * picture's side, centred or off-centre, on a plain or noisy background, grey or in colour. The pixels come from
 * the research-only crops, so the results live only in memory or in git-ignored scratch folders.
 */
import sharp from 'sharp';
import { mulberry32 } from '../../src/trainer/science/random';

export const PORTRAIT_SIZES = [48, 100, 160, 256, 512, 1024] as const;

export type Placement = 'centred' | 'off-centre';
export type Background = 'plain' | 'noise';
export type Tint = 'grey' | 'colour';

export interface PortraitStyle {
  readonly placement: Placement;
  readonly background: Background;
  readonly tint: Tint;
}

/** All eight styles, in a fixed order, so sample i of a size can take style i mod 8. */
export const PORTRAIT_STYLES: readonly PortraitStyle[] = (['centred', 'off-centre'] as const).flatMap((placement) =>
  (['plain', 'noise'] as const).flatMap((background) => (['grey', 'colour'] as const).map((tint) => ({ placement, background, tint }))),
);

export function styleName(s: PortraitStyle): string {
  return `${s.placement}/${s.background}/${s.tint}`;
}

/** The face's side as a fraction of the picture's: about what a head-and-shoulders portrait (JAFFE) shows. */
const FACE_FRACTION = 0.4;
/** Off-centre faces sit this fraction of the side right of and above the centre. */
const OFF_CENTRE_SHIFT = 0.18;
/** A skin-like tint for colour portraits (R, G, B gains) and a pastel background. */
const SKIN = [1.0, 0.82, 0.7] as const;
const PLAIN_COLOUR = [96, 128, 170] as const;
const PLAIN_GREY = 150;
const NOISE_AMPLITUDE = 70;

function background(size: number, style: PortraitStyle, seed: number): Buffer {
  const raw = Buffer.alloc(size * size * 3);
  const random = mulberry32(seed);
  for (let i = 0; i < size * size; i++) {
    if (style.background === 'plain') {
      for (let c = 0; c < 3; c++) raw[i * 3 + c] = style.tint === 'grey' ? PLAIN_GREY : PLAIN_COLOUR[c]!;
    } else {
      const grey = 128 + (random() - 0.5) * 2 * NOISE_AMPLITUDE;
      for (let c = 0; c < 3; c++) raw[i * 3 + c] = style.tint === 'grey' ? grey : 128 + (random() - 0.5) * 2 * NOISE_AMPLITUDE;
    }
  }
  return raw;
}

/** Where the face's top-left corner lands, and its side. */
export function facePlacement(size: number, placement: Placement): { left: number; top: number; side: number } {
  const side = Math.max(8, Math.round(size * FACE_FRACTION));
  const centre = (size - side) / 2;
  const shift = placement === 'centred' ? 0 : Math.round(size * OFF_CENTRE_SHIFT);
  return { left: Math.round(centre + shift), top: Math.round(centre - shift), side };
}

/**
 * A size × size PNG of `crop` (an encoded image file or its bytes) in `style`; `seed` draws the noise.
 * The face is resized with sharp's default (Lanczos 3), as any photo tool would.
 */
export async function makePortrait(crop: Buffer, size: number, style: PortraitStyle, seed: number): Promise<Buffer> {
  const { left, top, side } = facePlacement(size, style.placement);
  const face = await sharp(crop).removeAlpha().toColourspace('srgb').resize(side, side).raw().toBuffer({ resolveWithObject: true });
  const rgb = face.data;
  const channels = face.info.channels;
  const faceRgb = Buffer.alloc(side * side * 3);
  for (let i = 0; i < side * side; i++) {
    const grey = rgb[i * channels]!;
    for (let c = 0; c < 3; c++) faceRgb[i * 3 + c] = style.tint === 'grey' ? grey : Math.round(grey * SKIN[c]!);
  }
  const facePng = await sharp(faceRgb, { raw: { width: side, height: side, channels: 3 } }).png().toBuffer();
  return sharp(background(size, style, seed), { raw: { width: size, height: size, channels: 3 } })
    .composite([{ input: facePng, left, top }])
    .png()
    .toBuffer();
}
