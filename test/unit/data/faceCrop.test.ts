/**
 * Face crops per model: the paper's enlarged box and face-api's box alone (black around it), with the AU map
 * built in the paper's frame and moved into the model's crop, so it stays on the same facial regions.
 */
import assert from 'node:assert/strict';
import { cropImage, maskOutsideBox, prepareImage } from '../../../src/trainer/data/prepare';
import type { RgbImage } from '../../../src/trainer/io/image';
import type { DetectedFace } from '../../../src/trainer/io/landmarks';
import { codebookPreset } from '../../../src/trainer/science/codebook';
import type { FaceFrame } from '../../../src/trainer/science/faceFrame';
import { cropFrame, faceFrame, moveFrameMap } from '../../../src/trainer/science/faceFrame';
import { createMap } from '../../../src/trainer/science/raster';
import { syntheticFace } from '../../helpers/syntheticFace';

const BOX = { x: 150, y: 90, width: 100, height: 130 };

/** A grey 400×300 photo with a face box and synthetic landmarks around it. */
function photo(): { image: RgbImage; face: DetectedFace } {
  const image: RgbImage = { width: 400, height: 300, data: new Uint8Array(400 * 300 * 3).fill(200), source: 'photo.png' };
  const frame = faceFrame(BOX, 400, 300, false);
  const landmarks = syntheticFace(frame.side).map((p) => ({ x: p.x + frame.x, y: p.y + frame.y }));
  return { image, face: { box: BOX, score: 0.9, method: 'detector', landmarks } };
}

/** The centre of mass of a side × side map, in image coordinates of `frame`. */
function centroid(map: Float32Array, side: number, frame: FaceFrame): { x: number; y: number } {
  let [sx, sy, sw] = [0, 0, 0];
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const w = map[y * side + x]!;
      sx += w * (x + 0.5);
      sy += w * (y + 0.5);
      sw += w;
    }
  }
  return { x: frame.x + (sx / sw) * (frame.side / side), y: frame.y + (sy / sw) * (frame.side / side) };
}

describe('data: face crops per model', () => {
  it('crops the box alone on the square about its centre; tight crops stay their own frame', () => {
    assert.deepEqual(cropFrame(BOX, 400, 300, false, 'box'), { x: 135, y: 90, side: 130 });
    assert.deepEqual(cropFrame(BOX, 400, 300, false, 'paper'), faceFrame(BOX, 400, 300, false));
    assert.deepEqual(cropFrame({ x: 0, y: 0, width: 48, height: 48 }, 48, 48, true, 'box'), { x: 0, y: 0, side: 48 });
  });

  it('blacks out the pixels outside the box, as face-api pads its face crops', () => {
    const side = 26;
    const rgb = new Uint8Array(side * side * 3).fill(255);
    maskOutsideBox(rgb, side, { x: 135, y: 90, side: 130 }, BOX);
    // The box spans x = 3–23 of 26 (15/130 and 115/130 of the side) and every row; pixel centres decide.
    const column = (x: number): number => rgb[(13 * side + x) * 3]!;
    assert.deepEqual([0, 2, 3, 22, 23, 25].map(column), [0, 0, 255, 255, 0, 0]);
    assert.equal(rgb[(25 * side + 13) * 3], 255);
  });

  it('moves a map between frames: the identity for the same frame, a crop-and-zoom for an inner one', () => {
    const map = createMap(8, 8);
    map.data[3 * 8 + 5] = 1;
    const frame = { x: 10, y: 20, side: 80 };
    assert.deepEqual(moveFrameMap(map, frame, frame, 8).data, map.data);
    // Pixel (5, 3) of the 10-px grid covers x 60–70, y 50–60 of the image: in the inner frame's 5-px grid
    // (origin 30, 40) that is columns 6–7 and rows 2–3.
    const inner = moveFrameMap(map, frame, { x: 30, y: 40, side: 40 }, 8);
    const lit = [...inner.data.keys()].filter((i) => inner.data[i]! > 0).map((i) => [i % 8, Math.floor(i / 8)]);
    assert.deepEqual(lit, [[6, 2], [7, 2], [6, 3], [7, 3]]);
  });

  it('keeps the AU map on the same facial regions whichever crop the model takes', () => {
    const { image, face } = photo();
    const codebook = codebookPreset('paper');
    const paper = prepareImage(image, [face], 'happy', codebook, 112, 'paper');
    const box = prepareImage(image, [face], 'happy', codebook, 112, 'box');
    assert.deepEqual(box.frame, { x: 135, y: 90, side: 130 });
    assert.ok(paper.au && box.au);
    const a = centroid(paper.au, paper.side, paper.frame);
    const b = centroid(box.au, box.side, box.frame);
    assert.ok(Math.hypot(a.x - b.x, a.y - b.y) < 1.5, `AU map centroid ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    // The photo is uniform grey, so the box crop is grey inside the box and black outside it.
    assert.deepEqual([...box.rgb.subarray(0, 3)], [0, 0, 0]);
    const mid = (Math.floor(box.side / 2) * box.side + Math.floor(box.side / 2)) * 3;
    assert.deepEqual([...box.rgb.subarray(mid, mid + 3)], [200, 200, 200]);
    assert.deepEqual(cropImage(image, face, box.side, 'box').rgb, box.rgb);
  });
});
