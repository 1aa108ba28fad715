import * as assert from 'node:assert/strict';
import { ausForExpression, codebookPreset } from '../../../../../src/trainer/science/codebook';
import type { AuOcclusion, AuOcclusionResult } from '../../../../../src/trainer/science/metrics/faithfulness/auOcclusion';
import { planAuOcclusion } from '../../../../../src/trainer/science/metrics/faithfulness/auOcclusion';
import { runProbe } from '../../../../../src/trainer/science/metrics/faithfulness/classifier';
import type { FaceRegions } from '../../../../../src/trainer/science/metrics/faithfulness/regions';
import { auRegion, controlRegion, faceRegions, landmarkHull, moveRegions } from '../../../../../src/trainer/science/metrics/faithfulness/regions';
import { resizeNearest } from '../../../../../src/trainer/science/raster';
import { mulberry32 } from '../../../../../src/trainer/science/random';
import { shiftFace, syntheticFace } from '../../../../helpers/syntheticFace';
import { checkerImage, linearClassifier, maskOf, matchedFilter } from './models';

const SIZE = 64;
const codebook = codebookPreset('paper');
const codebookAus = codebook.actionUnits.map((a) => a.facs);
const face = syntheticFace(SIZE);
const image = checkerImage(SIZE);

function regionsFor(className: 'happy' | 'neutral', landmarks = face): ReturnType<typeof faceRegions> {
  return faceRegions(landmarks, SIZE, SIZE, ausForExpression(codebook, className), codebookAus);
}

function happyRegions(): FaceRegions {
  const r = regionsFor('happy');
  assert.ok(!('status' in r), 'the synthetic face has happy regions');
  return r;
}

function ok(result: AuOcclusionResult): AuOcclusion {
  assert.equal(result.status, 'ok', JSON.stringify(result));
  return result as AuOcclusion;
}

describe('metrics/faithfulness/auOcclusion', () => {
  it('puts the drop on the AU whose pixels the logit reads, and none on the control region', async () => {
    const regions = happyRegions();
    const au12 = regions.aus.find((a) => a.facs === 12)!.mask;
    const classifier = linearClassifier(matchedFilter(au12));
    const result = ok(await runProbe(classifier, planAuOcclusion({ image, labels: classifier.labels, className: 'happy', regions })));
    assert.deepEqual(result.aus.map((a) => a.facs), [6, 12, 25]);
    const drop = (facs: number): number => result.aus.find((a) => a.facs === facs)!.drop!;
    assert.ok(result.probability > 0.95, `intact probability ${result.probability}`);
    assert.ok(drop(12) > 0.4, `AU12 drop ${drop(12)}`);
    for (const { facs, mask } of regions.aus.filter((a) => a.facs !== 12)) {
      const shared = mask.data.reduce((s, v, i) => s + (v & au12.data[i]!), 0);
      // Another AU drops the score only as far as it covers AU12's pixels.
      if (shared === 0) assert.ok(Math.abs(drop(facs)) < 1e-6, `AU${facs} is disjoint from AU12, drop ${drop(facs)}`);
      else assert.ok(drop(facs) < drop(12), `AU${facs} covers ${shared} of AU12's ${au12.pixels} pixels`);
    }
    assert.ok(result.control);
    assert.equal(result.control.drops.length, 3);
    for (const d of result.control.drops) assert.ok(Math.abs(d) < 1e-6, `control drop ${d}`);
    assert.equal(result.auReliance['AU12'], drop(12));
    const mean = (drop(6) + drop(12) + drop(25)) / 3;
    assert.ok(Math.abs(result.auSelectivity! - (mean - result.control.drop)) < 1e-12);
    assert.ok(result.auSelectivity! > 0.15);
    assert.equal(result.note, null);
  });

  it('gives a negative selectivity to a model that reads skin outside the AUs', async () => {
    const regions = happyRegions();
    const classifier = linearClassifier(matchedFilter(regions.skin));
    const result = ok(await runProbe(classifier, planAuOcclusion({ image, labels: classifier.labels, className: 'happy', regions })));
    assert.ok(result.control!.drop > 0.05, `control drop ${result.control!.drop}`);
    for (const a of result.aus) assert.ok(Math.abs(a.drop!) < 1e-6, `AU${a.facs} drop ${a.drop}`);
    assert.ok(result.auSelectivity! < -0.05);
  });

  it('draws control regions of the mean AU area on skin, the same for the same seed', () => {
    const regions = happyRegions();
    const area = Math.round(regions.aus.reduce((s, a) => s + a.mask.pixels, 0) / regions.aus.length);
    const a = controlRegion(regions.skin, area, mulberry32(5));
    const b = controlRegion(regions.skin, area, mulberry32(5));
    assert.deepEqual(a.data, b.data);
    assert.equal(a.pixels, area);
    const hull = landmarkHull(face, SIZE, SIZE);
    for (let i = 0; i < a.data.length; i++) {
      if (!a.data[i]) continue;
      assert.equal(regions.skin.data[i], 1, 'control pixels are skin');
      assert.equal(hull.data[i], 1, 'control pixels are inside the landmark hull');
      for (const facs of codebookAus) assert.equal(auRegion(facs, face, SIZE, SIZE).data[i], 0, `control pixel ${i} is outside AU${facs}`);
    }
  });

  it('says that neutral has no AUs instead of giving NaN', async () => {
    const classifier = linearClassifier(matchedFilter(maskOf(SIZE, () => true), 'neutral'));
    const result = await runProbe(classifier, planAuOcclusion({ image, labels: classifier.labels, className: 'neutral', regions: regionsFor('neutral') }));
    assert.equal(result.status, 'skipped');
    assert.equal(result.status === 'skipped' && result.reason, 'no-aus');
    assert.deepEqual(classifier.calls, [], 'nothing to run');
  });

  it('skips a face whose AUs all fall outside the crop, and reports one AU outside as such', async () => {
    const classifier = linearClassifier(matchedFilter(maskOf(SIZE, () => true)));
    const away = regionsFor('happy', shiftFace(face, 10 * SIZE, 0));
    const result = await runProbe(classifier, planAuOcclusion({ image, labels: classifier.labels, className: 'happy', regions: away }));
    assert.equal(result.status === 'skipped' && result.reason, 'outside-image');
    // Moved down by 0.4 of the image, the mouth AUs leave it and AU6 stays.
    const low = regionsFor('happy', shiftFace(face, 0, 0.4 * SIZE));
    const partial = ok(await runProbe(classifier, planAuOcclusion({ image, labels: classifier.labels, className: 'happy', regions: low })));
    const outside = partial.aus.filter((a) => a.drop === null);
    assert.ok(outside.length > 0 && outside.length < 3, JSON.stringify(partial.aus));
    for (const a of outside) {
      assert.equal(a.pixels, 0);
      assert.ok(!(`AU${a.facs}` in partial.auReliance));
    }
  });

  it('skips a class the model lacks', async () => {
    const classifier = linearClassifier(matchedFilter(maskOf(SIZE, () => true), 'sad'));
    const result = await runProbe(classifier, planAuOcclusion({ image, labels: classifier.labels, className: 'happy', regions: happyRegions() }));
    assert.equal(result.status === 'skipped' && result.reason, 'class-not-in-model');
    assert.match(result.status === 'skipped' ? result.detail : '', /no class "happy"; its classes: other, sad/);
  });

  it('moves regions drawn in the paper\'s 224 frame to the input, as AU maps are moved', () => {
    const drawn = faceRegions(syntheticFace(224), 224, 224, [12], codebookAus);
    assert.ok(!('status' in drawn));
    const moved = moveRegions(drawn, (m) => resizeNearest(m, SIZE, SIZE));
    const au12 = moved.aus[0]!.mask;
    assert.equal(au12.width, SIZE);
    const expected = resizeNearest({ width: 224, height: 224, data: Float32Array.from(drawn.aus[0]!.mask.data) }, SIZE, SIZE);
    assert.deepEqual(Array.from(au12.data), Array.from(expected.data, (v) => (v > 0.5 ? 1 : 0)));
    assert.equal(au12.pixels, au12.data.reduce((s, v) => s + v, 0));
    assert.ok(moved.skin.pixels > 0 && moved.skin.width === SIZE);
  });

  it('skips a face without landmarks and refuses regions of another size', () => {
    const noFace = faceRegions(undefined, SIZE, SIZE, [12], codebookAus);
    assert.equal('status' in noFace && noFace.reason, 'no-landmarks');
    const big = faceRegions(syntheticFace(96), 96, 96, [12], codebookAus);
    assert.ok(!('status' in big));
    assert.throws(() => planAuOcclusion({ image, labels: ['happy'], className: 'happy', regions: big }), /AU12 region is 96×96 but the image is 64×64/);
  });

  it('reports a face with no skin outside the AUs without a selectivity', async () => {
    const regions = happyRegions();
    const noSkin: FaceRegions = { aus: regions.aus, skin: maskOf(SIZE, () => false) };
    const classifier = linearClassifier(matchedFilter(regions.aus[1]!.mask));
    const result = ok(await runProbe(classifier, planAuOcclusion({ image, labels: classifier.labels, className: 'happy', regions: noSkin })));
    assert.equal(result.control, null);
    assert.equal(result.auSelectivity, null);
    assert.match(result.note!, /no facial skin/);
  });
});
