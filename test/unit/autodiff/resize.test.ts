import assert from 'node:assert/strict';
import { ResizeBilinear } from '../../../src/trainer/autodiff/ops/resize';
import { interpolationMatrix, resizeBilinear } from '../../../src/trainer/science/raster';
import { gradCheck, randn } from '../../helpers/gradcheck';
import { maxAbsDiff, runOp } from '../../helpers/runOp';

describe('autodiff: bilinear resize', () => {
  for (const alignCorners of [false, true]) {
    for (const [src, dst] of [[64, 16], [7, 28]] as const) {
      it(`equals raster.ts resizeBilinear, ${src}→${dst}, alignCorners ${alignCorners}`, async () => {
        const n = 2;
        const x = randn(n * src * src, src + dst);
        const { outputs: [y] } = await runOp(ResizeBilinear, [{ shape: [n, src, src], data: x }], { height: dst, width: dst, alignCorners });
        for (let b = 0; b < n; b++) {
          const ref = resizeBilinear({ width: src, height: src, data: x.subarray(b * src * src, (b + 1) * src * src) }, dst, dst, alignCorners);
          assert.ok(maxAbsDiff(y!.subarray(b * dst * dst, (b + 1) * dst * dst), ref.data) < 1e-5);
        }
      });
    }
  }

  it('resizes (N,1,H,W) and non-square maps like (N,H,W)', async () => {
    const x = randn(2 * 9 * 6, 5);
    const params = { height: 4, width: 10, alignCorners: false };
    const { outputs: [y4] } = await runOp(ResizeBilinear, [{ shape: [2, 1, 9, 6], data: x }], params);
    const { outputs: [y3] } = await runOp(ResizeBilinear, [{ shape: [2, 9, 6], data: x }], params);
    const ref = resizeBilinear({ width: 6, height: 9, data: x.subarray(0, 54) }, 10, 4);
    assert.ok(maxAbsDiff(y4!, y3!) === 0);
    assert.ok(maxAbsDiff(y3!.subarray(0, 40), ref.data) < 1e-5);
  });

  it('interpolation rows sum to one', () => {
    const m = interpolationMatrix(7, 12, false);
    for (let r = 0; r < 12; r++) assert.ok(Math.abs(m.subarray(r * 7, r * 7 + 7).reduce((a, b) => a + b, 0) - 1) < 1e-6);
  });

  for (const alignCorners of [false, true]) {
    it(`gradient, alignCorners ${alignCorners}`, async () => {
      await gradCheck(ResizeBilinear, [{ shape: [2, 12, 9] }], { height: 5, width: 14, alignCorners });
      await gradCheck(ResizeBilinear, [{ shape: [2, 1, 5, 4] }], { height: 11, width: 8, alignCorners });
    });
  }

  it('same size is the identity', async () => {
    const x = randn(2 * 16, 3);
    const { outputs: [y] } = await runOp(ResizeBilinear, [{ shape: [2, 4, 4], data: x }], { height: 4, width: 4, alignCorners: false });
    assert.ok(maxAbsDiff(y!, x) === 0);
    await gradCheck(ResizeBilinear, [{ shape: [2, 4, 4] }], { height: 4, width: 4, alignCorners: true });
  });
});
