/**
 * The crop face-api feeds its expression network, reproduced for the faceapi-expression preset (crop 'faceapi').
 * In face-api's `detectSingleFace(…).withFaceLandmarks().withFaceExpressions()` (node_modules/@vladmandic/face-api/
 * src/globalApi/DetectFaceLandmarksTasks.ts, PredictFaceExpressionsTask.ts, extractFacesAndComputeResults.ts):
 *
 * 1. the face is cut at `alignedRect`, not at the detector's box: extendWithFaceLandmarks sets it to
 *    `landmarks.align()`, i.e. alignMinBbox(0.2) — the 68 landmarks' bounding box (ops/minBbox.ts, whose right and
 *    bottom start from 0) grown by 20 % of its width and height, half on each side (Box.pad);
 * 2. extractFaceTensors clips that box to the image and floors x, y, width and height (Box.clipAtImageBorders),
 *    then slices those pixels;
 * 3. predictExpressions → NetInput.toBatchTensor(112, true): padToSquare pads the shorter side with zeros (black),
 *    round(diff / 2) after and the rest before, then tf.image.resizeBilinear to 112 × 112 with alignCorners and
 *    halfPixelCenters false (output pixel o samples source position o · in/out; no antialiasing).
 *
 * Face-api also round-trips the box through relative coordinates (×1/W, ×W), which moves it by ~1e-13 px: far
 * below the 0.01 px to which the landmark cache rounds the landmarks, so it is not repeated here.
 */
import type { FaceFrame } from '../science/faceFrame';
import type { Box, Landmarks68 } from '../science/types';
import type { RgbPixels } from './resample';

/** FaceLandmarks.align's default minBoxPadding: the landmarks' box grows by this fraction of its size. */
export const FACEAPI_BOX_PADDING = 0.2;

/** face-api's alignedRect as extractFaceTensors cuts it: whole pixels inside the image (width or height may be 0). */
export function faceApiFaceBox(landmarks: Landmarks68, imageWidth: number, imageHeight: number): Box {
  const xs = landmarks.map((p) => p.x);
  const ys = landmarks.map((p) => p.y);
  const minX = Math.min(Infinity, ...xs);
  const minY = Math.min(Infinity, ...ys);
  const width = Math.max(0, ...xs) - minX;
  const height = Math.max(0, ...ys) - minY;
  const padX = width * FACEAPI_BOX_PADDING;
  const padY = height * FACEAPI_BOX_PADDING;
  const x = minX - padX / 2;
  const y = minY - padY / 2;
  const right = x + width + padX;
  const bottom = y + height + padY;
  const clippedX = Math.max(x, 0);
  const clippedY = Math.max(y, 0);
  return {
    x: Math.floor(clippedX),
    y: Math.floor(clippedY),
    width: Math.floor(Math.min(right - clippedX, imageWidth - clippedX)),
    height: Math.floor(Math.min(bottom - clippedY, imageHeight - clippedY)),
  };
}

/** The black-padded square padToSquare makes of `box`, in image coordinates (the larger half of the padding after). */
export function faceApiFrame(box: Box): FaceFrame {
  const side = Math.max(box.width, box.height);
  const diff = Math.abs(box.width - box.height);
  const before = diff - Math.round(diff / 2);
  return box.width < box.height ? { x: box.x - before, y: box.y, side } : { x: box.x, y: box.y - before, side };
}

/**
 * `box` of `image`, black-padded to `frame` (faceApiFrame(box)) and resized to outSide × outSide as
 * tf.image.resizeBilinear does without half-pixel centres; interleaved RGB rounded to bytes.
 */
export function faceApiResize(image: RgbPixels, box: Box, frame: FaceFrame, outSide: number): Uint8Array {
  const out = new Uint8Array(outSide * outSide * 3);
  if (box.width <= 0 || box.height <= 0) return out;
  const scale = frame.side / outSide;
  // The padded square's pixel (px, py) is the image's (frame.x + px, frame.y + py) inside the box, black outside it.
  const pixel = (px: number, py: number, c: number): number => {
    const x = frame.x + px;
    const y = frame.y + py;
    if (x < box.x || x >= box.x + box.width || y < box.y || y >= box.y + box.height) return 0;
    return image.data[(y * image.width + x) * 3 + c]!;
  };
  for (let oy = 0; oy < outSide; oy++) {
    const sy = oy * scale;
    const y0 = Math.floor(sy);
    const y1 = Math.min(frame.side - 1, Math.ceil(sy));
    const dy = sy - y0;
    for (let ox = 0; ox < outSide; ox++) {
      const sx = ox * scale;
      const x0 = Math.floor(sx);
      const x1 = Math.min(frame.side - 1, Math.ceil(sx));
      const dx = sx - x0;
      for (let c = 0; c < 3; c++) {
        const top = pixel(x0, y0, c) + (pixel(x1, y0, c) - pixel(x0, y0, c)) * dx;
        const bottom = pixel(x0, y1, c) + (pixel(x1, y1, c) - pixel(x0, y1, c)) * dx;
        out[(oy * outSide + ox) * 3 + c] = Math.round(top + (bottom - top) * dy);
      }
    }
  }
  return out;
}
