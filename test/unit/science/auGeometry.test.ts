import assert from 'node:assert/strict';
import { AU_NAMES, SUPPORTED_AUS, auEllipses } from '../../../src/trainer/science/auGeometry';
import type { Ellipse, Point } from '../../../src/trainer/science/types';
import { syntheticFace, withLandmarks } from '../../helpers/syntheticFace';

const e = (cx: number, cy: number, rx: number, ry: number): Ellipse => ({ cx, cy, rx, ry });

/**
 * Landmarks with fractional coordinates, so every expected value below checks the truncations by hand:
 * ints (86,168) for P48, (137,168) for P54, and so on.
 */
const P: Readonly<Record<number, Point>> = {
  6: { x: 82.9, y: 200.5 },
  8: { x: 112, y: 209.4 },
  10: { x: 141.1, y: 200.5 },
  18: { x: 70.2, y: 66.9 },
  19: { x: 80.9, y: 70.2 },
  20: { x: 85.3, y: 70.6 },
  23: { x: 138.7, y: 70.6 },
  24: { x: 141.3, y: 66.8 },
  25: { x: 153.8, y: 66.9 },
  29: { x: 112, y: 120.9 },
  31: { x: 99.7, y: 143.4 },
  35: { x: 124.3, y: 143.4 },
  36: { x: 60.5, y: 94 },
  38: { x: 84, y: 88.9 },
  39: { x: 95.2, y: 95 },
  41: { x: 74.9, y: 99.1 },
  42: { x: 128.4, y: 95 },
  44: { x: 140, y: 88.2 },
  45: { x: 163.6, y: 94 },
  46: { x: 149.1, y: 98.6 },
  47: { x: 150, y: 88.7 },
  48: { x: 86.7, y: 168.2 },
  50: { x: 104.1, y: 159.5 },
  51: { x: 112, y: 160.8 },
  52: { x: 119.9, y: 159.5 },
  54: { x: 137.9, y: 168.9 },
  55: { x: 130.5, y: 176.5 },
  57: { x: 112, y: 182.6 },
  59: { x: 93.5, y: 176.5 },
};
const face = withLandmarks(syntheticFace(224), P);

describe('auGeometry', () => {
  describe('at 224×224 (the paper code, constants unscaled)', () => {
    const cases: [facs: number, expected: Ellipse[]][] = [
      [1, [e(85, 70, 28, 22), e(138, 70, 28, 22)]], // round(224/8), round(224/10)
      [2, [e(70, 66, 28, 22), e(153, 66, 28, 22)]],
      // centre int(110.5), int(68); rx int(61/2) = 30; ry max(int(-4/2), 0) = 0 → fallback 10
      [4, [e(110, 68, 30, 10)]],
      // eye A: (int(77.5), int(93.5)), (int(35/2), int(11/2)); eye B lids both at row 88 → ry 0 → fallback 5
      [5, [e(77, 93, 17, 5), e(145, 88, 17, 5)]],
      [6, [e(74, 99 + 37, 22, 22), e(149, 98 + 37, 22, 22)]], // round(224/6) = 37 below P41 / P46
      [7, [e(77, 93, 17, 15), e(145, 88, 17, 10)]], // ry = int((y41 − y38 + 20) / 2)
      [9, [e(99, 120, 20, 20), e(124, 120, 20, 20)]], // x31 / x35 on row y29
      [10, [e(86, 159, 20, 20), e(119, 168, 20, 20)]], // (x48, y50) and (x52, y54), the code's mixed indices
      [12, [e(86, 168, 20, 20), e(137, 168, 20, 20)]],
      [14, [e(66, 168, 20, 20), e(157, 168, 20, 20)]],
      [15, [e(86, 168, 20, 20), e(137, 168, 20, 20)]],
      [16, [e(93, 176, 20, 20), e(130, 176, 20, 20)]], // P59, P55
      [17, [e(102, 192, 9, 16)]], // between (93,176) and (112,209)
      [20, [e(84, 184, 20, 20), e(122, 179, 20, 20)]], // mid(P48, P6), mid(P50, P10)
      [25, [e(112, 160, 25, 10), e(112, 182, 25, 10)]],
      [43, [e(77, 93, 17, 15), e(145, 88, 17, 10)]],
    ];
    for (const [facs, expected] of cases) {
      it(`AU${facs} (${AU_NAMES[facs]})`, () => assert.deepEqual(auEllipses(facs, face, 224, 224), expected));
    }

    it('AU23, AU24, AU26 and AU27 share the mouth ellipse', () => {
      // x from P48/P54 (86, 137), y from P51/P57 (160, 182)
      for (const facs of [23, 24, 26, 27]) assert.deepEqual(auEllipses(facs, face, 224, 224), [e(111, 171, 25, 11)], `AU${facs}`);
    });
  });

  describe('fallbacks for a zero semi-axis', () => {
    it('a closed mouth gets ry 5, a collapsed chin box gets 5 on both axes', () => {
      const closed = withLandmarks(face, { 57: { x: 112, y: 160.2 } });
      assert.deepEqual(auEllipses(26, closed, 224, 224), [e(111, 160, 25, 5)]);
      // P8 left of and above P59: both extents negative → max(…, 0) = 0 → 5
      const odd = withLandmarks(face, { 8: { x: 90, y: 170 } });
      assert.deepEqual(auEllipses(17, odd, 224, 224), [e(91, 173, 5, 5)]);
    });

    it('brows at one point get 10 on both axes', () => {
      const pinched = withLandmarks(face, { 24: { x: 80.1, y: 70.9 } });
      assert.deepEqual(auEllipses(4, pinched, 224, 224), [e(80, 70, 10, 10)]);
    });

    it('AU43 keeps a zero semi-axis (the code has no fallback there) where AU5 uses 5', () => {
      const narrow = withLandmarks(face, { 42: { x: 140.2, y: 95 }, 45: { x: 140.9, y: 94 } });
      assert.deepEqual(auEllipses(43, narrow, 224, 224)[1], e(140, 88, 0, 10));
      assert.deepEqual(auEllipses(5, narrow, 224, 224)[1], e(140, 88, 5, 5));
    });

    it('AU14 is clamped to the image columns', () => {
      const wide = withLandmarks(face, { 48: { x: 15.2, y: 168.2 }, 54: { x: 210.6, y: 168.9 } });
      assert.deepEqual(auEllipses(14, wide, 224, 224), [e(0, 168, 20, 20), e(224, 168, 20, 20)]);
    });
  });

  it('truncates toward zero like Python int(), also for negative coordinates', () => {
    const off = withLandmarks(face, { 19: { x: -3.5, y: 70.2 }, 24: { x: -10.2, y: 66.8 }, 48: { x: -3.7, y: -0.4 } });
    assert.deepEqual(auEllipses(12, off, 224, 224)[0], e(-3, 0, 20, 20));
    // (-3 + -10) / 2 = -6.5 → -6, not floor's -7; rx max(int(-7/2), 0) = 0 → 10
    assert.deepEqual(auEllipses(4, off, 224, 224), [e(-6, 68, 10, 10)]);
  });

  describe('scales the 224-pixel constants with the image size', () => {
    const at = (size: number): Point[] => face.map((p) => ({ x: (p.x * size) / 224, y: (p.y * size) / 224 }));
    const axes = (facs: number, w: number, h: number, points = at(w)): [number, number][] =>
      auEllipses(facs, points, w, h).map((q) => [q.rx, q.ry]);

    it('at 112×112 (halves round half to even: 12.5 → 12, 2.5 → 2)', () => {
      assert.deepEqual(axes(12, 112, 112), [[10, 10], [10, 10]]);
      assert.deepEqual(axes(1, 112, 112), [[14, 11], [14, 11]]); // round(14), round(11.2)
      assert.deepEqual(axes(25, 112, 112), [[12, 5], [12, 5]]);
      assert.deepEqual(axes(4, 112, 112), [[15, 5]]); // rx int(30/2) = 15 from the halved brows, ry fallback 10 → 5
      assert.deepEqual(axes(5, 112, 112)[1], [8, 2]); // fallback 5 → 2
      // AU7 adds 10 instead of 20: lids (44, 49) → int(15 / 2) = 7
      assert.deepEqual(axes(7, 112, 112)[0], [8, 7]);
      const cheek = auEllipses(6, at(112), 112, 112)[0]!;
      assert.deepEqual([cheek.cy, cheek.rx, cheek.ry], [49 + 19, 11, 11]); // y41 = int(49.55), round(18.67) = 19
      assert.equal(auEllipses(14, at(112), 112, 112)[0]!.cx, 43 - 10);
    });

    it('at 448×448', () => {
      assert.deepEqual(axes(12, 448, 448), [[40, 40], [40, 40]]);
      assert.deepEqual(axes(1, 448, 448), [[56, 45], [56, 45]]);
      assert.deepEqual(axes(25, 448, 448), [[50, 20], [50, 20]]);
      assert.deepEqual(axes(4, 448, 448), [[60, 20]]);
      assert.deepEqual(axes(5, 448, 448)[1], [35, 10]); // corners (256, 327)
      assert.deepEqual(axes(7, 448, 448)[0], [34, 30]); // lids (177, 198): int((21 + 40) / 2)
      assert.equal(auEllipses(6, at(448), 448, 448)[0]!.cy, 198 + 75); // y41 = int(198.2), round(74.67) = 75
      assert.equal(auEllipses(14, at(448), 448, 448)[0]!.cx, 173 - 40);
    });

    it('horizontally by the width and vertically by the height', () => {
      const points = face.map((p) => ({ x: p.x, y: p.y / 2 }));
      assert.deepEqual(axes(25, 224, 112, points), [[25, 5], [25, 5]]);
      assert.deepEqual(axes(12, 224, 112, points), [[20, 10], [20, 10]]);
      assert.deepEqual(axes(1, 224, 112, points), [[28, 11], [28, 11]]);
    });

    it("round(w/8) is Python's round: 100/8 = 12.5 → 12", () => {
      assert.deepEqual(axes(1, 100, 100)[0], [12, 10]);
    });
  });

  it('names every AU it can draw', () => {
    assert.deepEqual(SUPPORTED_AUS, [1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 16, 17, 20, 23, 24, 25, 26, 27, 43]);
    assert.deepEqual(Object.keys(AU_NAMES).map(Number), SUPPORTED_AUS);
    assert.equal(AU_NAMES[12], 'Lip Corner Puller');
    assert.equal(AU_NAMES[11], undefined);
  });

  it('rejects an AU without geometry and a landmark array that is not 68 points', () => {
    assert.throws(() => auEllipses(11, face, 224, 224), /no geometry is defined for AU11; supported: AU1, AU2, AU4, /);
    assert.throws(() => auEllipses(12, face.slice(0, 67), 224, 224), /68 iBUG landmarks, got 67/);
  });
});
