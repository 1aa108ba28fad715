import * as path from 'node:path';
import sharp from 'sharp';
import { decodeImage } from '../../src/trainer/io/image';
import { LandmarkDetector } from '../../src/trainer/io/landmarks';
import { landmarkBounds } from '../../src/trainer/science/faceCheck';
import { faceApiDemoDir } from './paths';

/**
 * A tight crop, made at test time, of the best face of face-api's MIT demo photo sample1.jpg: its landmarks'
 * bounding box, resized to side × side, as a PNG (a stand-in for FER2013- or CK+48-style crops).
 */
export async function demoFaceCrop(side: number): Promise<Buffer> {
  const photo = await decodeImage(path.join(faceApiDemoDir, 'sample1.jpg'));
  const [face] = await (await LandmarkDetector.create()).detect(photo);
  if (!face) throw new Error('no face on face-api demo/sample1.jpg');
  const b = landmarkBounds(face.landmarks);
  return sharp(Buffer.from(photo.data), { raw: { width: photo.width, height: photo.height, channels: 3 } })
    .extract({ left: Math.round(b.x), top: Math.round(b.y), width: Math.round(b.width), height: Math.round(b.height) })
    .resize(side, side)
    .png()
    .toBuffer();
}
