/**
 * Which way of finding a face wins on an image: strategies are tried in order, each result is checked for
 * plausibility (science/faceCheck.ts), and the first strategy with a plausible face supplies every plausible face
 * it found. The order and the size rules below decide from what an image can hold, not from its size alone:
 *
 * 1. 'detector': SSD MobileNet on the image as it is, wherever the image can hold a face SSD finds. SSD finds
 *    faces up to about half the frame (CK+48 faces pasted at 0.4 of a portrait's side: 16/18 found; at 0.5: 8/18;
 *    at 0.7: 0/18), and a face smaller than SSD_MIN_FACE_SIDE is too small to read, so images whose shorter side
 *    is below SSD_MIN_FACE_SIDE / SSD_MAX_FACE_FRACTION (64 px: FER2013's and CK+48's 48-px crops) skip it.
 * 2. 'padded': the tiny detector on the image centred on a grey border, for tight crops whose face fills the frame
 *    (981/981 CK+48 crops), at any size.
 * 3. 'whole-image': the whole image taken as the face box, sound only for a tight crop; the check's size rules
 *    reject it elsewhere (its landmarks then do not fill the image).
 */
import type { CheckedFace } from '../science/faceCheck';
import { checkFace } from '../science/faceCheck';

/** The smallest face worth finding: FER2013's crops are 48 px, and below ~32 px landmarks and expressions blur. */
export const SSD_MIN_FACE_SIDE = 32;
/** SSD finds faces up to about this fraction of the image's side (see above). */
export const SSD_MAX_FACE_FRACTION = 0.5;
/** SSD saw the face whole: its box may reach past the image by a face cut at the frame's edge [observed 0]. */
export const DETECTOR_MAX_OVERHANG = 0.2;
/** Tight crops cut brow and chin: the padded search's box reaches past them [CK+48: up to 0.30 of its side]. */
export const PADDED_MAX_OVERHANG = 0.4;

/** Whether SSD on the image as it is can find a face in an image of this size. */
export function detectorApplies(width: number, height: number): boolean {
  return Math.min(width, height) * SSD_MAX_FACE_FRACTION >= SSD_MIN_FACE_SIDE;
}

export interface FaceStrategy<F extends CheckedFace> {
  /** Whether it can find a face in an image of this size at all. */
  applies(width: number, height: number): boolean;
  /** How far (fraction of its larger side) a box it found may reach past the image. */
  readonly maxOverhang: number;
  /** Its faces, best first. */
  find(): Promise<F[]>;
}

/**
 * The plausible faces of the first strategy that finds any, in its order; [] when none does. Strategies that do
 * not apply to the image's size are not run.
 */
export async function firstPlausible<F extends CheckedFace>(strategies: readonly FaceStrategy<F>[], width: number, height: number): Promise<F[]> {
  for (const strategy of strategies) {
    if (!strategy.applies(width, height)) continue;
    const plausible = (await strategy.find()).filter((f) => checkFace(f, width, height, strategy.maxOverhang).length === 0);
    if (plausible.length > 0) return plausible;
  }
  return [];
}
