import * as assert from 'node:assert/strict';
import { gaussianBlur } from '../../../../../src/trainer/science/metrics/faithfulness/blur';
import { runProbe, runProbes } from '../../../../../src/trainer/science/metrics/faithfulness/classifier';
import type { DeletionInsertion, DeletionInsertionResult } from '../../../../../src/trainer/science/metrics/faithfulness/deletion';
import { planDeletionInsertion, trapezoid } from '../../../../../src/trainer/science/metrics/faithfulness/deletion';
import { mulberry32 } from '../../../../../src/trainer/science/random';
import type { Heatmap } from '../../../../../src/trainer/science/types';
import { checkerImage, linearClassifier, maskOf, matchedFilter } from './models';

const SIZE = 64;
const N = SIZE * SIZE;
const image = checkerImage(SIZE);
// 10 × 20 = 200 pixels, fewer than one step (N / 20 = 204.8): the dependency map removes it all in step 1.
const region = maskOf(SIZE, (x, y) => x >= 20 && x < 30 && y >= 36 && y < 56);
const classifier = linearClassifier(matchedFilter(region), 16);
const labels = classifier.labels;

const mapFrom = (f: (p: number) => number): Heatmap => ({ width: SIZE, height: SIZE, data: Float32Array.from({ length: N }, (_, p) => f(p)) });
const dependency = mapFrom((p) => region.data[p]!);
const inverse = mapFrom((p) => 1 - region.data[p]!);
const randomMap = (seed: number): Heatmap => {
  const r = mulberry32(seed);
  return mapFrom(() => r());
};

function ok(result: DeletionInsertionResult): DeletionInsertion {
  assert.equal(result.status, 'ok', JSON.stringify(result));
  return result as DeletionInsertion;
}

async function curves(map: Heatmap, seed?: number): Promise<DeletionInsertion> {
  return ok(await runProbe(classifier, planDeletionInsertion({ image, map, labels, className: 'happy' }, seed === undefined ? {} : { seed })));
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const logit = (p: number): number => Math.log(p / (1 - p));

describe('metrics/faithfulness/deletion', () => {
  it('gives the map equal to the dependency the best deletion and insertion AUC', async () => {
    const [dep, inv, rnd] = await Promise.all([curves(dependency), curves(inverse), curves(randomMap(1))]);
    assert.equal(dep.deletion.probabilities.length, 21);
    assert.equal(dep.deletion.fractions[0], 0);
    assert.equal(dep.deletion.fractions[20], 1);
    assert.ok(dep.deletion.probabilities[0]! > 0.95);
    assert.ok(Math.abs(dep.deletion.probabilities[1]! - 0.5) < 0.01, 'step 1 blurred the whole region');
    assert.ok(dep.deletion.auc < rnd.deletion.auc - 0.2, `deletion: dependency ${dep.deletion.auc}, random ${rnd.deletion.auc}`);
    assert.ok(rnd.deletion.auc < inv.deletion.auc - 0.05, `deletion: random ${rnd.deletion.auc}, inverse ${inv.deletion.auc}`);
    assert.ok(dep.insertion.auc > rnd.insertion.auc + 0.1, `insertion: dependency ${dep.insertion.auc}, random ${rnd.insertion.auc}`);
    assert.ok(rnd.insertion.auc > inv.insertion.auc + 0.05, `insertion: random ${rnd.insertion.auc}, inverse ${inv.insertion.auc}`);
  });

  it('puts a random map near its expected AUC', async () => {
    // The logit is linear in the pixels of the region, so after removing n_k of N pixels at random its expected value
    // is L0 + (n_k / N)(Lb − L0); the AUC of the sigmoid of that line is the expectation up to a small Jensen gap.
    const blurred = gaussianBlur(image);
    const out = await classifier.probabilities([image.data, blurred.data]);
    const [p0, pb] = [out[1]!, out[3]!];
    const fractions = Array.from({ length: 21 }, (_, k) => Math.round((k * N) / 20) / N);
    const expected = (from: number, to: number): number => trapezoid(fractions, fractions.map((t) => sigmoid(from + t * (to - from))));
    const runs = await runProbes(classifier, [11, 12, 13, 14, 15, 16, 17, 18].map((s) => planDeletionInsertion({ image, map: randomMap(s), labels, className: 'happy' })));
    const mean = (pick: (r: DeletionInsertion) => number): number => runs.map((r) => pick(ok(r))).reduce((s, v) => s + v, 0) / runs.length;
    const deletion = mean((r) => r.deletion.auc);
    const insertion = mean((r) => r.insertion.auc);
    const expectedDeletion = expected(logit(p0), logit(pb));
    const expectedInsertion = expected(logit(pb), logit(p0));
    assert.ok(Math.abs(deletion - expectedDeletion) < 0.02, `deletion ${deletion}, expected ${expectedDeletion}`);
    assert.ok(Math.abs(insertion - expectedInsertion) < 0.02, `insertion ${insertion}, expected ${expectedInsertion}`);
  });

  it('orders ties at random from the seed, so the same seed gives the same curves', async () => {
    const a = await curves(dependency, 3);
    const b = await curves(dependency, 3);
    assert.deepEqual(a, b);
    const c = await curves(mapFrom((p) => (p < N / 2 ? 1 : 0)), 3);
    // Half the image tied at the top: the region (in the lower half) is not reached first in raster order.
    assert.ok(c.deletion.probabilities[10]! > 0.9);
  });

  it('skips a constant map and a class the model lacks', async () => {
    const flat = await runProbe(classifier, planDeletionInsertion({ image, map: mapFrom(() => 0.3), labels, className: 'happy' }));
    assert.equal(flat.status === 'skipped' && flat.reason, 'constant-map');
    const missing = await runProbe(classifier, planDeletionInsertion({ image, map: dependency, labels, className: 'fear' }));
    assert.equal(missing.status === 'skipped' && missing.reason, 'class-not-in-model');
  });

  it('refuses a map of another size and a map with NaN', () => {
    const small: Heatmap = { width: 8, height: 8, data: new Float32Array(64).fill(1) };
    assert.throws(() => planDeletionInsertion({ image, map: small, labels, className: 'happy' }), /map is 8×8 but the image is 64×64; resize the map first/);
    const nan = mapFrom((p) => (p === 5 ? NaN : 0));
    assert.throws(() => planDeletionInsertion({ image, map: nan, labels, className: 'happy' }), /non-finite/);
  });

  it('runs probes in full batches across probes, reports progress, stops when aborted, refuses wrong sizes', async () => {
    const probes = [dependency, inverse, randomMap(2)].map((map) => planDeletionInsertion({ image, map, labels, className: 'happy' }));
    const local = linearClassifier(matchedFilter(region), 16);
    const progress: number[] = [];
    await runProbes(local, probes, { onProgress: (done, total) => progress.push(done / total) });
    assert.deepEqual(local.calls, [16, 16, 16, 16, 16, 16, 16, 14]);
    assert.equal(progress.at(-1), 1);
    const abort = new AbortController();
    abort.abort(new Error('cancelled by the user'));
    await assert.rejects(runProbes(local, probes, { signal: abort.signal }), /cancelled by the user/);
    const ramp8: Heatmap = { width: 8, height: 8, data: Float32Array.from({ length: 64 }, (_, p) => p) };
    const small = planDeletionInsertion({ image: checkerImage(8), map: ramp8, labels, className: 'happy' });
    await assert.rejects(runProbes(local, [small]), /a 192-value image cannot go through a model that takes 3×64×64/);
  });
});
