import * as assert from 'node:assert/strict';
import { GRAD_CAM_PLUS_PLUS_EPS } from '../../../src/trainer/cam/gradCamPlusPlus';
import type { CamInput } from '../../../src/trainer/cam/index';
import { CAM_METHODS, fcRow, RandomCam } from '../../../src/trainer/cam/index';
import type { CamMethodName } from '../../../src/trainer/science/camMethods';
import { CAM_METHOD_NAMES } from '../../../src/trainer/science/camMethods';
import { prepareCam } from '../../../src/trainer/science/metrics/cosine';
import { binariseAuMap, energyPointingGame } from '../../../src/trainer/science/metrics/localisation';
import { mulberry32 } from '../../../src/trainer/science/random';
import { assertClose, assertMapClose, mapOf } from '../science/metrics/maps';

/** C×H×W activations, gradients and fc row from per-channel functions of (x, y). */
type PixelFn = (x: number, y: number) => number;

function input(
  width: number,
  height: number,
  channels: readonly PixelFn[],
  grads: readonly PixelFn[],
  classWeights: readonly number[],
): CamInput {
  const stack = (fs: readonly PixelFn[]): Float32Array => {
    const out = new Float32Array(fs.length * width * height);
    fs.forEach((f, c) => out.set(mapOf(width, height, f).data, c * width * height));
    return out;
  };
  return {
    activations: { channels: channels.length, height, width, data: stack(channels) },
    gradients: stack(grads),
    classWeights: Float32Array.from(classWeights),
  };
}

/** A 2×2, two-channel example small enough to work out by hand; values row-major. */
const A0 = [1, 2, 3, 4];
const A1 = [2, 0, 1, 1];
const G0 = [0.2, -0.4, 0.6, 0];
const at = (v: readonly number[]): PixelFn => (x, y) => v[y * 2 + x]!;
const handExample = input(2, 2, [at(A0), at(A1)], [at(G0), () => -0.1], [0.5, -1]);
// Grad-CAM++ on channel 0: ΣA = 10; α = g²/(2g² + 10·g³ + eps) where g > 0, and ReLU(g) = 0 elsewhere.
const w0PlusPlus = (0.04 / (0.08 + 10 * 0.008 + GRAD_CAM_PLUS_PLUS_EPS)) * 0.2
  + (0.36 / (0.72 + 10 * 0.216 + GRAD_CAM_PLUS_PLUS_EPS)) * 0.6;

/**
 * A GAP + linear head on 8×8 maps: channel 0 fires on a 2×2 blob and has fc weight 3, channel 1 is a ramp with
 * weight 0, channel 2 fires elsewhere with weight −1. For such a head dS/dA_c(i, j) = w_c / HW.
 */
const inBlob = (x: number, y: number): boolean => x >= 5 && x <= 6 && y >= 1 && y <= 2;
const fc = [3, 0, -1];
const blobExample = input(
  8, 8,
  [(x, y) => (inBlob(x, y) ? 1 : 0), (x) => x / 7, (x, y) => (x <= 2 && y >= 5 ? 1 : 0)],
  fc.map((w) => () => w / 64),
  fc,
);

interface Case {
  readonly name: CamMethodName;
  readonly relu: boolean;
  readonly needs: readonly string[];
  /** Σ_c w_c·A_c (then ReLU) on the hand example. */
  readonly hand: readonly number[];
}

const CASES: readonly Case[] = [
  // 0.5·A0 − A1, negative value kept.
  { name: 'cam', relu: false, needs: ['classWeights'], hand: [-1.5, 1, 0.5, 1] },
  // Channel weights mean(G0) = 0.1 and mean(G1) = −0.1: ReLU(0.1·A0 − 0.1·A1).
  { name: 'gradcam', relu: true, needs: ['gradients'], hand: [0, 0.2, 0.2, 0.3] },
  // Channel 1's gradients are all negative, so only channel 0 counts.
  { name: 'gradcam++', relu: true, needs: ['gradients'], hand: A0.map((a) => w0PlusPlus * a) },
  // ReLU(G0)·A0 + ReLU(G1)·A1, pixel by pixel.
  { name: 'layercam', relu: true, needs: ['gradients'], hand: [0.2, 0, 1.8, 0] },
];

describe('cam methods', () => {
  it('the table covers every registered method', () => {
    assert.deepEqual(CASES.map((c) => c.name), [...CAM_METHOD_NAMES]);
  });

  for (const c of CASES) {
    describe(c.name, () => {
      const method = CAM_METHODS[c.name];

      it('is registered with its needs and ReLU', () => {
        assert.equal(method.name, c.name);
        assert.deepEqual(method.needs, c.needs);
        assert.equal(method.cam.relu, c.relu);
      });

      it('matches the hand-computed 2×2 map', () => {
        const m = method.cam.explain(handExample);
        assert.equal(m.width, 2);
        assert.equal(m.height, 2);
        assertMapClose(m, c.hand, 1e-6);
      });

      it('peaks on the blob that drives the class score, at layer resolution and not normalised', () => {
        const m = method.cam.explain(blobExample);
        assert.equal(m.width, 8);
        assert.equal(m.height, 8);
        const peak = m.data.indexOf(Math.max(...m.data));
        assert.ok(inBlob(peak % 8, Math.floor(peak / 8)), `peak at pixel ${peak}`);
        if (c.name === 'cam') assertClose(Math.max(...m.data), 3);
      });

      it('refuses missing or mis-sized inputs', () => {
        for (const need of c.needs) {
          assert.throws(() => method.cam.explain({ ...handExample, [need]: undefined }), RangeError);
          assert.throws(() => method.cam.explain({ ...handExample, [need]: new Float32Array(3) }), RangeError);
        }
        const { activations } = handExample;
        assert.throws(() => method.cam.explain({ ...handExample, activations: { ...activations, width: 3 } }), RangeError);
      });
    });
  }

  describe('Grad-CAM++ weights', () => {
    const cam = CAM_METHODS['gradcam++'].cam;

    it('follow Eq. 19 with ΣA times g³ and zero out negative and zero gradients', () => {
      const w = cam.weights(handExample);
      assertClose(w[0]!, w0PlusPlus, 1e-7);
      assert.equal(w[1], 0);
      // Without the per-pixel α the weight would be Σ ReLU(g) = 0.8: α really reweights.
      assertClose(w0PlusPlus, 0.125, 1e-5);
    });

    it('stays finite where the denominator vanishes (g = −2/ΣA)', () => {
      // ΣA = 4, g = −0.5: 2g² + ΣA·g³ = 0, so only eps is left; ReLU(g) = 0 keeps the weight at 0.
      const w = cam.weights(input(2, 1, [() => 2], [() => -0.5], [1]));
      assert.deepEqual([...w], [0]);
    });
  });

  it('CAM keeps negative evidence where Grad-CAM clips it (negative weight)', () => {
    const neg = input(2, 2, [at(A0)], [() => -0.25], [-1]);
    const cam = CAM_METHODS.cam.cam.explain(neg);
    const grad = CAM_METHODS.gradcam.cam.explain(neg);
    assertMapClose(cam, [-1, -2, -3, -4]);
    assertMapClose(grad, [0, 0, 0, 0]);
    // After the shared post-processing CAM still ranks pixels (inverted); Grad-CAM is flat.
    assertMapClose(prepareCam(cam, 2, 2), [1, 2 / 3, 1 / 3, 0]);
    assertMapClose(prepareCam(grad, 2, 2), [0, 0, 0, 0]);
  });

  it('fcRow picks one class row as a view and checks its arguments', () => {
    const w = Float32Array.of(1, 2, 3, 4, 5, 6);
    assert.deepEqual([...fcRow(w, 3, 2, 1)], [3, 4]);
    assert.throws(() => fcRow(w, 3, 2, 3), RangeError);
    assert.throws(() => fcRow(w, 2, 2, 0), RangeError);
  });

  describe('RandomCam baseline', () => {
    const side = 16;
    const channels = 8;
    const mask = binariseAuMap(mapOf(side, side, (x, y) => (x < 4 && y < 4 ? 1 : 0)));
    const chance = mask.pixels / (side * side);

    function randomActivations(seed: number): CamInput {
      const r = mulberry32(seed);
      const data = new Float32Array(channels * side * side).map(() => r());
      return { activations: { channels, height: side, width: side, data } };
    }

    it('is reproducible from its seed', () => {
      const a = new RandomCam(7).explain(randomActivations(1));
      const b = new RandomCam(7).explain(randomActivations(1));
      assert.deepEqual(a, b);
    });

    it('scores near chance on the energy pointing game, where Grad-CAM on a real blob scores 1', () => {
      const cam = new RandomCam(123);
      const scores: number[] = [];
      for (let i = 0; i < 300; i++) {
        const s = energyPointingGame(cam.explain(randomActivations(1000 + i)), mask);
        if (s !== null) scores.push(s);
      }
      assert.ok(scores.length > 200, `${scores.length} scored maps`);
      assertClose(scores.reduce((a, b) => a + b, 0) / scores.length, chance, 0.01, 'mean energy pointing game');

      const blobMask = binariseAuMap(mapOf(8, 8, (x, y) => (inBlob(x, y) ? 1 : 0)));
      assertClose(energyPointingGame(CAM_METHODS.gradcam.cam.explain(blobExample), blobMask), 1);
    });
  });
});
