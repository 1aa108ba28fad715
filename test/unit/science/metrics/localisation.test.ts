import * as assert from 'node:assert/strict';
import {
  binariseAuMap,
  defaultTopK,
  energyPointingGame,
  localisationReport,
  perAuEnergyShare,
  pointingGame,
  relevanceMassAccuracy,
  relevanceRankAccuracy,
  rocAuc,
  topKIntersection,
} from '../../../../src/trainer/science/metrics/localisation';
import type { Heatmap } from '../../../../src/trainer/science/types';
import { assertClose, map, mapOf, seeded } from './maps';

/** 4×4 AU heatmap whose top-left 2×2 block (1/4 of the image) is above τ = 0.5. */
const topLeft = (x: number, y: number): number => (x < 2 && y < 2 ? 0.9 : 0.1);
const H = mapOf(4, 4, topLeft);
const B = binariseAuMap(H);
const peakAt = (px: number, py: number): Heatmap => mapOf(4, 4, (x, y) => (x === px && y === py ? 1 : 0.2));

describe('metrics/localisation', () => {
  it('binarises H > τ and keeps τ', () => {
    assert.equal(B.pixels, 4);
    assert.equal(B.threshold, 0.5);
    assert.deepEqual(Array.from(B.data), [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(binariseAuMap(H, 0.05).pixels, 16);
  });

  describe('pointing game', () => {
    it('hits when the peak is in the mask and misses otherwise', () => {
      assert.equal(pointingGame(peakAt(1, 1), B), true);
      assert.equal(pointingGame(peakAt(3, 3), B), false);
    });

    it('accepts a peak within the tolerance radius', () => {
      assert.equal(pointingGame(peakAt(2, 0), B, 0), false);
      assert.equal(pointingGame(peakAt(2, 0), B, 1), true);
      // (2, 2) is √2 from the nearest mask pixel (1, 1).
      assert.equal(pointingGame(peakAt(2, 2), B, 1), false);
      assert.equal(pointingGame(peakAt(2, 2), B, 1.5), true);
    });

    it('takes the first maximum in row-major order', () => {
      assert.equal(pointingGame(mapOf(4, 4, (_x, y) => (y === 0 || y === 3 ? 1 : 0)), B), true);
      assert.equal(pointingGame(mapOf(4, 4, (x, y) => (x === 3 || y === 3 ? 1 : 0)), B), false);
    });

    it('is null for a constant map or an empty mask', () => {
      assert.equal(pointingGame(mapOf(4, 4, () => 0), B), null);
      assert.equal(pointingGame(peakAt(1, 1), binariseAuMap(H, 0.95)), null);
    });
  });

  describe('energy', () => {
    it('energy pointing game is 0.25 for a uniform map and a quarter mask', () => {
      assertClose(energyPointingGame(mapOf(4, 4, () => 0.3), B), 0.25);
      assertClose(energyPointingGame(mapOf(4, 4, (x, y) => topLeft(x, y) > 0.5 ? 1 : 0), B), 1);
    });

    it('relevance mass keeps only positive relevance; the energy game refuses negatives', () => {
      const signed = mapOf(4, 4, (x, y) => (topLeft(x, y) > 0.5 ? 1 : -1));
      assertClose(relevanceMassAccuracy(signed, B), 1);
      assert.throws(() => energyPointingGame(signed, B), RangeError);
      const ramp = mapOf(4, 4, (x, y) => 4 * y + x + 1);
      assertClose(relevanceMassAccuracy(ramp, B), energyPointingGame(ramp, B)!);
    });

    it('is null for an all-zero map or an empty mask', () => {
      assert.equal(energyPointingGame(mapOf(4, 4, () => 0), B), null);
      assert.equal(relevanceMassAccuracy(mapOf(4, 4, () => -1), B), null);
      assert.equal(energyPointingGame(mapOf(4, 4, () => 1), binariseAuMap(H, 0.95)), null);
    });
  });

  describe('ranking', () => {
    // Distinct values, highest first in row-major order: 16, 15, ..., 1.
    const descending = mapOf(4, 4, (x, y) => 16 - (4 * y + x));

    it('relevance rank is 1 when M is the mask, and reads the top-|B| pixels', () => {
      assertClose(relevanceRankAccuracy(H, B), 1);
      // Top 4 of `descending` is row 0, which holds 2 of the 4 mask pixels.
      assertClose(relevanceRankAccuracy(descending, B), 0.5);
    });

    it('top-K intersection counts |top-K ∩ B| / K', () => {
      assertClose(topKIntersection(descending, B, 2), 1);
      assertClose(topKIntersection(descending, B, 4), 0.5);
      assertClose(topKIntersection(descending, B, 8), 0.5);
      assertClose(topKIntersection(descending, B, 16), 0.25);
      assert.throws(() => topKIntersection(descending, B, 0), RangeError);
      assert.throws(() => topKIntersection(descending, B, 17), RangeError);
      assert.throws(() => topKIntersection(descending, B, 1.5), RangeError);
    });

    it('shares tied places by expectation, not by pixel order', () => {
      // Two tied peaks, one inside the mask: the single top place is half a hit.
      const twoPeaks = mapOf(4, 4, (x, y) => ((x === 0 && y === 0) || (x === 3 && y === 3) ? 1 : 0));
      assertClose(topKIntersection(twoPeaks, B, 1), 0.5);
      // M = mask, K = 6: the 4 mask pixels, then 2 of the 12 tied zeros (none in the mask).
      assertClose(topKIntersection(H, B, 6), 4 / 6);
    });

    it('ROC-AUC is 1 for the mask, 0 for its inverse and 0.5 for a map blind to it', () => {
      assertClose(rocAuc(H, B), 1);
      assertClose(rocAuc(mapOf(4, 4, (x, y) => 1 - topLeft(x, y)), B), 0);
      // Mask = left half; M depends on the row only, so each tie group is half in, half out.
      const left = binariseAuMap(mapOf(4, 4, (x) => (x < 2 ? 1 : 0)));
      assertClose(rocAuc(mapOf(4, 4, (_x, y) => y), left), 0.5);
    });

    it('ROC-AUC counts ties as half (Mann–Whitney)', () => {
      // Positives score 3 and 1, negatives 1 and 0: pairs (3,1) (3,0) (1,0) win, (1,1) ties → 3.5 / 4.
      assertClose(rocAuc(map(2, 2, [3, 1, 1, 0]), binariseAuMap(map(2, 2, [1, 1, 0, 0]))), 0.875);
    });

    it('is null for a constant map, an empty mask, or (AUC) a full mask', () => {
      const flat = mapOf(4, 4, () => 0);
      assert.equal(relevanceRankAccuracy(flat, B), null);
      assert.equal(topKIntersection(flat, B, 4), null);
      assert.equal(rocAuc(flat, B), null);
      assert.equal(rocAuc(descending, binariseAuMap(H, 0.95)), null);
      assert.equal(rocAuc(descending, binariseAuMap(H, 0)), null);
      assertClose(relevanceRankAccuracy(descending, binariseAuMap(H, 0)), 1);
    });
  });

  describe('per-AU energy share', () => {
    const ramp = mapOf(4, 4, (x, y) => 4 * y + x + 1); // 1..16, Σ = 136
    const perAu = [
      { facs: 12, map: mapOf(4, 4, topLeft) }, // pixels 1, 2, 5, 6 → 14
      { facs: 4, map: mapOf(4, 4, (x, y) => (x >= 2 && y >= 2 ? 0.6 : 0)) }, // 11, 12, 15, 16 → 54
      { facs: 26, map: mapOf(4, 4, () => 0.4) }, // nothing above τ
    ];

    it('matches hand values and sums to at most 1 for disjoint AUs', () => {
      const shares = perAuEnergyShare(ramp, perAu)!;
      assert.deepEqual(shares.map((s) => [s.facs, s.pixels]), [[12, 4], [4, 4], [26, 0]]);
      assertClose(shares[0]!.share, 14 / 136);
      assertClose(shares[1]!.share, 54 / 136);
      assert.equal(shares[2]!.share, 0);
      assert.ok(shares.reduce((s, a) => s + a.share, 0) <= 1);
    });

    it('uses the given τ', () => {
      assertClose(perAuEnergyShare(ramp, perAu, 0.3)![2]!.share, 1);
    });

    it('is null for an all-zero map and refuses negatives or other sizes', () => {
      assert.equal(perAuEnergyShare(mapOf(4, 4, () => 0), perAu), null);
      assert.throws(() => perAuEnergyShare(mapOf(4, 4, () => -1), perAu), RangeError);
      assert.throws(() => perAuEnergyShare(mapOf(2, 2, () => 1), perAu), RangeError);
    });
  });

  describe('localisationReport', () => {
    it('returns every score with τ, tolerance and K', () => {
      const r = localisationReport(H, H, [{ facs: 'AU12', map: H }], { tolerance: 1, topK: 4 });
      assert.equal(r.threshold, 0.5);
      assert.equal(r.tolerance, 1);
      assert.equal(r.topK, 4);
      assert.equal(r.maskPixels, 4);
      assert.equal(r.totalPixels, 16);
      assert.equal(r.pointingGame, true);
      assertClose(r.energyPointingGame, 3.6 / (3.6 + 1.2));
      assertClose(r.relevanceMassAccuracy, r.energyPointingGame!);
      assert.equal(r.relevanceRankAccuracy, 1);
      assert.equal(r.topKIntersection, 1);
      assert.equal(r.rocAuc, 1);
      assert.deepEqual(r.perAuEnergyShare?.map((s) => s.facs), ['AU12']);
      assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
    });

    it('scales Quantus’s K = 1000 at 224×224 to the map size', () => {
      assert.equal(defaultTopK(224, 224), 1000);
      assert.equal(defaultTopK(4, 4), 1);
      assert.equal(localisationReport(H, H, []).topK, 1);
    });

    it('gives nulls for an empty mask and RangeError for a size mismatch or an invalid AU map', () => {
      const r = localisationReport(H, H, [], { threshold: 0.95 });
      assert.equal(r.threshold, 0.95);
      assert.equal(r.maskPixels, 0);
      for (const k of ['pointingGame', 'energyPointingGame', 'relevanceMassAccuracy', 'relevanceRankAccuracy',
        'topKIntersection', 'rocAuc'] as const) {
        assert.equal(r[k], null, k);
      }
      assert.throws(() => localisationReport(mapOf(8, 8, () => 1), H, []), RangeError);
      assert.throws(() => localisationReport(H, mapOf(4, 4, () => Infinity), []), RangeError);
      assert.throws(() => localisationReport(mapOf(4, 4, () => NaN), H, []), RangeError);
      assert.throws(() => localisationReport(H, H, [], { threshold: NaN }), RangeError);
    });
  });

  describe('random-map baseline (a metric must not reward noise)', () => {
    const size = 64;
    // A 16×16 AU region: 1/16 of the image.
    const mask = binariseAuMap(mapOf(size, size, (x, y) => (x >= 20 && x < 36 && y >= 30 && y < 46 ? 1 : 0)));
    const fraction = mask.pixels / (size * size);
    const random = seeded(20240614);
    const noise = mapOf(size, size, () => random());

    it('energy, mass, rank and top-K sit at the mask area fraction', () => {
      assertClose(energyPointingGame(noise, mask), fraction, 0.01, 'energy pointing game');
      assertClose(relevanceMassAccuracy(noise, mask), fraction, 0.01, 'relevance mass');
      assertClose(relevanceRankAccuracy(noise, mask), fraction, 0.05, 'relevance rank');
      assertClose(topKIntersection(noise, mask, 256), fraction, 0.05, 'top-K');
    });

    it('ROC-AUC sits at 0.5', () => {
      assertClose(rocAuc(noise, mask), 0.5, 0.06, 'AUC');
    });

    it('the pointing game hits at the mask area fraction over many maps', () => {
      let hits = 0;
      const trials = 400;
      for (let i = 0; i < trials; i++) if (pointingGame(mapOf(size, size, () => random()), mask)) hits++;
      assertClose(hits / trials, fraction, 0.04, 'pointing-game hit rate');
    });

    it('while the mask itself, blurred by noise, scores far above chance', () => {
      const guided = mapOf(size, size, (x, y) => mask.data[y * size + x]! + 0.5 * random());
      assert.ok(energyPointingGame(guided, mask)! > 3 * fraction);
      assert.ok(rocAuc(guided, mask)! > 0.95);
    });
  });
});
