import assert from 'node:assert/strict';
import type { Conv2dParams } from '../../../src/trainer/autodiff/ops/conv';
import { Conv2d } from '../../../src/trainer/autodiff/ops/conv';
import { Tape } from '../../../src/trainer/autodiff/tape';
import { Graph } from '../../../src/trainer/onnx/graph';
import { toModelBytes } from '../../../src/trainer/onnx/serialize';
import { createSession, floatTensor } from '../../../src/trainer/onnx/session';
import { gradCheck, randn } from '../../helpers/gradcheck';
import { runOp } from '../../helpers/runOp';

const params = (s: number, p: number | Conv2dParams['pads'], group = 1): Conv2dParams => ({
  strides: [s, s], pads: typeof p === 'number' ? [p, p, p, p] : p, group,
});

/**
 * Checks both gradients of a conv with x (N,Cin,H,W) and w (Cout,Cin/group,k,k). A conv is linear in each input,
 * so central differences are exact up to float32 rounding (errors ~1e-5): a tight tolerance and two random
 * directions keep a wrong rule from passing by a lucky projection (a kernel transposed by mistake once gave 5e-3).
 */
async function check(x: readonly number[], cout: number, k: number | readonly [number, number], p: Conv2dParams, opts: { weightConstant?: boolean } = {}): Promise<void> {
  const [kh, kw] = typeof k === 'number' ? [k, k] : k;
  const w = { shape: [cout, x[1]! / p.group, kh, kw], constant: opts.weightConstant ?? false };
  for (const seed of [7, 8]) await gradCheck(Conv2d, [{ shape: x }, w], p, { tol: 1e-3, seed });
}

describe('autodiff: Conv2d', () => {
  it('computes a tiny convolution by hand (2×2 kernel, stride 1, no padding)', async () => {
    const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const w = Float32Array.from([1, 2, 3, 4]);
    const { outputs: [y] } = await runOp(Conv2d, [{ shape: [1, 1, 3, 3], data: x }, { shape: [1, 1, 2, 2], data: w }], params(1, 0));
    // y[i][j] = 1·x[i][j] + 2·x[i][j+1] + 3·x[i+1][j] + 4·x[i+1][j+1]
    assert.deepEqual([...y!], [37, 47, 67, 77]);
  });

  it('computes a strided, padded convolution by hand (3×3 ones, stride 2, pad 1)', async () => {
    const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const { outputs: [y] } = await runOp(Conv2d, [{ shape: [1, 1, 3, 3], data: x }, { shape: [1, 1, 3, 3], data: new Float32Array(9).fill(1) }], params(2, 1));
    // Each output sums the 2×2 corner block its padded window covers.
    assert.deepEqual([...y!], [1 + 2 + 4 + 5, 2 + 3 + 5 + 6, 4 + 5 + 7 + 8, 5 + 6 + 8 + 9]);
  });

  /** [x shape, Cout, kernel, params, weight held constant (for groupings whose dW is refused)] */
  type Case = [readonly number[], number, number | readonly [number, number], Conv2dParams, boolean?];
  const cases: Record<string, Case[]> = {
    '3×3 stride 1 pad 1, few channels (one im2col MatMul)': [[[2, 3, 5, 6], 4, 3, params(1, 1)]],
    '3×3 stride 1 pad 1, ≥ 16 channels (one MatMul per kernel offset)': [[[2, 16, 5, 5], 4, 3, params(1, 1)]],
    '3×3 stride 2 pad 1, odd and even input sizes': [
      [[2, 3, 7, 7], 4, 3, params(2, 1)],
      [[2, 16, 6, 6], 5, 3, params(2, 1)],
      [[1, 4, 6, 7], 3, 3, params(2, 1)],
    ],
    '3×3 stride 2 with asymmetric (TensorFlow SAME) padding': [[[2, 3, 6, 6], 4, 3, params(2, [0, 0, 1, 1])]],
    'stride 1 with asymmetric padding and non-square kernels': [
      [[2, 3, 5, 6], 4, 3, params(1, [0, 1, 2, 1])],
      [[2, 3, 5, 6], 4, [2, 3], params(1, [0, 1, 1, 1])],
      [[2, 16, 5, 6], 4, [3, 1], params(2, [1, 0, 1, 0])],
    ],
    '1×1 stride 1': [[[2, 8, 4, 5], 6, 1, params(1, 0)]],
    '1×1 stride 2, odd and even sizes': [[[2, 8, 5, 6], 6, 1, params(2, 0)]],
    'stride 1 with padding wider than the kernel (the ConvTranspose route for dX)': [[[2, 3, 4, 4], 2, 1, params(1, 1)]],
    '7×7 stride 2 pad 3 (ResNet stem)': [[[2, 3, 11, 12], 4, 7, params(2, 3)]],
    '3×3 stride 3 (windows from a SpaceToDepth with padding up to whole phases)': [[[1, 3, 8, 7], 2, 3, params(3, 1)]],
    'blocked NCHWc layout (channels in multiples of 16, or an RGB input): 3×3 stride 1 and 2, 1×1': [
      [[2, 16, 5, 5], 32, 3, params(1, 1)],
      [[2, 16, 6, 7], 16, 3, params(2, 1)],
      [[2, 32, 4, 4], 16, 1, params(1, 0)],
      [[2, 3, 5, 5], 16, 3, params(1, 1)],
    ],
    'from 128 input channels (the batch inside the dW MatMuls), stride 1 and 2': [
      [[2, 128, 4, 4], 4, 3, params(1, 1)],
      [[2, 128, 5, 5], 4, 3, params(2, 1)],
    ],
    'stride 1 from 32 input channels (x shifted by kernel column, dY by kernel row): pads same, asymmetric, none, wider than the kernel': [
      [[2, 32, 5, 6], 4, 3, params(1, 1)],
      [[2, 32, 5, 6], 4, [2, 3], params(1, [0, 1, 1, 1])],
      [[1, 32, 6, 5], 3, [3, 2], params(1, 0)],
      [[1, 32, 4, 4], 2, 1, params(1, 1)],
      [[2, 128, 5, 6], 3, [3, 2], params(1, [1, 0, 2, 1])],
    ],
    'depthwise 3×3 stride 1 and stride 2, and a non-square depthwise kernel': [
      [[2, 4, 5, 5], 4, 3, params(1, 1, 4)],
      [[2, 4, 7, 6], 4, 3, params(2, 1, 4)],
      [[2, 4, 6, 6], 4, 3, params(2, [0, 0, 1, 1], 4)],
      [[2, 4, 6, 7], 4, [1, 3], params(1, [0, 1, 0, 1], 4)],
    ],
    'dX of other groupings (their dW is refused below)': [
      [[2, 4, 5, 6], 6, 3, params(1, 1, 2), true],
      [[2, 4, 5, 6], 6, 3, params(2, 1, 2), true],
    ],
  };
  for (const [name, list] of Object.entries(cases)) {
    it(name, async () => {
      for (const [x, cout, k, p, weightConstant] of list) await check(x, cout, k, p, { weightConstant });
    });
  }

  // Finite differences lose too many digits on tensors this large (the sum of 800k products), so the weight
  // gradient is compared with a plain-JS sum in double precision instead.
  for (const stride of [1, 2]) {
    it(`sums dW over batch chunks when x outgrows the caches (2 + 1 images, stride ${stride})`, async () => {
      const [n, cin, size, cout] = [3, 32, 90, 4];
      const out = Math.floor((size + 2 - 3) / stride) + 1;
      const x = randn(n * cin * size * size, 11);
      const dy = randn(n * cout * out * out, 12);
      const g = new Graph();
      const tape = new Tape(g);
      const xs = g.input('x', 'float32', [n, cin, size, size]);
      const ws = g.input('w', 'float32', [cout, cin, 3, 3]);
      const y = tape.apply1(Conv2d, [xs, ws], params(stride, 1));
      g.output(tape.gradients(y, [ws], g.input('dy', 'float32', y.shape)).get('w')!, 'dw');
      assert.ok(g.nodes.some((node) => node.op === 'Add'), 'the chunks are not summed: dW ran on the whole batch');
      const session = await createSession(toModelBytes(g));
      const run = await session.run({ x: floatTensor(x, xs.shape), w: floatTensor(new Float32Array(cout * cin * 9), ws.shape), dy: floatTensor(dy, y.shape) });
      await session.release();
      const dw = run['dw']!.data as Float32Array;
      let worst = 0;
      for (let co = 0; co < cout; co++) for (let ci = 0; ci < cin; ci++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
        let sum = 0;
        for (let b = 0; b < n; b++) for (let oy = 0; oy < out; oy++) for (let ox = 0; ox < out; ox++) {
          const [iy, ix] = [oy * stride + i - 1, ox * stride + j - 1];
          if (iy < 0 || ix < 0 || iy >= size || ix >= size) continue;
          sum += dy[((b * cout + co) * out + oy) * out + ox]! * x[((b * cin + ci) * size + iy) * size + ix]!;
        }
        worst = Math.max(worst, Math.abs(dw[((co * cin + ci) * 3 + i) * 3 + j]! - sum) / (1 + Math.abs(sum)));
      }
      assert.ok(worst < 1e-4, `dW off by ${worst}`);
    });
  }

  it('refuses the weight gradient of other groupings, naming them', () => {
    const g = new Graph();
    const tape = new Tape(g);
    const x = g.input('x', 'float32', [1, 4, 5, 5]);
    const w = g.input('w', 'float32', [4, 2, 3, 3]);
    const y = tape.apply1(Conv2d, [x, w], params(1, 1, 2));
    assert.throws(() => tape.gradients(y, [w]), /group=2 with 4 input and 4 output channels/);
    // dX of a grouped conv is still available.
    assert.ok(tape.gradients(y, [x]).get('x'));
  });

  it('refuses a weight that does not fit the grouping', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [1, 4, 5, 5]);
    const w = g.input('w', 'float32', [4, 4, 3, 3]);
    assert.throws(() => new Tape(g).apply1(Conv2d, [x, w], params(1, 1, 2)), /group=2/);
  });
});
