/**
 * The face frame: the square region in which a face's AU map is built. The paper's pixel constants assume a
 * 224×224 face crop (RAF-DB boxes enlarged by 30 %, resized to 224), so every face is mapped into that frame,
 * its map is built there, and the map is pasted back onto the photo.
 */
import { warpMap } from './geometry';
import { resizeBilinear } from './raster';
import type { Box, Heatmap, Landmarks68 } from './types';

export const FACE_FRAME_SIZE = 224;

/** The paper's crop enlarges the face box by 30 % (15 % per side). */
const BOX_ENLARGEMENT = 1.3;

/** A square in image pixel coordinates; it may extend past the image border. */
export interface FaceFrame {
  readonly x: number;
  readonly y: number;
  readonly side: number;
}

/**
 * A tight crop (the whole image is the face, as in CK+48) is its own frame; in a photo the frame is the face
 * box enlarged by 30 % and made square about its centre.
 */
export function faceFrame(box: Box, imageWidth: number, imageHeight: number, tightCrop: boolean): FaceFrame {
  if (tightCrop) return { x: 0, y: 0, side: Math.max(imageWidth, imageHeight) };
  const side = Math.max(box.width, box.height) * BOX_ENLARGEMENT;
  return { x: box.x + box.width / 2 - side / 2, y: box.y + box.height / 2 - side / 2, side };
}

/**
 * How a face in a photo becomes a model's input square (a tight crop is its own frame either way):
 * - 'paper': the face frame above, the box enlarged by 30 % (the paper's crop; our presets);
 * - 'box': the detector's box alone, on the square about its centre with black around the box (imported models
 *   whose sidecar asks for it);
 * - 'faceapi': the crop face-api's withFaceExpressions takes after landmarks (the landmarks' box grown by 20 %,
 *   black-padded to a square; data/faceApiCrop.ts), for face-api's own expression network. It needs the landmarks,
 *   so cropFrame, which has only the box, does not make it.
 */
export type FaceCrop = 'paper' | 'box' | 'faceapi';

/** The input square of a model that crops faces as `crop` says; for 'paper' it is faceFrame. */
export function cropFrame(
  box: Box,
  imageWidth: number,
  imageHeight: number,
  tightCrop: boolean,
  crop: Exclude<FaceCrop, 'faceapi'>,
): FaceFrame {
  if (crop === 'paper' || tightCrop) return faceFrame(box, imageWidth, imageHeight, tightCrop);
  const side = Math.max(box.width, box.height);
  return { x: box.x + box.width / 2 - side / 2, y: box.y + box.height / 2 - side / 2, side };
}

export function sameFrame(a: FaceFrame, b: FaceFrame): boolean {
  return a.x === b.x && a.y === b.y && a.side === b.side;
}

/**
 * A map of frame `from` (any resolution) as seen in frame `to`, at outSide × outSide, by centred nearest
 * sampling as maps are moved everywhere else (zero where `to` reaches past `from`). AU maps are built in the
 * paper's frame, where their pixel constants hold, and moved into a model's own input frame with this.
 */
export function moveFrameMap(map: Heatmap, from: FaceFrame, to: FaceFrame, outSide: number): Heatmap {
  // Map pixel → image: from.xy + p·from.side/map.width; image → output pixel: (q − to.xy)·outSide/to.side.
  const k = outSide / to.side;
  const sx = (from.side / map.width) * k;
  const sy = (from.side / map.height) * k;
  return warpMap(map, [sx, 0, (from.x - to.x) * k, 0, sy, (from.y - to.y) * k], outSide, outSide, 'nearest', 0);
}

/** Landmarks in image coordinates → coordinates in the 224×224 frame. */
export function landmarksInFrame(landmarks: Landmarks68, frame: FaceFrame): Landmarks68 {
  const k = FACE_FRAME_SIZE / frame.side;
  return landmarks.map((p) => ({ x: (p.x - frame.x) * k, y: (p.y - frame.y) * k }));
}

/** Where image pixels land on a display: subtract the origin, then scale. */
export interface DisplayTransform {
  readonly x: number;
  readonly y: number;
  readonly scale: number;
}

/**
 * Pastes a frame-sized map into `target`, a display-sized map, keeping the pixel-wise maximum so the maps of
 * several faces combine the way the AU maps of one face do.
 */
export function pasteFrameMap(target: Heatmap, frameMap: Heatmap, frame: FaceFrame, display: DisplayTransform): void {
  const side = Math.max(1, Math.round(frame.side * display.scale));
  const resized = resizeBilinear(frameMap, side, side);
  const left = Math.round((frame.x - display.x) * display.scale);
  const top = Math.round((frame.y - display.y) * display.scale);
  for (let y = Math.max(0, top); y < Math.min(target.height, top + side); y++) {
    for (let x = Math.max(0, left); x < Math.min(target.width, left + side); x++) {
      const v = resized.data[(y - top) * side + (x - left)]!;
      const i = y * target.width + x;
      if (v > target.data[i]!) target.data[i] = v;
    }
  }
}

/** The smallest whole-pixel region of the image that holds every frame (all of the image if they leave it). */
export function regionAround(frames: readonly FaceFrame[], imageWidth: number, imageHeight: number): Box {
  const x0 = Math.max(0, Math.floor(Math.min(...frames.map((f) => f.x))));
  const y0 = Math.max(0, Math.floor(Math.min(...frames.map((f) => f.y))));
  const x1 = Math.min(imageWidth, Math.ceil(Math.max(...frames.map((f) => f.x + f.side))));
  const y1 = Math.min(imageHeight, Math.ceil(Math.max(...frames.map((f) => f.y + f.side))));
  return { x: x0, y: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) };
}
