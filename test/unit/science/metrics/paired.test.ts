/**
 * Expected numbers and where they come from:
 * - McNemar exact: b=10, c=2 → 2·P(X ≤ 2 | n=12, ½) = 2·(1 + 12 + 66)/4096 = 0.038574 (by hand; scipy.stats.binomtest(2, 12).pvalue
 *   gives 0.03857421875).
 * - McNemar χ²: b=20, c=10 → (|20 − 10| − 1)²/30 = 2.7, p = chi2.sf(2.7, 1) = 0.100348; b=30, c=15 → 196/45 = 4.3556,
 *   p = 0.036888 (scipy.stats.chi2.sf).
 * - Quantiles: numpy.quantile([1, 2, 3, 4, 5], [0.025, 0.975]) = [1.1, 4.9].
 * - Bootstrap of a 0/1 difference with mean ½ over n=400: the normal approximation gives ½ ± 1.96·0.5/√400 = [0.451, 0.549].
 */
import * as assert from 'node:assert/strict';
import { bootstrapMean, quantileSorted } from '../../../../src/trainer/science/metrics/bootstrap';
import { chiSquare1Survival, mcnemar } from '../../../../src/trainer/science/metrics/mcnemar';
import type { ImageOutcome, PairedImage } from '../../../../src/trainer/science/metrics/paired';
import { comparePaired, describeAccuracy, formatP, pairByPath } from '../../../../src/trainer/science/metrics/paired';

const close = (actual: number | null, expected: number, tol: number, what: string): void => {
  assert.ok(actual !== null && Math.abs(actual - expected) <= tol, `${what}: ${actual} ≠ ${expected} ± ${tol}`);
};

describe('metrics/paired', () => {
  describe('mcnemar', () => {
    it('uses the exact binomial test below 25 discordant pairs (b=10, c=2 → p = 0.0386)', () => {
      const r = mcnemar(10, 2);
      assert.equal(r.method, 'exact-binomial');
      assert.equal(r.statistic, 2);
      close(r.p, 0.03857421875, 1e-12, 'p');
      assert.equal(mcnemar(2, 10).p, r.p, 'two-sided: symmetric in b and c');
    });

    it('gives p = 1 for balanced or empty tables', () => {
      assert.equal(mcnemar(3, 3).p, 1);
      assert.equal(mcnemar(12, 12).p, 1);
      assert.equal(mcnemar(0, 0).p, 1);
    });

    it('uses χ² with continuity correction from 25 discordant pairs on', () => {
      const r = mcnemar(20, 10);
      assert.equal(r.method, 'chi2-continuity');
      close(r.statistic, 2.7, 1e-12, 'statistic');
      close(r.p, 0.10034824646229054, 1e-6, 'p');
      close(mcnemar(30, 15).p, 0.036888425707049914, 1e-6, 'p');
      close(chiSquare1Survival(3.841458820694124), 0.05, 1e-6, 'χ²₁ 95 % point');
    });

    it('refuses counts that are not counts', () => {
      assert.throws(() => mcnemar(-1, 2), /b must be a count/);
      assert.throws(() => mcnemar(1, 2.5), /c must be a count/);
    });
  });

  describe('bootstrap', () => {
    it('interpolates quantiles like NumPy', () => {
      close(quantileSorted([1, 2, 3, 4, 5], 0.025), 1.1, 1e-12, 'low');
      close(quantileSorted([1, 2, 3, 4, 5], 0.975), 4.9, 1e-12, 'high');
    });

    it('is reproducible from its seed and collapses for a constant difference', () => {
      const d = Array.from({ length: 30 }, (_, i) => Math.sin(i * 1.7));
      assert.deepEqual(bootstrapMean(d, { seed: 7 }), bootstrapMean(d, { seed: 7 }));
      assert.notDeepEqual(bootstrapMean(d, { seed: 7 }), bootstrapMean(d, { seed: 8 }));
      assert.deepEqual(bootstrapMean([0.25, 0.25, 0.25]), { value: 0.25, low: 0.25, high: 0.25, n: 3 });
    });

    it('matches the normal approximation for a large sample', () => {
      const d = Array.from({ length: 400 }, (_, i) => i % 2);
      const e = bootstrapMean(d, { seed: 1 });
      assert.equal(e.value, 0.5);
      close(e.low, 0.451, 0.01, 'low');
      close(e.high, 0.549, 0.01, 'high');
    });

    it('gives no interval for a single image and refuses none', () => {
      assert.deepEqual(bootstrapMean([0.3]), { value: 0.3, low: null, high: null, n: 1 });
      assert.throws(() => bootstrapMean([]), /at least one image/);
      assert.throws(() => bootstrapMean([1, 2], { resamples: 0 }), /resamples/);
    });
  });

  describe('pairByPath', () => {
    it('pairs records of the same image and lists the rest', () => {
      const a = [{ path: '/x/1.png', v: 1 }, { path: '/x/2.png', v: 2 }, { path: '/x/3.png', v: 3 }];
      const b = [{ path: '/x/3.png', v: 30 }, { path: '/x/1.png', v: 10 }, { path: '/x/4.png', v: 40 }];
      const p = pairByPath(a, b);
      assert.deepEqual(p.pairs.map((x) => [x.path, x.a.v, x.b.v]), [['/x/1.png', 1, 10], ['/x/3.png', 3, 30]]);
      assert.deepEqual(p.onlyA, ['/x/2.png']);
      assert.deepEqual(p.onlyB, ['/x/4.png']);
    });

    it('refuses an image listed twice', () => {
      assert.throws(() => pairByPath([{ path: 'a' }, { path: 'a' }], []), /A lists a twice/);
    });
  });

  describe('comparePaired', () => {
    const out = (predicted: string, att: number | null): ImageOutcome => ({ predicted, attCos: { layer4: att } });
    const images: PairedImage[] = [
      { path: 'h1', label: 'happy', a: out('happy', 0.5), b: out('happy', 0.7) },
      { path: 'h2', label: 'happy', a: out('sad', 0.4), b: out('happy', 0.8) },
      { path: 's1', label: 'sad', a: out('sad', 0.6), b: out('anger', 0.5) },
      { path: 's2', label: 'sad', a: out('happy', 0.2), b: out('anger', 0.2) },
      { path: 'n1', label: 'neutral', a: out('neutral', null), b: out('neutral', null) },
    ];
    const layers = [{ a: 'layer4', b: 'layer4', label: 'layer4' }];

    it('counts accuracy, the McNemar table and the flips', () => {
      const r = comparePaired(images, layers, { resamples: 200 });
      assert.equal(r.n, 5);
      assert.deepEqual(r.classes, ['neutral', 'happy', 'sad']);
      close(r.accuracyA, 3 / 5, 1e-12, 'A');
      close(r.accuracyB, 3 / 5, 1e-12, 'B');
      close(r.deltaAccuracy.value, 0, 1e-12, 'Δ');
      assert.equal(r.mcnemar.b, 1);
      assert.equal(r.mcnemar.c, 1);
      assert.deepEqual(r.flips.map((f) => [f.path, f.kind]), [['h2', 'wrong-to-right'], ['s1', 'right-to-wrong'], ['s2', 'changed']]);
    });

    it('averages Δ ATT-COS over images with valid AU maps, per class and overall', () => {
      const r = comparePaired(images, layers, { resamples: 200 });
      const d = r.attCos[0]!;
      close(d.all!.value, (0.2 + 0.4 - 0.1 + 0) / 4, 1e-9, 'all');
      assert.equal(d.all!.n, 4);
      close(d.perClass.happy!.value, 0.3, 1e-9, 'happy');
      close(d.perClass.sad!.value, -0.05, 1e-9, 'sad');
      assert.equal(d.perClass.neutral, null, 'neutral has no AU map');
      assert.ok(d.perClass.happy!.low! <= 0.2 + 1e-9 && d.perClass.happy!.high! >= 0.4 - 1e-9, 'resamples of two values span them');
    });

    it('is deterministic and refuses an empty comparison', () => {
      assert.deepEqual(comparePaired(images, layers), comparePaired(images, layers));
      assert.throws(() => comparePaired([], layers), /no image was seen by both models/);
    });
  });

  describe('reading', () => {
    it('says which model is more accurate only when the evidence is clear', () => {
      const m = mcnemar(10, 2);
      assert.equal(formatP(m.p), '= 0.039');
      assert.equal(formatP(0.0004), '< 0.001');
      assert.equal(describeAccuracy({ deltaAccuracy: { value: -0.036, low: -0.065, high: -0.007, n: 300 }, mcnemar: m }),
        'A is more accurate: −3.6 points [−6.5, −0.7], McNemar p = 0.039');
      assert.equal(describeAccuracy({ deltaAccuracy: { value: 0.036, low: 0.007, high: 0.065, n: 300 }, mcnemar: mcnemar(2, 10) }),
        'B is more accurate: +3.6 points [0.7, 6.5], McNemar p = 0.039');
      assert.equal(describeAccuracy({ deltaAccuracy: { value: 0.012, low: -0.008, high: 0.031, n: 300 }, mcnemar: mcnemar(20, 10) }),
        'No clear difference in accuracy: +1.2 points [−0.8, 3.1], McNemar p = 0.1');
    });
  });
});
