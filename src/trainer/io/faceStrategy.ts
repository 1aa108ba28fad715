/**
 * Which way of finding a face wins on an image: strategies are tried in order, each result is checked for
 * plausibility (science/faceCheck.ts), and the first strategy with a plausible face supplies every plausible face
 * it found. The order decides from what an image can hold, not from its size alone:
 *
 * - 'detector': SSD MobileNet on the image as it is, first wherever the image can hold a face SSD finds. SSD finds
 *   faces up to about half the frame (CK+48 faces pasted at 0.4 of a portrait's side: 16/18 found; at 0.5: 8/18;
 *   at 0.7: 0/18), so an image whose shorter side is below SSD_MIN_FACE_SIDE / SSD_MAX_FACE_FRACTION (64 px) holds
 *   an SSD-sized face only if that face is tiny, and such small images are asked first whether they are tight
 *   crops (FER2013's and CK+48's 48-px faces): the padded search's face is taken at once if it fills the image
 *   (isTightCrop), where SSD finds nothing (0/40 CK+48 crops) at five times the cost; otherwise SSD runs there too.
 * - 'padded': the tiny detector on the image centred on a grey border, made for tight crops whose face fills the
 *   frame (981/981 CK+48 crops), and the fallback for any image where SSD finds no plausible face.
 * - 'whole-image': the whole image taken as the face box, sound only for a tight crop; the check's size rules
 *   reject it elsewhere (its landmarks then do not fill the image).
 */
import type { CheckedFace } from '../science/faceCheck';
import { checkFace, isTightCrop } from '../science/faceCheck';

/** The smallest face worth finding: FER2013's crops are 48 px, and below ~32 px landmarks and expressions blur. */
export const SSD_MIN_FACE_SIDE = 32;
/** SSD finds faces up to about this fraction of the image's side (see above). */
export const SSD_MAX_FACE_FRACTION = 0.5;
/** SSD saw the face whole: its box may reach past the image by a face cut at the frame's edge [observed 0]. */
export const DETECTOR_MAX_OVERHANG = 0.2;
/** Tight crops cut brow and chin: the padded search's box reaches past them [CK+48: up to 0.30 of its side]. */
export const PADDED_MAX_OVERHANG = 0.4;

/** Whether the image can hold a face SSD finds that is worth reading (shorter side ≥ 64 px): SSD goes first there. */
export function detectorApplies(width: number, height: number): boolean {
  return Math.min(width, height) * SSD_MAX_FACE_FRACTION >= SSD_MIN_FACE_SIDE;
}

export interface FaceStrategy<F extends CheckedFace> {
  /** Whether it runs on an image of this size. */
  applies(width: number, height: number): boolean;
  /** How far (fraction of its larger side) a box it found may reach past the image. */
  readonly maxOverhang: number;
  /** Its faces, best first. */
  find(): Promise<F[]>;
  /** A condition a plausible face must also meet for this strategy to win (default: none). */
  accepts?(face: F, width: number, height: number): boolean;
}

/** The three ways of finding faces on one image, each best first. */
export interface FaceFinders<F extends CheckedFace> {
  detector(): Promise<F[]>;
  padded(): Promise<F[]>;
  wholeImage(): Promise<F[]>;
}

/** Runs `find` once, however often its result is asked for. */
function once<T>(find: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= find());
}

/** The strategies in the order described above; the padded search runs at most once. */
export function faceStrategies<F extends CheckedFace>(finders: FaceFinders<F>): FaceStrategy<F>[] {
  const padded = once(() => finders.padded());
  const small = (width: number, height: number): boolean => !detectorApplies(width, height);
  return [
    { applies: detectorApplies, maxOverhang: DETECTOR_MAX_OVERHANG, find: finders.detector },
    {
      applies: small,
      maxOverhang: PADDED_MAX_OVERHANG,
      find: padded,
      accepts: (f, w, h) => isTightCrop(f.landmarks, w, h),
    },
    { applies: small, maxOverhang: DETECTOR_MAX_OVERHANG, find: finders.detector },
    { applies: () => true, maxOverhang: PADDED_MAX_OVERHANG, find: padded },
    { applies: () => true, maxOverhang: 0, find: finders.wholeImage },
  ];
}

/**
 * The plausible faces of the first strategy that finds any, in its order; [] when none does. Strategies that do
 * not apply to the image's size are not run.
 */
export async function firstPlausible<F extends CheckedFace>(
  strategies: readonly FaceStrategy<F>[],
  width: number,
  height: number,
): Promise<F[]> {
  for (const strategy of strategies) {
    if (!strategy.applies(width, height)) continue;
    const wins = (f: F): boolean =>
      checkFace(f, width, height, strategy.maxOverhang).length === 0 && (strategy.accepts?.(f, width, height) ?? true);
    const plausible = (await strategy.find()).filter(wins);
    if (plausible.length > 0) return plausible;
  }
  return [];
}
