import * as assert from 'node:assert/strict';
import {
  attentionCosine,
  camCosine,
  cosine,
  isValidAuMap,
  prepareAttention,
  prepareAuMap,
  prepareCam,
} from '../../../../src/trainer/science/metrics/cosine';
import { assertClose, assertMapClose, map, mapOf } from './maps';

const t = 1 / 3;

describe('metrics/cosine', () => {
  describe('cosine', () => {
    it('is 1 for identical and for scaled maps, 0 for orthogonal ones', () => {
      const a = Float32Array.of(0.2, 0.5, 0, 1);
      assertClose(cosine(a, a), 1);
      assertClose(cosine(a, a.map((v) => 7 * v)), 1);
      assert.equal(cosine(Float32Array.of(1, 0, 0, 0), Float32Array.of(0, 1, 0, 0)), 0);
    });

    it('scores a zero map and NaN as 0, like the reference', () => {
      assert.equal(cosine(new Float32Array(4), Float32Array.of(1, 2, 3, 4)), 0);
      assert.equal(cosine(new Float32Array(4), new Float32Array(4)), 0);
      assert.equal(cosine(Float32Array.of(NaN, 1), Float32Array.of(1, 1)), 0);
    });

    it('clamps each norm to eps separately, as PyTorch 2 does', () => {
      // ‖a‖ = 1e-9 < eps: 1e-9 / (1e-8 · 1) = 0.1, where max(‖a‖·‖b‖, eps) would give 1.
      assertClose(cosine(Float32Array.of(1e-9, 0), Float32Array.of(1, 0)), 0.1, 1e-6);
    });

    it('rejects vectors of different lengths', () => {
      assert.throws(() => cosine(new Float32Array(3), new Float32Array(4)), RangeError);
    });
  });

  describe('ATT-COS', () => {
    // attention(x, y) = x + 2y; linear, so an upsampled pixel is sx + 2·sy at its source position.
    const attention = map(2, 2, [0, 1, 2, 3]);

    it('upsamples 2×2 → 4×4 like F.interpolate(align_corners=True, antialias=True)', () => {
      // ATen's antialias kernel samples at (i + 0.5)·(in−1)/(out−1) − 0.5, clamped at 0: 0, 0, 1/3, 2/3.
      const s = [0, 0, t, 2 * t];
      const expected = s.flatMap((sy) => s.map((sx) => sx + 2 * sy));
      assertMapClose(prepareAttention(attention, 4, 4), expected);
    });

    it('upsamples 2×2 → 4×4 with textbook align_corners=True on request', () => {
      const s = [0, t, 2 * t, 1];
      const expected = s.flatMap((sy) => s.map((sx) => sx + 2 * sy));
      assertMapClose(prepareAttention(attention, 4, 4, 'align-corners'), expected);
    });

    it('downsamples with the antialias filter (hand-derived from ATen UpSampleKernel.cpp)', () => {
      // 4 → 2, scale 3, support 3: output 0 weighs pixels 0..3 by 1/4, 3/8, 1/4, 1/8; output 1 weighs 2, 3 by 1/3, 2/3.
      assertMapClose(prepareAttention(map(4, 1, [0, 1, 2, 3]), 2, 1), [1.25, 8 / 3]);
    });

    it('is the identity at equal size', () => {
      const m = mapOf(5, 3, (x, y) => Math.sin(x + 3 * y) + 1);
      assertMapClose(prepareAttention(m, 5, 3), Array.from(m.data));
    });

    it('scores against the [0, 1]-clipped AU map by hand', () => {
      // AU map: bottom-right 2×2 block. Prepared attention there is 1, 4/3, 5/3, 2 (dot 6); Σ att² = 136/9; ‖A‖ = 2.
      const block = (x: number, y: number): number => (x >= 2 && y >= 2 ? 1 : 0);
      const expected = 6 / (2 * Math.sqrt(136 / 9));
      assertClose(attentionCosine(attention, mapOf(4, 4, block)), expected);
      // Values outside [0, 1] are clipped first, so the score does not change.
      assertClose(attentionCosine(attention, mapOf(4, 4, (x, y) => 3 * block(x, y) - 1)), expected);
    });

    it('shifts a negative-min attention by −min', () => {
      const shifted = map(2, 2, [-1, 0, 1, 2]);
      const prepared = prepareAttention(shifted, 4, 4);
      assertMapClose(prepared, Array.from(prepareAttention(attention, 4, 4).data));
      assert.ok(Math.min(...prepared.data) >= 0);
      const au = mapOf(4, 4, (x) => x / 3);
      assertClose(attentionCosine(shifted, au), attentionCosine(attention, au));
    });

    it('refuses an invalid (+inf) AU map instead of scoring it', () => {
      const invalid = mapOf(4, 4, () => Infinity);
      assert.equal(isValidAuMap(invalid), false);
      assert.throws(() => attentionCosine(attention, invalid), RangeError);
      assert.throws(() => camCosine(attention, invalid), RangeError);
    });
  });

  describe('CAM-COS', () => {
    // min-max of [[2, 4], [6, 10]] is [[0, .25], [.5, 1]]: bilinear value 0.25·sx + 0.5·sy + 0.25·sx·sy.
    const cam = map(2, 2, [2, 4, 6, 10]);
    const camAt = (sx: number, sy: number): number => 0.25 * sx + 0.5 * sy + 0.25 * sx * sy;

    it('min-max normalises, then upsamples with align_corners=False', () => {
      // Half-pixel centres 2 → 4: source positions (d + 0.5)/2 − 0.5 clamped to [0, 1]: 0, 0.25, 0.75, 1.
      const s = [0, 0.25, 0.75, 1];
      const prepared = prepareCam(cam, 4, 4);
      assertMapClose(prepared, s.flatMap((sy) => s.map((sx) => camAt(sx, sy))));
      assert.equal(prepared.data[0], 0);
      assert.equal(prepared.data[15], 1);
      assertClose(prepared.data[5]!, 0.203125);
    });

    it('does not depend on the CAM scale or offset', () => {
      const au = mapOf(4, 4, (x, y) => (x + y) / 6);
      const affine = map(2, 2, Array.from(cam.data, (v) => 5 * v - 3));
      assertClose(camCosine(affine, au), camCosine(cam, au));
      const prepared = prepareCam(cam, 4, 4);
      assertClose(camCosine(cam, prepared), 1);
    });

    it('scores a constant CAM as 0', () => {
      assert.equal(camCosine(map(2, 2, [3, 3, 3, 3]), mapOf(4, 4, () => 1)), 0);
    });

    it('clips the AU map to [0, 1] and leaves the input untouched', () => {
      const au = map(2, 1, [-0.5, 1.5]);
      assertMapClose(prepareAuMap(au), [0, 1]);
      assertMapClose(au, [-0.5, 1.5]);
    });
  });
});
