import assert from 'node:assert/strict';
import { auEllipses } from '../../../src/trainer/science/auGeometry';
import { codebookPreset } from '../../../src/trainer/science/codebook';
import { hflipAffine, transformLandmarks, warpMap } from '../../../src/trainer/science/geometry';
import type { AuHeatmap } from '../../../src/trainer/science/heatmap';
import { auHeatmapForExpression, buildAuHeatmap } from '../../../src/trainer/science/heatmap';
import { boxBlur3, createMap, fillEllipse, minMax, normaliseMinMax, resizeBilinear } from '../../../src/trainer/science/raster';
import type { Heatmap, Point } from '../../../src/trainer/science/types';
import { shiftFace, syntheticFace, withLandmarks } from '../../helpers/syntheticFace';

type ValidMap = Extract<AuHeatmap, { valid: true }>;

function valid(result: AuHeatmap): ValidMap {
  assert.ok(result.valid, result.valid ? '' : `${result.reason}: ${result.detail}`);
  return result;
}

function maxAbsDiff(a: Heatmap, b: Heatmap): number {
  assert.deepEqual([a.width, a.height], [b.width, b.height]);
  let d = 0;
  for (let i = 0; i < a.data.length; i++) d = Math.max(d, Math.abs(a.data[i]! - b.data[i]!));
  return d;
}

const at = (m: Heatmap, p: Point): number => m.data[Math.trunc(p.y) * m.width + Math.trunc(p.x)]!;

/** AUs whose geometry is mirror-symmetric on a symmetric face (AU10, AU17 and AU20 are not, by the code's design). */
const SYMMETRIC_AUS = [1, 2, 4, 5, 6, 7, 9, 12, 15, 16, 23, 25, 26, 27];

describe('heatmap', () => {
  const face = syntheticFace(224);

  it('follows the paper pipeline: 1e-4 canvas, 255 ellipses, 28×28 round trip with a 3×3 blur, min-max', () => {
    const canvas = createMap(224, 224, 1e-4);
    for (const e of auEllipses(12, face, 224, 224)) fillEllipse(canvas, e, 255);
    const expected = normaliseMinMax(resizeBilinear(boxBlur3(resizeBilinear(canvas, 28, 28)), 224, 224));
    const result = valid(buildAuHeatmap(face, 224, 224, [12]));
    assert.deepEqual(result.map.data, expected.data);
    assert.deepEqual(result.perAu[0]!.map.data, expected.data);
  });

  it('smooths at the requested size; at full size only the 3×3 blur remains', () => {
    const canvas = createMap(96, 96, 1e-4);
    for (const e of auEllipses(12, syntheticFace(96), 96, 96)) fillEllipse(canvas, e, 255);
    const result = valid(buildAuHeatmap(syntheticFace(96), 96, 96, [12], { smoothSize: 96 }));
    assert.deepEqual(result.map.data, normaliseMinMax(boxBlur3(canvas)).data);
    assert.throws(() => buildAuHeatmap(face, 224, 224, [12], { smoothSize: 0 }), /smoothSize must be a positive integer/);
  });

  it('is min-max normalised, combined and per AU, and peaks on the AU', () => {
    const happy = valid(auHeatmapForExpression(codebookPreset('paper'), 'happy', face, 224, 224));
    assert.deepEqual([happy.map.width, happy.map.height], [224, 224]);
    assert.deepEqual(minMax(happy.map.data), { min: 0, max: 1 });
    assert.deepEqual(happy.perAu.map((p) => p.facs), [6, 12, 25]);
    for (const { map } of happy.perAu) assert.deepEqual(minMax(map.data), { min: 0, max: 1 });
    const lipCorners = happy.perAu[1]!.map;
    assert.equal(at(lipCorners, face[48]!), 1);
    assert.equal(at(lipCorners, face[54]!), 1);
    assert.equal(at(lipCorners, face[19]!), 0); // the brow is far from the mouth
  });

  it('combines AUs by the pixel-wise max before normalising', () => {
    // Large ellipses reach 255 after smoothing, so every AU has the same range and the max commutes with it.
    const strong = valid(buildAuHeatmap(face, 224, 224, [1, 6, 12]));
    const maxOfAus = createMap(224, 224);
    for (let i = 0; i < maxOfAus.data.length; i++) maxOfAus.data[i] = Math.max(...strong.perAu.map((p) => p.map.data[i]!));
    assert.ok(maxAbsDiff(strong.map, maxOfAus) < 1e-6);
    // AU25's 10-px-high ellipses stay below 255 after the 28×28 round trip: weaker in the combined map than alone.
    const mixed = valid(buildAuHeatmap(face, 224, 224, [6, 12, 25]));
    const lipsPart = mixed.perAu[2]!.map;
    for (let i = 0; i < mixed.map.data.length; i++) {
      assert.ok(mixed.map.data[i]! <= Math.max(...mixed.perAu.map((p) => p.map.data[i]!)) + 1e-6);
    }
    assert.ok(at(mixed.map, face[57]!) < at(lipsPart, face[57]!) - 0.1);
  });

  it('works on non-square images', () => {
    const result = valid(buildAuHeatmap(syntheticFace(160, 200), 160, 200, [1, 12, 26]));
    assert.deepEqual([result.map.width, result.map.height, result.map.data.length], [160, 200, 32000]);
    assert.deepEqual(minMax(result.map.data), { min: 0, max: 1 });
  });

  it('draws each AU once', () => {
    assert.deepEqual(valid(buildAuHeatmap(face, 224, 224, [12, 25, 12])).perAu.map((p) => p.facs), [12, 25]);
  });

  describe('flip symmetry', () => {
    it('the map of the flipped landmarks is the flipped map (exact on a pixel-aligned face)', () => {
      const w = 225;
      const exact = syntheticFace(w, 224, { exactMirror: true });
      const flipped = transformLandmarks(exact, hflipAffine(w));
      const original = valid(buildAuHeatmap(exact, w, 224, SYMMETRIC_AUS));
      const ofFlipped = valid(buildAuHeatmap(flipped, w, 224, SYMMETRIC_AUS));
      assert.ok(maxAbsDiff(ofFlipped.map, warpMap(original.map, hflipAffine(w), w, 224, 'nearest')) < 1e-6);
      original.perAu.forEach((p, i) => {
        assert.ok(maxAbsDiff(ofFlipped.perAu[i]!.map, warpMap(p.map, hflipAffine(w), w, 224, 'nearest')) < 1e-6, `AU${p.facs}`);
      });
    });

    it('holds within a pixel of truncation at 224×224', () => {
      const original = valid(buildAuHeatmap(face, 224, 224, SYMMETRIC_AUS));
      const ofFlipped = valid(buildAuHeatmap(transformLandmarks(face, hflipAffine(224)), 224, 224, SYMMETRIC_AUS));
      assert.ok(maxAbsDiff(ofFlipped.map, warpMap(original.map, hflipAffine(224), 224, 224, 'nearest')) < 0.05);
    });

    it("AU10, AU17 and AU20 are not symmetric, as in the paper's code", () => {
      const exact = syntheticFace(225, 224, { exactMirror: true });
      for (const facs of [10, 17, 20]) {
        const original = valid(buildAuHeatmap(exact, 225, 224, [facs]));
        const ofFlipped = valid(buildAuHeatmap(transformLandmarks(exact, hflipAffine(225)), 225, 224, [facs]));
        assert.ok(maxAbsDiff(ofFlipped.map, warpMap(original.map, hflipAffine(225), 225, 224, 'nearest')) > 0.5, `AU${facs}`);
      }
    });
  });

  describe('invalid maps', () => {
    const paper = codebookPreset('paper');

    it('neutral and contempt have no AUs', () => {
      for (const expression of ['neutral', 'contempt'] as const) {
        const result = auHeatmapForExpression(paper, expression, face, 224, 224);
        assert.deepEqual(result.valid ? 'valid' : result.reason, 'no-aus', expression);
      }
      assert.equal((buildAuHeatmap(face, 224, 224, []) as { reason: string }).reason, 'no-aus');
    });

    it('missing or non-finite landmarks give no map', () => {
      const cases: [string, Point[] | undefined, RegExp][] = [
        ['undefined', undefined, /no landmarks/],
        ['empty', [], /no landmarks/],
        ['NaN', withLandmarks(face, { 17: { x: Number.NaN, y: 3 } }), /landmark 17 is not a finite point \(NaN, 3\)/],
        // The paper's landmark files mark a failed detection with inf.
        ['inf', face.map(() => ({ x: Infinity, y: Infinity })), /landmark 0 is not a finite point/],
      ];
      for (const [what, landmarks, detail] of cases) {
        const result = buildAuHeatmap(landmarks, 224, 224, [6, 12, 25]);
        assert.ok(!result.valid && result.reason === 'no-landmarks', what);
        assert.match(result.detail, detail, what);
      }
    });

    it('a face entirely outside the image gives no map', () => {
      const result = auHeatmapForExpression(paper, 'surprise', shiftFace(face, 10_000, -10_000), 224, 224);
      assert.ok(!result.valid);
      assert.equal(result.reason, 'outside-image');
      assert.match(result.detail, /none of AU1, AU2, AU5, AU26, AU27 falls inside the 224×224 image/);
    });

    it('AUs outside the image are dropped, the others kept', () => {
      // Moved 150 px down, only the brows stay in the image: AU1 and AU4 of sad, not AU6, AU15, AU17.
      const result = valid(auHeatmapForExpression(paper, 'sad', shiftFace(face, 0, 150), 224, 224));
      assert.deepEqual(result.perAu.map((p) => p.facs), [1, 4]);
    });

    it('a landmark array that is not 68 points is a programming error', () => {
      assert.throws(() => buildAuHeatmap(face.slice(0, 5), 224, 224, [12]), /68 iBUG landmarks, got 5/);
    });
  });

  it('uses the codebook: official-code disgust draws the eyes (AU5), the paper draws the upper lip (AU10)', () => {
    const paper = valid(auHeatmapForExpression(codebookPreset('paper'), 'disgust', face, 224, 224));
    const code = valid(auHeatmapForExpression(codebookPreset('official-code'), 'disgust', face, 224, 224));
    assert.deepEqual(paper.perAu.map((p) => p.facs), [9, 10, 16, 17, 25, 26]);
    assert.deepEqual(code.perAu.map((p) => p.facs), [5, 9, 16, 17, 25, 26]);
    const eye = { x: (face[36]!.x + face[39]!.x) / 2, y: (face[38]!.y + face[41]!.y) / 2 };
    // The eye ellipses are small (12×4 px), so they stay faint next to the 255 plateaus of the larger AUs.
    assert.ok(at(code.perAu[0]!.map, eye) > 0.9);
    assert.ok(at(code.map, eye) > at(paper.map, eye) + 0.15);
  });
});
