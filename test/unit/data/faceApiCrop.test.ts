/**
 * The two crops, pinned: faceapi-expression's input is the one face-api's own withFaceLandmarks()
 * .withFaceExpressions() builds (alignedRect, extractFaceTensors, toBatchTensor(112) through the installed package),
 * and the other presets keep the paper's (the face box enlarged by 30 %, resampled to the 256/224 base square).
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type * as FaceApi from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import * as tf from '@tensorflow/tfjs';
import { baseSideFor } from '../../../src/trainer/data/augment';
import { FACEAPI_BOX_PADDING, faceApiFaceBox, faceApiFrame } from '../../../src/trainer/data/faceApiCrop';
import { cropImage, preparedSide } from '../../../src/trainer/data/prepare';
import { resampleRegion, toBytes } from '../../../src/trainer/data/resample';
import { decodeImage } from '../../../src/trainer/io/image';
import type { RgbImage } from '../../../src/trainer/io/image';
import { LandmarkDetector } from '../../../src/trainer/io/landmarks';
import { FACEAPI_EXPRESSION, PRESET_NAMES } from '../../../src/trainer/models/modelNames';
import { presetInfo } from '../../../src/trainer/models/presets';
import { faceFrame } from '../../../src/trainer/science/faceFrame';
import { faceApiDemoDir } from '../../helpers/paths';

/* eslint-disable-next-line @typescript-eslint/no-require-imports */
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as typeof FaceApi;

/** face-api's own crop of the best face: its alignedRect and the 112×112 float tensor its expression net gets. */
async function faceApisCrop(image: RgbImage): Promise<{ box: { x: number; y: number; width: number; height: number }; pixels: Float32Array }> {
  const input = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
  try {
    const found = await faceapi.detectSingleFace(input as unknown as FaceApi.TNetInput, new faceapi.SsdMobilenetv1Options()).withFaceLandmarks();
    assert.ok(found, `${image.source}: face-api finds a face`);
    const box = found.alignedRect.box.clipAtImageBorders(image.width, image.height);
    const [face] = await faceapi.extractFaceTensors(input as unknown as FaceApi.tf.Tensor3D, [found.alignedRect]);
    const netInput = await faceapi.toNetInput(face as unknown as FaceApi.TNetInput);
    const batch = netInput.toBatchTensor(112, true);
    const pixels = (await batch.data()) as Float32Array;
    batch.dispose();
    face!.dispose();
    return { box: { x: box.x, y: box.y, width: box.width, height: box.height }, pixels };
  } finally {
    input.dispose();
  }
}

describe('data/faceApiCrop: each preset\'s face crop', function () {
  this.timeout(120_000);
  let detector: LandmarkDetector;

  before(async () => {
    detector = await LandmarkDetector.create();
  });

  it('pads like padToSquare: the larger half of the padding after the image', async () => {
    assert.deepEqual(faceApiFrame({ x: 10, y: 20, width: 10, height: 15 }), { x: 8, y: 20, side: 15 });
    assert.deepEqual(faceApiFrame({ x: 10, y: 20, width: 16, height: 10 }), { x: 10, y: 17, side: 16 });
    // face-api's padToSquare on a 15×10 ones image: 2 zero columns before, 3 after.
    const padded = faceapi.padToSquare(tf.ones([1, 15, 10, 3]) as unknown as FaceApi.tf.Tensor4D, true);
    const row = Array.from((await padded.data()) as Float32Array).filter((_, i) => i % 3 === 0).slice(0, 15);
    padded.dispose();
    assert.deepEqual(row, [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
  });

  it('grows the landmarks\' box by 20 %, clips it to the image and floors it', () => {
    const landmarks = [{ x: 10, y: 20 }, { x: 60, y: 90 }, ...Array.from({ length: 66 }, () => ({ x: 30, y: 40 }))];
    assert.equal(FACEAPI_BOX_PADDING, 0.2);
    // 50 × 70 grows by 10 × 14 (5 and 7 per side): x 5–65, y 13–97; clipped to a 64 × 96 image.
    assert.deepEqual(faceApiFaceBox(landmarks, 100, 100), { x: 5, y: 13, width: 60, height: 84 });
    assert.deepEqual(faceApiFaceBox(landmarks, 64, 96), { x: 5, y: 13, width: 59, height: 83 });
  });

  for (const name of ['sample1.jpg', 'sample2.jpg', 'sample6.jpg']) {
    it(`faceapi-expression: face-api's own crop of ${name} (same box, pixels within rounding)`, async () => {
      const image = await decodeImage(path.join(faceApiDemoDir, name));
      const theirs = await faceApisCrop(image);
      const [face] = await detector.detect(image);
      const info = presetInfo(FACEAPI_EXPRESSION);
      assert.equal(info.crop, 'faceapi');
      const side = preparedSide(info.inputSize, info.crop);
      assert.equal(side, 112, 'made at the input size, so the eval transform leaves it as it is');
      assert.deepEqual(faceApiFaceBox(face!.landmarks, image.width, image.height), theirs.box);
      const ours = cropImage(image, face, side, info.crop);
      assert.deepEqual(ours.frame, faceApiFrame(theirs.box));
      let worst = 0;
      for (let i = 0; i < ours.rgb.length; i++) worst = Math.max(worst, Math.abs(ours.rgb[i]! - theirs.pixels[i]!));
      assert.ok(worst <= 0.5 + 1e-3, `max difference ${worst} (bytes vs face-api's floats)`);
    });
  }

  it('the other presets: the paper\'s crop, the face box enlarged by 30 % at the 256/224 base', async () => {
    const image = await decodeImage(path.join(faceApiDemoDir, 'sample1.jpg'));
    const [face] = await detector.detect(image);
    for (const preset of PRESET_NAMES) {
      const info = presetInfo(preset);
      assert.equal(info.crop, 'paper', preset);
      const side = preparedSide(info.inputSize, info.crop);
      assert.equal(side, baseSideFor(info.inputSize), preset);
      const ours = cropImage(image, face, side, info.crop);
      const frame = faceFrame(face!.box, image.width, image.height, false);
      assert.deepEqual(ours.frame, frame, preset);
      assert.equal(frame.side, Math.max(face!.box.width, face!.box.height) * 1.3);
      assert.deepEqual(ours.rgb, toBytes(resampleRegion(image, frame, side)), preset);
    }
  });
});
