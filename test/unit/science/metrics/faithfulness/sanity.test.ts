import * as assert from 'node:assert/strict';
import { randomisationSimilarity, sanityVerdict, spearman } from '../../../../../src/trainer/science/metrics/faithfulness/sanity';
import type { Heatmap } from '../../../../../src/trainer/science/types';
import { mulberry32 } from '../../../../../src/trainer/science/random';

const close = (a: number | null, b: number, tol = 1e-12): void => assert.ok(a !== null && Math.abs(a - b) <= tol, `${a} vs ${b}`);

describe('metrics/faithfulness/sanity', () => {
  it('computes Spearman\'s ρ with average ranks for ties, as scipy.stats.spearmanr', () => {
    close(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
    close(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
    // scipy 1.10: spearmanr([1,2,2,3,5,4],[2,1,3,3,6,5]) and spearmanr([0.1,0.4,0.4,0.9],[1,1,2,3]).
    close(spearman([1, 2, 2, 3, 5, 4], [2, 1, 3, 3, 6, 5]), 0.8676470588235294);
    close(spearman([0.1, 0.4, 0.4, 0.9], [1, 1, 2, 3]), 0.8333333333333335);
  });

  it('gives no ρ for a constant map, and refuses maps of different sizes or with NaN', () => {
    assert.equal(spearman([1, 1, 1], [1, 2, 3]), null);
    const a: Heatmap = { width: 2, height: 2, data: Float32Array.of(1, 2, 3, 4) };
    assert.equal(randomisationSimilarity(a, { width: 2, height: 2, data: new Float32Array(4) }), null);
    assert.throws(() => randomisationSimilarity(a, { width: 4, height: 1, data: Float32Array.of(1, 2, 3, 4) }), /differ in size: 2×2 and 4×1/);
    assert.throws(() => randomisationSimilarity(a, { width: 2, height: 2, data: Float32Array.of(1, NaN, 3, 4) }), /non-finite/);
  });

  it('compares absolute values when asked, for signed maps', () => {
    const trained: Heatmap = { width: 4, height: 1, data: Float32Array.of(-3, -1, 1, 3) };
    const flipped: Heatmap = { width: 4, height: 1, data: Float32Array.of(3, 1, -1, -3) };
    close(randomisationSimilarity(trained, flipped), -1);
    close(randomisationSimilarity(trained, flipped, { absolute: true }), 1);
  });

  it('flags a method whose maps barely change, and passes one whose maps change', () => {
    const r = mulberry32(3);
    const noise = (): Float32Array => Float32Array.from({ length: 64 }, () => r());
    const base = Array.from({ length: 12 }, noise);
    const map = (data: Float32Array): Heatmap => ({ width: 8, height: 8, data });
    // An edge-detector-like method: the randomised model's map is the same map plus a little noise.
    const stable = base.map((b) => randomisationSimilarity(map(b), map(b.map((v) => v + 0.05 * r()))));
    const changed = base.map((b) => randomisationSimilarity(map(b), map(noise())));
    const flagged = sanityVerdict(stable);
    assert.equal(flagged.flagged, true);
    assert.ok(flagged.rho!.value > 0.9 && flagged.rho!.low !== null);
    assert.match(flagged.reading, /barely change/);
    const passed = sanityVerdict(changed);
    assert.equal(passed.flagged, false);
    assert.ok(Math.abs(passed.rho!.value) < 0.2, `ρ ${passed.rho!.value}`);
    assert.equal(sanityVerdict([0.4, 0.45], { threshold: 0.4 }).flagged, true);
  });

  it('counts faces whose maps were constant and says when none can be compared', () => {
    const verdict = sanityVerdict([null, null]);
    assert.equal(verdict.rho, null);
    assert.equal(verdict.constant, 2);
    assert.equal(verdict.flagged, false);
    assert.equal(sanityVerdict([0.9, null]).constant, 1);
  });
});
