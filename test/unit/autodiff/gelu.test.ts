import assert from 'node:assert/strict';
import { Gelu } from '../../../src/trainer/autodiff/ops/gelu';
import { gradCheck } from '../../helpers/gradcheck';
import { maxAbsDiff, runOp } from '../../helpers/runOp';

// torch 1.13: x = 3·sin(0.7 i + 0.2), F.gelu(x, approximate=…) and d Σy / dx.
const x = Float32Array.from({ length: 10 }, (_, i) => 3 * Math.sin(0.7 * i + 0.2));
const TORCH = {
  none: {
    y: [
      0.43175724, 2.3279212, 2.9946556, 2.2088399, 0.28110415,
      -0.08896926, -0.0061470196, -0.007608695, -0.11385742, 0.47798789,
    ],
    dx: [
      0.92349434, 1.0498779, 1.0119853, 1.0604484, 0.81840229,
      -0.12331152, -0.017200053, -0.02067256, -0.12881637, 0.94971383,
    ],
  },
  tanh: {
    y: [
      0.431725, 2.3282907, 2.9950686, 2.2091343, 0.28109482,
      -0.089157842, -0.0056915018, -0.0071401098, -0.11409024, 0.4779456,
    ],
    dx: [
      0.92330682, 1.0504671, 1.0116248, 1.061188, 0.81831998,
      -0.12371899, -0.016980203, -0.020554332, -0.128866, 0.94949305,
    ],
  },
} as const;

describe('autodiff: Gelu', () => {
  for (const approximate of ['none', 'tanh'] as const) {
    it(`approximate='${approximate}' matches torch F.gelu and its gradient`, async () => {
      const { outputs: [y], grads: [dx] } = await runOp(Gelu, [{ shape: [2, 5], data: x }], { approximate }, [0]);
      assert.ok(maxAbsDiff(y!, TORCH[approximate].y) < 1e-6, `forward ${maxAbsDiff(y!, TORCH[approximate].y)}`);
      assert.ok(maxAbsDiff(dx!, TORCH[approximate].dx) < 1e-6, `gradient ${maxAbsDiff(dx!, TORCH[approximate].dx)}`);
    });

    it(`approximate='${approximate}' against finite differences`, async () => {
      await gradCheck(Gelu, [{ shape: [3, 4, 5] }], { approximate }, { tol: 1e-3 });
    });
  }
});
