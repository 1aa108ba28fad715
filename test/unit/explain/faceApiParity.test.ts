/**
 * The built-in model reads faces as face-api's own pipeline does (detectSingleFace with SSD on the image as it is →
 * withFaceLandmarks() → withFaceExpressions(), through the installed package): on face-api's demo photos and on
 * portraits made in memory from a sample of CK+48's crops at 48–1024 px (every crop: scripts/science/faceapi-parity.ts).
 * AU Lens finds every face face-api finds; over the faces both find, the top classes agree on ≥ 98 % and the
 * probabilities differ by ≤ 0.02 on average. Faces only one side finds are counted and listed per size in the
 * printed table.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { ParityImage, ParityResult, Pipelines } from '../../helpers/faceApiParity';
import { demoImages, formatParity, parityPipelines, parityRows, portraitImages, runParity } from '../../helpers/faceApiParity';
import { ck48Dir } from '../../helpers/paths';

/** CK+48 crops per portrait size in CI: one per style (8 styles), different subjects per size. */
const PER_SIZE = 8;
const MIN_SAME_TOP = 0.98;
const MAX_MEAN_DIFF = 0.02;

async function* images(): AsyncGenerator<ParityImage> {
  yield* demoImages();
  if (existsSync(ck48Dir)) yield* portraitImages(PER_SIZE);
}

describe('faceapi-expression against face-api\'s own pipeline', function () {
  this.timeout(1_200_000);
  let pipelines: Pipelines;
  let results: ParityResult[] = [];

  before(async () => {
    if (!existsSync(ck48Dir)) console.log(`      ${ck48Dir} is absent: face-api's demo photos only (CK+48 is research-only)`);
    pipelines = await parityPipelines();
    results = await runParity(images(), pipelines);
    console.log(formatParity(parityRows(results)).replace(/^/gm, '      '));
  });
  after(() => pipelines?.release());

  it('finds every face face-api finds, on the demo photos and at every size', () => {
    assert.equal(results.filter((r) => r.group === 'demo').length, 6);
    assert.deepEqual(results.filter((r) => r.theirs && !r.ours).map((r) => `${r.group}: ${r.label}`), []);
  });

  it('agrees on the top class of ≥ 98 % of the faces both find, probabilities within 0.02 on average', () => {
    const all = parityRows(results).at(-1)!;
    assert.ok(all.both >= 6, `${all.both} faces found by both`);
    assert.ok(all.sameTop / all.both >= MIN_SAME_TOP, `same top class on ${all.sameTop}/${all.both}: ${all.disagreements.join('; ')}`);
    assert.ok(all.meanMaxDiff <= MAX_MEAN_DIFF, `mean max |Δp| ${all.meanMaxDiff.toFixed(4)}`);
  });
});
