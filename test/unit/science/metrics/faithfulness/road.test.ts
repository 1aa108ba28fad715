import * as assert from 'node:assert/strict';
import { runProbe } from '../../../../../src/trainer/science/metrics/faithfulness/classifier';
import { noisyLinearImputation } from '../../../../../src/trainer/science/metrics/faithfulness/imputation';
import type { Road, RoadResult } from '../../../../../src/trainer/science/metrics/faithfulness/road';
import { numpyPercentile, planRoad, roadKeepMask } from '../../../../../src/trainer/science/metrics/faithfulness/road';
import type { ModelImage } from '../../../../../src/trainer/science/metrics/faithfulness/types';
import { mulberry32 } from '../../../../../src/trainer/science/random';
import type { Heatmap } from '../../../../../src/trainer/science/types';
import { checkerImage, linearClassifier, maskOf, matchedFilter } from './models';

const ramp = (w: number, h: number): ModelImage => {
  const data = new Float32Array(2 * w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    data[y * w + x] = 0.25 * x - 0.5 * y;
    data[w * h + y * w + x] = 1 + 0.125 * y;
  }
  return { channels: 2, width: w, height: h, data };
};

/** road.py's system written out densely (setup_sparse_system), solved by Gaussian elimination. */
function denseImputation(image: ModelImage, keep: Uint8Array): Float64Array {
  const { width: w, height: h } = image;
  const weights: [number, number, number][] = [[1, 1, 1 / 12], [0, 1, 1 / 6], [-1, 1, 1 / 12], [1, -1, 1 / 12], [0, -1, 1 / 6], [-1, -1, 1 / 12], [1, 0, 1 / 6], [-1, 0, 1 / 6]];
  const unknown = [...keep.keys()].filter((p) => !keep[p]);
  const n = unknown.length;
  const a = Array.from({ length: n }, () => new Float64Array(n + 1));
  unknown.forEach((p, i) => {
    let diagonal = 1;
    for (const [dy, dx, wt] of weights) {
      const y = Math.floor(p / w) + dy;
      const x = (p % w) + dx;
      if (x < 0 || y < 0 || x >= w || y >= h) diagonal -= wt;
      else if (keep[y * w + x]) a[i]![n]! -= wt * image.data[y * w + x]!;
      else a[i]![unknown.indexOf(y * w + x)] = wt;
    }
    a[i]![i] = -diagonal;
  });
  for (let c = 0; c < n; c++) {
    for (let r = c + 1; r < n; r++) {
      const f = a[r]![c]! / a[c]![c]!;
      for (let k = c; k <= n; k++) a[r]![k]! -= f * a[c]![k]!;
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = a[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= a[r]![k]! * x[k]!;
    x[r] = s / a[r]![r]!;
  }
  const out = Float64Array.from(image.data.subarray(0, w * h));
  unknown.forEach((p, i) => (out[p] = x[i]!));
  return out;
}

function ok(result: RoadResult): Road {
  assert.equal(result.status, 'ok', JSON.stringify(result));
  return result as Road;
}

describe('metrics/faithfulness/road', () => {
  describe('noisy linear imputation', () => {
    it('reproduces a linear ramp inside the image exactly (a weighted mean of symmetric neighbours)', () => {
      const image = ramp(9, 9);
      const keep = maskOf(9, (x, y) => !(x >= 2 && x <= 6 && y >= 2 && y <= 5));
      const out = noisyLinearImputation(image, keep, { noise: 0 });
      for (let i = 0; i < out.length; i++) assert.ok(Math.abs(out[i]! - image.data[i]!) < 1e-6, `value ${i}: ${out[i]} vs ${image.data[i]}`);
    });

    it('solves road.py\'s system, borders included, for a scattered mask', () => {
      const r = mulberry32(4);
      const image: ModelImage = { channels: 1, width: 7, height: 6, data: Float32Array.from({ length: 42 }, () => r()) };
      const keep = Uint8Array.from({ length: 42 }, () => (r() < 0.35 ? 1 : 0));
      const pixels = keep.reduce((s, v) => s + v, 0);
      const ours = noisyLinearImputation(image, { width: 7, height: 6, data: keep, pixels }, { noise: 0 });
      const dense = denseImputation(image, keep);
      for (let i = 0; i < 42; i++) assert.ok(Math.abs(ours[i]! - dense[i]!) < 1e-6, `pixel ${i}: ${ours[i]} vs ${dense[i]}`);
    });

    it('adds seeded noise of the given size to imputed pixels only', () => {
      const image = checkerImage(16, 0, 1);
      const keep = maskOf(16, (x) => x < 2);
      const a = noisyLinearImputation(image, keep, { noise: 0.01, random: mulberry32(1) });
      assert.deepEqual(a, noisyLinearImputation(image, keep, { noise: 0.01, random: mulberry32(1) }));
      let ss = 0;
      for (let p = 0; p < 256; p++) {
        if (keep.data[p]) assert.equal(a[p], image.data[p]);
        else ss += (a[p]! - 0.5) ** 2;
      }
      const sd = Math.sqrt(ss / (256 - keep.pixels));
      assert.ok(sd > 0.008 && sd < 0.012, `noise sd ${sd}`);
    });

    it('fills the image with 0 when no pixel is kept, as road.py does (spsolve of a zero right-hand side)', () => {
      const out = noisyLinearImputation(ramp(4, 3), { width: 4, height: 3, data: new Uint8Array(12), pixels: 0 }, { noise: 0 });
      assert.deepEqual(Array.from(out), new Array(24).fill(0));
    });
  });

  describe('percentile masks', () => {
    it('computes numpy\'s percentile (linear) for float32 values', () => {
      assert.ok(Math.abs(numpyPercentile(Float32Array.of(1, 2, 3, 4), 10) - 1.3) < 1e-12);
      assert.equal(numpyPercentile(Float32Array.of(0.1, 0.7, 0.2, 0.9, 0.3), 37), 0.24800000727176666);
      assert.equal(numpyPercentile(Float32Array.of(5, 5, 5, 1, 9), 60), 5);
    });

    it('keeps the least relevant pixels for MoRF and the most relevant for LeRF, ties together', () => {
      const map: Heatmap = { width: 5, height: 2, data: Float32Array.of(0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.6, 0.8, 0.9) };
      assert.deepEqual(Array.from(roadKeepMask(map, 30, 'morf').data), [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
      assert.deepEqual(Array.from(roadKeepMask(map, 30, 'lerf').data), [0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
      // The two 0.6 values straddle the 70th percentile (0.6): neither is kept below it.
      assert.deepEqual(Array.from(roadKeepMask(map, 70, 'morf').data), [1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
    });
  });

  describe('ROAD', () => {
    const SIZE = 32;
    const image = checkerImage(SIZE);
    const region = maskOf(SIZE, (x, y) => x >= 8 && x < 16 && y >= 8 && y < 20);
    const classifier = linearClassifier(matchedFilter(region, 'happy', 6), 19);
    const labels = classifier.labels;
    const mapFrom = (f: (p: number) => number): Heatmap => ({ width: SIZE, height: SIZE, data: Float32Array.from({ length: SIZE * SIZE }, (_, p) => f(p)) });
    const r = mulberry32(9);
    // The dependency with a gentle tie-free slope, so every percentile keeps some pixels.
    const dependency = mapFrom((p) => region.data[p]! + 1e-3 * p);
    const random = mapFrom(() => r());

    it('scores the dependency map above a random map', async () => {
      const dep = ok(await runProbe(classifier, planRoad({ image, map: dependency, labels, className: 'happy' })));
      const rnd = ok(await runProbe(classifier, planRoad({ image, map: random, labels, className: 'happy' })));
      assert.deepEqual(dep.percentiles, [10, 20, 30, 40, 50, 60, 70, 80, 90]);
      assert.equal(dep.morf.perPercentile.length, 9);
      assert.ok(dep.combined > rnd.combined + 0.1, `combined: dependency ${dep.combined}, random ${rnd.combined}`);
      assert.ok(dep.morf.mean < dep.lerf.mean);
      assert.equal(dep.combined, (dep.lerf.mean - dep.morf.mean) / 2);
    });

    it('lists the percentiles where a tied minimum leaves no pixel to keep', async () => {
      // Like a ReLU'd CAM: a quarter of the map is exactly 0, so MoRF at 10 and 20 keeps nothing.
      const relu = mapFrom((p) => (p < (SIZE * SIZE) / 4 ? 0 : 1 + (p % 23)));
      const result = ok(await runProbe(classifier, planRoad({ image, map: relu, labels, className: 'happy' })));
      assert.deepEqual(result.unanchored, [{ order: 'morf', percentile: 10 }, { order: 'morf', percentile: 20 }]);
      assert.ok(Number.isFinite(result.combined));
    });

    it('skips a constant map and a class the model lacks; refuses bad percentiles', async () => {
      const flat = await runProbe(classifier, planRoad({ image, map: mapFrom(() => 1), labels, className: 'happy' }));
      assert.equal(flat.status === 'skipped' && flat.reason, 'constant-map');
      const missing = await runProbe(classifier, planRoad({ image, map: dependency, labels, className: 'anger' }));
      assert.equal(missing.status === 'skipped' && missing.reason, 'class-not-in-model');
      assert.throws(() => planRoad({ image, map: dependency, labels, className: 'happy' }, { percentiles: [0, 50] }), /strictly between 0 and 100/);
    });
  });
});
