/**
 * Is a detected face plausible? face-api's landmark network always answers 68 face-shaped points, even for a box
 * around a shirt or the whole of a group photo, so a detector's result is checked before it is used: the box
 * inside the image (within a tolerance the detection strategy sets), the landmarks shaped like an upright face,
 * and the box the size of the face the landmarks outline.
 *
 * Geometry is measured in the face's own frame: u along the line from the subject's right eye centre (iBUG 36–41,
 * on the image's left) to the left eye centre (42–47), v perpendicular to it, pointing down the face, both in
 * units of the inter-ocular distance (IOD).
 *
 * The bounds were set from measurements (2026-12, face-api 1.7.15): accepted faces were SSD on face-api's six demo
 * photos (21 faces, some turned or tilted by up to 43°), the padded tiny detector and the whole-image landmarks on
 * 101 CK+48 crops, and both detectors on CK+48 portraits at 48–1024 px; rejected ones were the whole-image landmarks
 * of those portraits and of face-free images (0 of 160 passed). Observed ranges are in brackets; each bound keeps
 * a margin beyond them.
 */
import type { Box, Landmarks68, Point } from './types';

/** Eye line within ±60° of horizontal [observed −29…43°; face-free images −47…−90°, a bad search −139°]. */
export const MAX_ROLL_DEGREES = 60;
/** Nose tip (30) 0.25–1.3 IOD below the eye line [0.35…0.97; rejected −1.17…0.27]. */
export const NOSE_DROP: readonly [number, number] = [0.25, 1.3];
/** Mouth centre (48–67) 0.6–2.0 IOD below the eye line [0.80…1.69; rejected −0.9…0.46]. */
export const MOUTH_DROP: readonly [number, number] = [0.6, 2.0];
/** The mouth at least this far (IOD) below the nose tip [0.36…0.72]. */
export const MIN_NOSE_TO_MOUTH = 0.2;
/** Mouth centre at most this far (IOD) off the eyes' midline [|u| ≤ 0.13; a sheared whole-photo answer 0.37]. */
export const MAX_MOUTH_OFFSET = 0.3;
/** Nose tip at most this far (IOD) off the eyes' midline; turned heads move it [|u| ≤ 0.58]. */
export const MAX_NOSE_OFFSET = 0.7;
/** Jaw width (landmark 0 to 16) 1.5–3.6 IOD [1.78…3.31; face-free 2.4…4.1]. */
export const JAW_WIDTH: readonly [number, number] = [1.5, 3.6];
/** IOD 0.25–0.7 of the box width: the box is the face's size [0.27…0.57; boxes around more 0.07…0.29]. */
export const IOD_TO_BOX_WIDTH: readonly [number, number] = [0.25, 0.7];
/**
 * √(landmarks' bounding-box area / box area) 0.6–1.2: the landmarks fill the box [0.66…0.94; 0.30…0.65 where
 * the box holds more than the face].
 */
export const LANDMARK_FILL: readonly [number, number] = [0.6, 1.2];
/** Centre of the landmarks' bounding box at most this fraction of the box side from the box centre [≤ 0.15]. */
export const MAX_CENTRE_OFFSET = 0.25;
/** A landmarks' span of at least this fraction of the image's width and height marks a tight face crop. */
export const TIGHT_CROP_SPAN = 0.6;

export type FaceCheckFailure =
  | 'not-finite'
  | 'box-outside-image'
  | 'eye-line-tilted'
  | 'nose-misplaced'
  | 'mouth-misplaced'
  | 'jaw-width'
  | 'box-size'
  | 'landmarks-fill'
  | 'landmarks-off-centre';

export interface CheckedFace {
  readonly box: Box;
  readonly landmarks: Landmarks68;
}

function mean(points: readonly Point[]): Point {
  const n = points.length;
  return { x: points.reduce((s, p) => s + p.x, 0) / n, y: points.reduce((s, p) => s + p.y, 0) / n };
}

const within = (v: number, [lo, hi]: readonly [number, number]): boolean => v >= lo && v <= hi;

/** The landmarks' bounding box. */
export function landmarkBounds(landmarks: Landmarks68): Box {
  const xs = landmarks.map((p) => p.x);
  const ys = landmarks.map((p) => p.y);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
}

/** How far (fraction of its larger side) the box reaches past the image's edges, 0 when inside. */
export function boxOverhang(box: Box, imageWidth: number, imageHeight: number): number {
  const over = Math.max(0, -box.x, -box.y, box.x + box.width - imageWidth, box.y + box.height - imageHeight);
  return over / Math.max(box.width, box.height);
}

/** The subject's right (iBUG 36–41) and left (42–47) eye centres. */
function eyeCentres(landmarks: Landmarks68): { right: Point; left: Point; iod: number } {
  const right = mean(landmarks.slice(36, 42));
  const left = mean(landmarks.slice(42, 48));
  return { right, left, iod: Math.hypot(left.x - right.x, left.y - right.y) };
}

function geometryFailures(landmarks: Landmarks68): FaceCheckFailure[] {
  const { right, left } = eyeCentres(landmarks);
  const ex = left.x - right.x;
  const ey = left.y - right.y;
  const iod2 = ex * ex + ey * ey;
  const mid = { x: (right.x + left.x) / 2, y: (right.y + left.y) / 2 };
  const u = (p: Point): number => ((p.x - mid.x) * ex + (p.y - mid.y) * ey) / iod2;
  const v = (p: Point): number => ((p.y - mid.y) * ex - (p.x - mid.x) * ey) / iod2;
  const failures: FaceCheckFailure[] = [];
  if (Math.abs((Math.atan2(ey, ex) * 180) / Math.PI) > MAX_ROLL_DEGREES) failures.push('eye-line-tilted');
  const nose = landmarks[30]!;
  const mouth = mean(landmarks.slice(48, 68));
  if (!within(v(nose), NOSE_DROP) || Math.abs(u(nose)) > MAX_NOSE_OFFSET) failures.push('nose-misplaced');
  const mouthOff = !within(v(mouth), MOUTH_DROP) || Math.abs(u(mouth)) > MAX_MOUTH_OFFSET;
  if (mouthOff || v(mouth) - v(nose) < MIN_NOSE_TO_MOUTH) failures.push('mouth-misplaced');
  const jaw = Math.hypot(landmarks[16]!.x - landmarks[0]!.x, landmarks[16]!.y - landmarks[0]!.y) / Math.sqrt(iod2);
  if (!within(jaw, JAW_WIDTH)) failures.push('jaw-width');
  return failures;
}

function sizeFailures(face: CheckedFace): FaceCheckFailure[] {
  const { box, landmarks } = face;
  const bounds = landmarkBounds(landmarks);
  const { iod } = eyeCentres(landmarks);
  const failures: FaceCheckFailure[] = [];
  if (!within(iod / box.width, IOD_TO_BOX_WIDTH)) failures.push('box-size');
  const fill = Math.sqrt((bounds.width * bounds.height) / (box.width * box.height));
  if (!within(fill, LANDMARK_FILL)) failures.push('landmarks-fill');
  const side = Math.max(box.width, box.height);
  const dx = bounds.x + bounds.width / 2 - (box.x + box.width / 2);
  const dy = bounds.y + bounds.height / 2 - (box.y + box.height / 2);
  if (Math.max(Math.abs(dx), Math.abs(dy)) > MAX_CENTRE_OFFSET * side) failures.push('landmarks-off-centre');
  return failures;
}

/**
 * Why `face` is implausible in an image of this size; [] when it passes. `maxOverhang` is how far (fraction of the
 * box's larger side) the box may reach past the image: a detector that saw the face whole sets little, one for tight
 * crops, whose chin and brow the frame cuts, sets more.
 */
export function checkFace(
  face: CheckedFace,
  imageWidth: number,
  imageHeight: number,
  maxOverhang: number,
): FaceCheckFailure[] {
  const { box, landmarks } = face;
  const numbers = [box.x, box.y, box.width, box.height, ...landmarks.flatMap((p) => [p.x, p.y])];
  const broken = landmarks.length !== 68 || !numbers.every(Number.isFinite) || !(box.width > 0 && box.height > 0);
  if (broken) return ['not-finite'];
  const failures: FaceCheckFailure[] = [];
  if (boxOverhang(box, imageWidth, imageHeight) > maxOverhang) failures.push('box-outside-image');
  return [...failures, ...geometryFailures(landmarks), ...sizeFailures(face)];
}

/**
 * A face that fills the image (landmarks spanning TIGHT_CROP_SPAN of its width and height, as in CK+48 or RAF-DB's
 * aligned crops) means the image is itself a face crop: its own face frame. Decided from the landmarks, not from
 * which detector found the face, so a crop keeps its frame whichever strategy won.
 */
export function isTightCrop(landmarks: Landmarks68, imageWidth: number, imageHeight: number): boolean {
  const b = landmarkBounds(landmarks);
  return b.width >= TIGHT_CROP_SPAN * imageWidth && b.height >= TIGHT_CROP_SPAN * imageHeight;
}
