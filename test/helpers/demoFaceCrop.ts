import * as path from 'node:path';
import sharp from 'sharp';
import { faceApiDemoDir } from './paths';

/** The landmarks' bounding box of the best face of face-api's demo/sample1.jpg (LandmarkDetector, face-api 1.7.15). */
const SAMPLE1_FACE = { left: 413, top: 427, width: 181, height: 165 } as const;

/**
 * A tight crop, made at test time, of the best face of face-api's MIT demo photo sample1.jpg, resized to
 * side × side, as a PNG (a stand-in for FER2013- or CK+48-style crops). Cut at a fixed box, so no detector runs.
 */
export function demoFaceCrop(side: number): Promise<Buffer> {
  return sharp(path.join(faceApiDemoDir, 'sample1.jpg')).extract(SAMPLE1_FACE).resize(side, side).png().toBuffer();
}
