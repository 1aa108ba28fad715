import assert from 'node:assert/strict';
import type { Affine } from '../../../src/trainer/science/geometry';
import {
  IBUG68_MIRROR,
  IDENTITY_AFFINE,
  applyAffine,
  composeAffine,
  cropAffine,
  hflipAffine,
  invertAffine,
  resizeAffine,
  rotationAffine,
  transformLandmarks,
  warpMap,
} from '../../../src/trainer/science/geometry';
import { createMap, resizeBilinear, resizeNearest } from '../../../src/trainer/science/raster';
import type { Heatmap, Point } from '../../../src/trainer/science/types';
import { syntheticFace } from '../../helpers/syntheticFace';

function assertClosePoint(actual: Point, expected: Point, eps = 1e-9): void {
  assert.ok(Math.abs(actual.x - expected.x) <= eps && Math.abs(actual.y - expected.y) <= eps, `${JSON.stringify(actual)} ≠ ${JSON.stringify(expected)}`);
}

/** A map whose every pixel holds a distinct value, so any misplaced sample shows. */
function rampMap(width: number, height: number): Heatmap {
  const map = createMap(width, height);
  for (let i = 0; i < map.data.length; i++) map.data[i] = i + 1;
  return map;
}

const at = (m: Heatmap, x: number, y: number): number => m.data[y * m.width + x]!;

describe('geometry', () => {
  describe('affine transforms', () => {
    it('composes in the order given', () => {
      const a = composeAffine(cropAffine({ x: 10, y: 20 }), resizeAffine(100, 100, 50, 25));
      assertClosePoint(applyAffine(a, { x: 30, y: 40 }), { x: 10, y: 5 });
      assert.deepEqual(composeAffine(), IDENTITY_AFFINE);
    });

    it('inverts', () => {
      const a = composeAffine(resizeAffine(64, 48, 80, 60), rotationAffine(6, 80, 60), cropAffine({ x: 3, y: 5 }), hflipAffine(70));
      const round = composeAffine(a, invertAffine(a));
      IDENTITY_AFFINE.forEach((v, i) => assert.ok(Math.abs(round[i]! - v) < 1e-12, `${round.join(', ')}`));
      assert.throws(() => invertAffine([0, 0, 1, 0, 0, 1]), /not invertible/);
    });

    it('flips a pixel centre onto the mirrored pixel centre', () => {
      assertClosePoint(applyAffine(hflipAffine(10), { x: 3.5, y: 7 }), { x: 6.5, y: 7 });
    });

    it('rotates counter-clockwise on screen for positive degrees, about the centre', () => {
      const r = rotationAffine(90, 10, 10);
      assertClosePoint(applyAffine(r, { x: 8, y: 5 }), { x: 5, y: 2 }); // right of centre → above it
      assertClosePoint(applyAffine(r, { x: 5, y: 5 }), { x: 5, y: 5 });
    });
  });

  describe('landmarks', () => {
    it('IBUG68_MIRROR swaps left and right and keeps the centre line', () => {
      assert.deepEqual([...IBUG68_MIRROR].sort((a, b) => a - b), Array.from({ length: 68 }, (_, i) => i));
      IBUG68_MIRROR.forEach((j, i) => assert.equal(IBUG68_MIRROR[j], i, `not an involution at ${i}`));
      const pairs: [number, number][] = [[0, 16], [8, 8], [17, 26], [21, 22], [30, 30], [31, 35], [36, 45], [39, 42], [41, 46], [48, 54], [51, 51], [59, 55], [60, 64], [67, 65]];
      for (const [i, j] of pairs) assert.equal(IBUG68_MIRROR[i], j, `${i} ↔ ${j}`);
    });

    it('a flipped symmetric face is the same face, because the points are re-ordered', () => {
      const face = syntheticFace(224, 200);
      const flipped = transformLandmarks(face, hflipAffine(224));
      flipped.forEach((p, i) => assertClosePoint(p, face[i]!));
      // Without re-ordering, index 36 (outer corner of the image-left eye) would land on the image's right.
      const raw = transformLandmarks(face, hflipAffine(224), { keepOrder: true });
      assert.ok(raw[36]!.x > 112);
    });

    it('keeps the order for transforms that do not mirror', () => {
      const face = syntheticFace(100);
      const moved = transformLandmarks(face, composeAffine(rotationAffine(-6, 100, 100), resizeAffine(100, 100, 200, 200)));
      assert.ok(moved[36]!.x < moved[45]!.x);
      assertClosePoint(moved[27]!, applyAffine(rotationAffine(-6, 200, 200), { x: 100, y: face[27]!.y * 2 }));
    });
  });

  describe('warpMap', () => {
    it('nearest with a resize is resizeNearest', () => {
      const src = rampMap(7, 5);
      for (const [w, h] of [[16, 11], [3, 2], [7, 5]] as const) {
        assert.deepEqual(warpMap(src, resizeAffine(7, 5, w, h), w, h, 'nearest').data, resizeNearest(src, w, h).data, `${w}×${h}`);
      }
    });

    it('bilinear with a resize is resizeBilinear away from the border', () => {
      const src = rampMap(8, 6);
      const warped = warpMap(src, resizeAffine(8, 6, 16, 12), 16, 12, 'bilinear');
      const resized = resizeBilinear(src, 16, 12);
      for (let y = 1; y < 11; y++) for (let x = 1; x < 15; x++) assert.ok(Math.abs(at(warped, x, y) - at(resized, x, y)) < 1e-4, `${x},${y}`);
      assert.deepEqual(warpMap(src, IDENTITY_AFFINE, 8, 6, 'bilinear').data, src.data);
    });

    it('flips rows exactly', () => {
      const src = rampMap(5, 3);
      const flipped = warpMap(src, hflipAffine(5), 5, 3, 'nearest');
      for (let y = 0; y < 3; y++) for (let x = 0; x < 5; x++) assert.equal(at(flipped, x, y), at(src, 4 - x, y));
      assert.deepEqual(warpMap(flipped, hflipAffine(5), 5, 3, 'bilinear').data, src.data);
    });

    it('turns a square map a quarter counter-clockwise, four quarters back to the start', () => {
      const src = createMap(5, 5);
      src.data[2 * 5 + 4] = 1; // right-middle
      const ramp = rampMap(5, 5);
      let m = ramp;
      const r = rotationAffine(90, 5, 5);
      assert.equal(at(warpMap(src, r, 5, 5, 'nearest'), 2, 0), 1); // → top-middle
      for (let k = 0; k < 4; k++) m = warpMap(m, r, 5, 5, 'nearest');
      assert.deepEqual(m.data, ramp.data);
    });

    it('fills what comes from outside the source', () => {
      const out = warpMap(rampMap(4, 4), cropAffine({ x: 2, y: 0 }), 4, 4, 'nearest', 7);
      assert.deepEqual([...out.data.slice(0, 4)], [3, 4, 7, 7]);
    });

    it('keeps landmarks on the map through the training augmentation chain', () => {
      const p = { x: 20.3, y: 41.8 };
      const src = createMap(64, 64);
      for (let y = 40; y <= 42; y++) for (let x = 19; x <= 21; x++) src.data[y * 64 + x] = 1;
      const chain: Affine = composeAffine(resizeAffine(64, 64, 80, 80), rotationAffine(6, 80, 80), cropAffine({ x: 8, y: 8 }), hflipAffine(64));
      const q = applyAffine(chain, p);
      assert.equal(at(warpMap(src, chain, 64, 64, 'nearest'), Math.floor(q.x), Math.floor(q.y)), 1);
    });
  });
});
